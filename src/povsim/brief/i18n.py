"""Words of the brief in English and Chinese: section titles, sentence templates, table
headers, and the names of counties, dimensions, interventions, funders and scenarios.

Every message exists in both languages (a test checks it); sentences are templates filled with
numbers by :mod:`povsim.brief.sentences`, never typed text.  It imports only
:mod:`povsim.brief.outcomes`, so :mod:`povsim.report` can use its terms to label figures.

County names in characters: the eight pilot counties of the Hubei integrated child poverty
reduction pilot (UNICEF China / IPRCC 'Hubei Model' brochure, 2017) as listed in the
administrative divisions of Hubei (Wikipedia, "List of administrative divisions of Hubei":
阳新县, 五峰土家族自治县, 通山县, 宣恩县, 大悟县, 郧阳区, 罗田县, 保康县); the brief uses the
short names officials use (阳新, 五峰, ...).
"""

from __future__ import annotations

from povsim.brief.outcomes import COHORT, HEADLINE

__all__ = ["LANGS", "MESSAGES", "TERMS_ZH", "msg", "number_word", "term"]

LANGS = ("en", "zh")

# -- names of things --------------------------------------------------------------------
COUNTIES_ZH = {"Yangxin": "阳新", "Wufeng": "五峰", "Tongshan": "通山", "Xuan'en": "宣恩", "Xuan’en": "宣恩",
               "Dawu": "大悟", "Yunyang": "郧阳", "Luotian": "罗田", "Baokang": "保康"}
DIMENSIONS_ZH = {"nutrition": "营养", "health": "健康", "education": "教育", "information": "信息",
                 "water": "饮水", "sanitation": "卫生设施", "housing": "住房", "social_protection": "社会保护"}
INTERVENTIONS = {
    "child_service_centre": ("child service centres", "儿童服务中心"),
    "parent_training": ("parent training", "家长培训"),
    "home_visits": ("home visits", "入户家访"),
    "infant_nutrition": ("infant nutrition (Ying Yang Bao)", "婴幼儿营养包"),
    "school_meals": ("school meals", "学校营养餐"),
    "special_needs_support": ("support for children with special needs", "特殊需要儿童支持"),
    "conditional_cash_transfer": ("conditional cash transfer", "有条件现金转移支付"),
    "dibao": ("Dibao (minimum living guarantee)", "最低生活保障（低保）"),
    "wash_upgrade": ("water and sanitation upgrade", "饮水和卫生设施改造"),
    "health_services": ("child health services", "儿童卫生保健服务"),
    "all": ("all interventions", "全部干预"),
}
FUNDERS = {"domestic": ("domestic funds", "国内资金"), "bestseller_fund": ("Bestseller Fund", "绫致基金"),
           "government": ("government", "政府"), "ngo": ("NGO", "社会组织"), "unicef": ("UNICEF", "联合国儿童基金会")}
#: the shipped scenarios (``scenarios/*.toml``) by name; other names are shown as written
SCENARIOS = {
    "baseline": ("baseline", "基准情景"),
    "hubei_pilot": ("Hubei pilot", "湖北试点"),
    "hubei_pilot_continued": ("Hubei pilot, continued", "湖北试点（持续）"),
    "full_package": ("full package", "全套干预"),
    "centres_only": ("centres only", "仅儿童服务中心"),
    "nutrition_only": ("nutrition only", "仅营养包"),
    "parent_training_only": ("parent training only", "仅家长培训"),
    "home_visits_only": ("home visits only", "仅入户家访"),
    "cash_transfer": ("cash transfer", "现金转移支付"),
    "wash_only": ("water and sanitation only", "仅饮水和卫生设施"),
    "school_meals_only": ("school meals only", "仅学校供餐"),
    "dibao_only": ("Dibao only", "仅低保"),
    "province_scale_up": ("province scale-up", "全省推广"),
    "small": ("small demo world", "小型演示"),
}
SCENARIO_DESCRIPTIONS_ZH = {
    "baseline": "按1:1模拟的湖北试点地区（8个县、104个乡镇其中66个项目乡镇、约2,450个村其中80个试点村；约370万人），"
                "初始状态2013年，模拟2014–2074年，无干预项目；参数经校准",
    "hubei_pilot": "按实际实施情况模拟的湖北儿童综合减贫试点，2014年2月18日至2017年7月31日，"
                   "覆盖8个县、66个乡镇和80个试点村",
    "hubei_pilot_continued": "湖北试点各项内容自2014年起实施（儿童服务中心和入户家访自2015年年中起），"
                             "一直持续到模拟期末",
    "full_package": "全部十项干预（村级内容在80个试点村，其他内容在66个项目乡镇），自2014年起",
    "province_scale_up": "在8个试点县的所有村实施全套干预，受年度预算上限约束",
    "school_meals_only": "66个项目乡镇1–9年级学生的学校供餐，自2014年起",
    "dibao_only": "在66个项目乡镇扩大低保覆盖，自2014年起",
}
#: calibration methods (``povsim calibrate --method``)
METHODS_ZH = {"least-squares": "最小二乘法", "nelder-mead": "Nelder–Mead单纯形法", "powell": "Powell法",
              "differential-evolution": "差分进化法"}
ARMS_ZH = {"pilot": "试点村", "comparison": "对照村", "all": "全部",
           # the "area" subgroup: other villages of the project townships, villages outside them
           "project": "项目乡镇其他村", "non_project": "非项目乡镇村"}
LEFT_BEHIND_ZH = {"left behind": "留守儿童", "not left behind": "非留守儿童"}
SEX_ZH = {"female": "女童", "male": "男童"}

#: exact-match terms for figure labels (:func:`povsim.report.translate`)
TERMS_ZH: dict[str, str] = {**COUNTIES_ZH, **DIMENSIONS_ZH, **{k: v[1] for k, v in SCENARIOS.items()},
                            **{k: v[1] for k, v in INTERVENTIONS.items() if k != "all"},
                            # interventions as figure legends label them (underscores as spaces)
                            **{k.replace("_", " "): v[1] for k, v in INTERVENTIONS.items() if k != "all"},
                            "pilot": "试点村", "comparison": "对照村", "social protection": "社会保护",
                            "M0 (index, 0-1)": "M0（指数，0–1）",
                            # measure names as figures label them (underscores as spaces)
                            **{o.measure.replace("_", " "): o.short_zh for o in (*HEADLINE, *COHORT)}}

_NUMBER_WORDS = {"en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
                 "zh": ("零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十")}


def number_word(n: int, lang: str) -> str:
    """``3`` -> ``"three"`` / ``"三"`` (digits above ten)."""
    return _NUMBER_WORDS[lang][n] if 0 <= n <= 10 else str(n)


def term(kind: str, name: str, lang: str) -> str:
    """The display name of a county, dimension, intervention, funder, scenario or arm."""
    name = str(name)
    if kind == "county":
        return COUNTIES_ZH.get(name, name) if lang == "zh" else name
    if kind == "dimension":
        return DIMENSIONS_ZH.get(name, name) if lang == "zh" else name.replace("_", " ")
    if kind == "arm":
        return ARMS_ZH.get(name, name) if lang == "zh" else f"{name} villages" if name != "all" else "all"
    if kind == "left_behind":
        en = {"left behind": "left-behind children", "not left behind": "children not left behind"}
        return LEFT_BEHIND_ZH.get(name, name) if lang == "zh" else en.get(name, name)
    if kind == "sex":
        return SEX_ZH.get(name, name) if lang == "zh" else {"female": "girls", "male": "boys"}.get(name, name)
    if kind == "method":
        return METHODS_ZH.get(name, name) if lang == "zh" else name
    table = {"intervention": INTERVENTIONS, "funder": FUNDERS, "scenario": SCENARIOS}[kind]
    if name in table:
        return table[name][1 if lang == "zh" else 0]
    return name.replace("_", " ") if kind != "scenario" else name


# -- messages ---------------------------------------------------------------------------
#: key -> (English, Chinese); ``{placeholders}`` are filled by :func:`msg`
MESSAGES: dict[str, tuple[str, str]] = {
    # titles
    "brief": ("Brief", "简报"),
    "title.compare": ("Brief: {alts} compared with {base}", "简报：{alts}与{base}的比较"),
    "title.run": ("Brief: {name}", "简报：{name}"),
    "title.batch": ("Brief: batch experiment {name}", "简报：批量实验 {name}"),
    "title.sensitivity": ("Brief: sensitivity study {name}", "简报：敏感性分析 {name}"),
    "title.calibrate": ("Brief: calibration {name}", "简报：校准 {name}"),
    "subtitle": ("povsim {version} · {created} · {replicates} replicates",
                 "povsim {version} · {created} · {replicates}次重复"),
    "contents": ("Contents", "目录"),
    "page": ("page {i} of {n}", "第{i}页，共{n}页"),
    # sections
    "sec.what.compare": ("What was compared", "比较了什么"),
    "sec.what.run": ("What was run", "模拟了什么"),
    "sec.what.batch": ("What was run", "运行了什么"),
    "sec.what.sensitivity": ("What was studied", "研究了什么"),
    "sec.what.calibrate": ("What was fitted", "拟合了什么"),
    "sec.effects": ("Headline effects", "主要效果"),
    "sec.outcomes": ("Headline outcomes", "主要结果"),
    "sec.who": ("Who benefits", "谁受益"),
    "sec.where": ("Where children stand", "各地儿童状况"),
    "sec.costs": ("What it costs", "成本"),
    "sec.sure": ("How sure are we", "结果有多可靠"),
    "sec.drivers": ("Which parameters matter", "哪些参数重要"),
    "sec.targets": ("Targets met and missed", "达到和未达到的目标"),
    "sec.parameters": ("Fitted parameters", "拟合参数"),
    "sec.figures": ("Figures", "图表"),
    "sec.method": ("Method and provenance", "方法与来源"),
    "sub.replicates": ("Replicate spread", "重复间差异"),
    "sub.calibration": ("Calibration status", "校准状态"),
    "sub.sensitivity": ("Sensitivity of the results", "结果的敏感性"),
    "sub.decomposition": ("What the change is made of", "变化的构成"),
    "sub.more_comparisons": ("Further comparisons in this folder", "本文件夹中的其他比较"),
    "sub.by_intervention": ("By intervention", "按干预"),
    "sub.by_funder": ("By funder", "按出资方"),
    "sub.ce": ("Cost-effectiveness", "成本效果"),
    "q.effects": ("Effects", "效果"),
    "q.who": ("Who benefits", "谁受益"),
    "q.costs": ("Costs", "成本"),
    "q.sure": ("Certainty", "可靠性"),
    "q.context": ("Context", "背景"),
    # what was compared / run
    "what.compare": ("{n} scenarios were run with the same {reps} replicate seeds (common random numbers), so each "
                     "difference is paired replicate by replicate: {base} is the baseline; {alts} {verb} compared "
                     "with it.",
                     "{n}个情景使用相同的{reps}个重复随机种子（共同随机数）运行，因此每个差异都按重复逐一配对："
                     "{base}为基准；{alts}与其比较。"),
    "what.run": ("The scenario {name} was run {reps} times with different seeds.",
                 "情景{name}以不同随机种子运行了{reps}次。"),
    "what.area": ("Area: {counties} counties ({county_names}), {pilot} pilot and {comparison} comparison villages; "
                  "{persons} persons at the start; {start}–{end} ({years} years).",
                  "地区：{counties}个县（{county_names}），{pilot}个试点村和{comparison}个对照村；初始人口{persons}人；"
                  "{start}–{end}年（{years}年）。"),
    "what.scale": ("The population is scaled by {scale}: counts and costs are for the simulated population.",
                   "人口按{scale}倍缩放：人数和成本均指模拟人口。"),
    "what.interventions": ("{name}: {interventions}.", "{name}：{interventions}。"),
    "what.no_interventions": ("{name}: no interventions.", "{name}：无干预。"),
    "what.arms": ("Interventions reach the pilot villages; the comparison villages of the same run are the "
                  "counterfactual, so effects below are differences-in-differences: the change from {start} in "
                  "pilot villages minus the change in comparison villages.",
                  "干预覆盖试点村；同一次模拟中的对照村作为反事实，因此以下效果为双重差分：试点村自{start}年以来的变化"
                  "减去对照村的同期变化。"),
    "col.scenario": ("Scenario", "情景"),
    "col.description": ("Description", "说明"),
    "col.interventions": ("Interventions", "干预"),
    "col.years_active": ("Years", "年份"),
    # effects
    "effects.intro": ("Difference from {base} (mean over replicates with a 95 % interval), in the unit the outcome "
                      "is read in: percentage points (pp) for shares, index points for M0, SD for development "
                      "scores, RMB for income. A negative difference in a deprivation or poverty measure is an "
                      "improvement.",
                      "与{base}的差异（各次重复的均值及95%区间），使用各结果的原有单位：比例为百分点，M0为指数点，"
                      "发展得分为标准差，收入为元。剥夺或贫困指标的负差异表示改善。"),
    "effects.intro_arm": ("Pilot minus comparison villages, change since {start} (difference-in-differences; mean "
                          "over replicates with a 95 % interval).",
                          "试点村减对照村，自{start}年以来的变化（双重差分；各次重复的均值及95%区间）。"),
    "col.outcome": ("Outcome", "结果指标"),
    "col.at": ("+{k} years ({year})", "+{k}年（{year}年）"),
    "col.at_missing": ("+{k} years", "+{k}年"),
    "col.base": ("Baseline", "基准"),
    "col.when": ("When", "时点"),
    "col.difference": ("Difference [95 % interval]", "差异［95%区间］"),
    "not_reached": ("beyond {end}", "超出{end}年"),
    "effects.not_reached": ("The run ends in {end}: effects at {offsets} are not in this folder; run a longer "
                            "horizon (`[time] years`) to see them.",
                            "模拟在{end}年结束：本文件夹中没有{offsets}的效果；"
                            "如需查看，请延长模拟期（`[time] years`）。"),
    "effects.summary_none": ("No headline difference of {alt} has a 95 % interval that excludes zero.",
                             "{alt}的主要差异中，没有一个的95%区间排除零。"),
    "sentence.effect": ("Under {alt}, {outcome} {verb} by {amount} (95 % interval {lo} to {hi}) by {year} "
                        "compared with {base}.",
                        "在{alt}情景下，到{year}年，{outcome}比{base}{verb}{amount}（95%区间：{lo}至{hi}）。"),
    "sentence.effect_unclear": ("Under {alt}, {outcome} changes by {amount} by {year} compared with {base}, but the "
                                "95 % interval ({lo} to {hi}) includes no change.",
                                "在{alt}情景下，到{year}年，{outcome}比{base}变化{amount}，但95%区间（{lo}至{hi}）"
                                "包含零，即无法排除没有变化。"),
    "sentence.effect_one": ("Under {alt}, {outcome} {verb} by {amount} by {year} compared with {base} (one "
                            "replicate: no interval).",
                            "在{alt}情景下，到{year}年，{outcome}比{base}{verb}{amount}（仅一次重复，无区间）。"),
    "sentence.arm_effect": ("In the pilot villages of {name}, {outcome} {verb} by {amount} (95 % interval {lo} to "
                            "{hi}) more than in the comparison villages between {start} and {year}.",
                            "在{name}的试点村，{start}–{year}年间{outcome}比对照村多{verb}{amount}（95%区间：{lo}至"
                            "{hi}）。"),
    "sentence.arm_effect_unclear": ("In the pilot villages of {name}, {outcome} changes by {amount} relative to the "
                                    "comparison villages between {start} and {year}; the 95 % interval ({lo} to "
                                    "{hi}) includes no change.",
                                    "在{name}的试点村，{start}–{year}年间{outcome}相对于对照村变化{amount}；"
                                    "95%区间（{lo}至{hi}）包含零。"),
    "verb.falls": ("falls", "下降"),
    "verb.rises": ("rises", "上升"),
    "verb.are": ("are", ""),
    "verb.is": ("is", ""),
    # outcome levels (run without interventions)
    "outcomes.intro": ("Mean over replicates with the 2.5–97.5 percentile range across replicates.",
                       "各次重复的均值及重复间2.5–97.5百分位范围。"),
    "sentence.level": ("In {name}, {outcome} goes from {first} in {start} to {last} in {end}.",
                       "在{name}中，{outcome}从{start}年的{first}变为{end}年的{last}。"),
    # who benefits
    "who.intro": ("Difference from {base} at {when} by subgroup of children (mean over replicates with a 95 % "
                  "interval).", "{when}按儿童分组与{base}的差异（各次重复的均值及95%区间）。"),
    "col.subgroup": ("Subgroup", "分组"),
    "col.group": ("Group", "组"),
    "by.county": ("county", "县"),
    "by.arm": ("village arm", "村组别"),
    "by.left_behind": ("left-behind", "留守状况"),
    "by.sex": ("sex", "性别"),
    "by.generation": ("generation", "代"),
    "by.age_group": ("age group", "年龄组"),
    "sex.female": ("girls", "女童"),
    "sex.male": ("boys", "男童"),
    "sentence.who_county": ("Under {alt}, the largest fall in {outcome} by {year} is in {best} ({best_amount}); "
                            "the smallest is in {worst} ({worst_amount}).",
                            "在{alt}情景下，到{year}年{outcome}降幅最大的是{best}（{best_amount}），最小的是{worst}"
                            "（{worst_amount}）。"),
    "sentence.who_group": ("Under {alt}, {outcome} changes by {a_amount} for {a} and by {b_amount} for {b} by "
                           "{year}.", "在{alt}情景下，到{year}年{outcome}对{a}变化{a_amount}，对{b}变化{b_amount}。"),
    "who.age": ("Age groups: the effects table above gives children aged 0–5 and 6–17 separately.",
                "年龄组：上方效果表分别给出0–5岁和6–17岁儿童的结果。"),
    "who.quintile": ("Poorest quintile: not in this folder's tables (the runs write no income-quintile subgroup).",
                     "最贫困五分之一人群：本文件夹的表格中没有（模拟未输出收入五分位分组）。"),
    "who.missing_by": ("By {by}: not in this folder's tables (add it to [outputs] by).",
                       "按{by}：本文件夹的表格中没有（可在[outputs] by中添加）。"),
    "who.run": ("Counties and left-behind status are tabulated for both arms together, so effects by subgroup need "
                "a comparison of scenarios (`povsim compare`); levels in {year} follow.",
                "县和留守状况的表格合并了两个组别，因此分组效果需要情景比较（`povsim compare`）；"
                "以下为{year}年的水平。"),
    "sentence.where": ("In {year}, {outcome} ranges from {low_value} in {low} to {high_value} in {high}.",
                       "{year}年，{outcome}从{low}的{low_value}到{high}的{high_value}不等。"),
    # costs
    "costs.none": ("{name} has no interventions and no costs.", "{name}没有干预，也没有成本。"),
    "sentence.cost": ("{name} costs {total} in total ({disc} discounted to {start} at {rate}), {years}; it reaches "
                      "{children} children, {per_child} per child reached.",
                      "{name}总成本为{total}（按{rate}贴现到{start}年为{disc}），{years}；覆盖{children}名儿童，"
                      "人均{per_child}。"),
    "sentence.cost_no_reach": ("{name} costs {total} in total ({disc} discounted to {start} at {rate}), {years}.",
                               "{name}总成本为{total}（按{rate}贴现到{start}年为{disc}），{years}。"),
    "cost.years": ("spent {first}–{last}", "支出年份{first}–{last}年"),
    "sentence.cost_top": ("The largest item of {name} is {intervention} ({share} of the total); {funder} pays "
                          "{funder_share}.", "{name}最大的支出项是{intervention}（占总额{share}）；{funder}承担"
                          "{funder_share}。"),
    "sentence.ce": ("{name} costs {value} per {unit} (95 % interval {lo} to {hi}).",
                    "{name}每{unit}的成本为{value}（95%区间：{lo}至{hi}）。"),
    "sentence.ce_none": ("{name} brings no benefit on average per {unit}: no cost per unit can be given.",
                         "{name}在“每{unit}”这一指标上平均没有收益：无法给出单位成本。"),
    "sentence.ce_unbounded": ("{name} costs {value} per {unit} on average over the replicates; the outcome's own 95 % "
                              "interval includes zero, so the ratio has no interval.",
                              "{name}在各重复中平均每{unit}的成本为{value}；该结果自身的95%区间包含零，因此该比值没有区间。"),
    "ce.unit.moda_outcome_child_years": ("child-year of MODA poverty averted (outcome indicators)",
                                         "避免的儿童MODA贫困年（结果指标）"),
    "ce.unit.stunting_years": ("stunting-year averted (children aged 0–5)", "避免的发育迟缓年（0–5岁儿童）"),
    "ce.unit.delay_years": ("child-year of developmental delay averted", "避免的儿童发展滞后年"),
    "ce.unit.school_years": ("additional year of schooling in the treated cohorts", "受干预队列增加的受教育年"),
    "ce.unit.adult_poverty": ("adult relative-poverty case averted in the treated cohorts",
                              "受干预队列中避免的成年相对贫困"),
    "ce.unit.moda_all_child_years": ("child-year of MODA poverty averted (all indicators, service indicators "
                                     "included: not the default)",
                                     "避免的儿童MODA贫困年（全部指标，含服务指标：非默认）"),
    "ce.unit.child_year": ("child-year of multidimensional deprivation averted", "避免的儿童多维剥夺年"),
    "ce.unit.lifted": ("child lifted out of MODA poverty at +5 years", "+5年时脱离MODA贫困的儿童"),
    "ce.unit.adult": ("adult relative-poverty case averted in the treated cohorts", "受干预队列中避免的成年相对贫困"),
    "ce.interval_note": ("Each ratio is the ratio of the mean discounted incremental cost to the mean outcome "
                         "averted over the replicates, with a 95 % delta-method interval (t distribution, "
                         "replicates - 1 degrees of freedom); when the outcome's own interval includes zero the ratio "
                         "is not bounded and no interval is given: more replicates are needed to pin it down.",
                         "每个比值为各重复的平均贴现增量成本与平均避免结果之比，95%区间采用德尔塔法"
                         "（t分布，自由度为重复数减1）；若结果本身的区间包含零，该比值没有上下界，不给出区间：需要更多重复"
                         "才能确定该比值。"),
    "ce.outcome_note": ("The default ratios count children's states (deprivation on the MODA outcome indicators, "
                        "stunting, developmental delay, schooling, adult poverty), not the receipt of a service; the "
                        "ratio on all MODA indicators also counts the service indicators (check-up, insurance, Dibao), "
                        "which a service flips by itself, and is shown for comparison only. Costs are discounted, "
                        "benefits in years are discounted at the same rate.",
                        "默认比率以儿童的状态（MODA结果指标上的剥夺、发育迟缓、发展滞后、受教育年限、成年贫困）为结果，"
                        "而非接受服务本身；基于全部MODA指标的比率还计入服务指标（体检、医疗保险、低保），服务本身即可改变"
                        "这些指标，仅供比较。成本已贴现，以年计的收益按相同贴现率贴现。"),
    "col.intervention": ("Intervention", "干预"),
    "col.funder": ("Funder", "出资方"),
    "col.total": ("Total", "总额"),
    "col.discounted": ("Discounted", "贴现值"),
    "col.share": ("Share", "占比"),
    "col.children": ("Children reached", "覆盖儿童"),
    "col.per_child": ("Per child reached", "人均成本"),
    "col.ratio": ("Cost per", "单位成本对象"),
    "col.value": ("RMB per unit", "每单位成本"),
    "col.range": ("95 % interval", "95%区间"),
    "col.no_benefit": ("Replicates without benefit", "无收益的重复"),
    "col.measure": ("Measure", "指标"),
    "costs.no_ce": ("Cost-effectiveness: not in this folder (it comes from `povsim compare`).",
                    "成本效果：本文件夹中没有（由`povsim compare`计算）。"),
    "costs.no_funder": ("By funder: not in this folder's cost table.", "按出资方：本文件夹的成本表中没有。"),
    # how sure
    "sure.replicates": ("The folder holds {reps} replicates per scenario; {n_clear} of {n_all} headline differences "
                        "shown above have a 95 % interval that excludes zero. The interval of {outcome} at {when} "
                        "is {width} wide.",
                        "每个情景有{reps}次重复；上方{n_all}个主要差异中有{n_clear}个的95%区间排除零。{when}{outcome}的"
                        "区间宽度为{width}。"),
    "sure.replicates_run": ("The folder holds {reps} replicates; across them, {outcome} in {year} spans {lo} to "
                            "{hi}.", "本文件夹有{reps}次重复；{year}年{outcome}在各重复间为{lo}至{hi}。"),
    "sure.one_replicate": ("The folder holds one replicate: no interval can be given; run `--replicates 4` or more.",
                           "本文件夹只有一次重复，无法给出区间；请使用`--replicates 4`或更多。"),
    "sure.few_replicates": ("With {reps} replicates a 95 % interval rests on {df} degree(s) of freedom and is wide; "
                            "run `--replicates 4` or more before reading small differences.",
                            "仅有{reps}次重复时，95%区间的自由度为{df}，区间很宽；"
                            "解读较小差异前请使用`--replicates 4`或更多。"),
    "sure.intervals": ("Intervals cover replicate (stochastic) variation only: they do not include uncertainty in "
                       "the parameters, which a sensitivity study measures.",
                       "区间仅反映重复间（随机）变异，不包括参数的不确定性；后者需通过敏感性分析评估。"),
    "sure.calibration": ("The parameters are the fitted set {file}: {fit} fitting and {holdout} held-out targets were "
                         "within tolerance when it was fitted ({method}, {created}).",
                         "参数采用拟合参数集{file}：拟合时{fit}个拟合目标和{holdout}个留出目标在容差范围内（{method}，"
                         "{created}）。"),
    "sure.holdout_failed": ("{failed} held-out targets (figures not used in fitting) are missed: results that lean "
                            "on what they measure deserve caution.",
                            "有{failed}个留出目标（未用于拟合的数据）未达到：依赖这些指标的结果需谨慎解读。"),
    "sure.at_bounds": ("Parameters at a bound of their range: {params}; their values are not pinned down by the "
                       "targets.", "处于取值范围边界的参数：{params}；目标数据未能确定其取值。"),
    "sure.no_calibration": ("Calibration status: the parameters match no fitted set in calibration/fitted/; the "
                            "results are not checked against published targets.",
                            "校准状态：参数与calibration/fitted/中的任何拟合参数集都不一致；结果未与已发表的目标数据核对。"),
    "sure.targets": ("{passed} of {total} targets checked against this run are within tolerance.",
                     "本次模拟核对的{total}个目标中有{passed}个在容差范围内。"),
    "sure.targets_failed": ("Missed: {names}.", "未达到：{names}。"),
    "sure.no_sensitivity": ("Sensitivity: no sensitivity study in this folder; `povsim sensitivity` measures how "
                            "much each uncertain parameter moves these results.",
                            "敏感性：本文件夹中没有敏感性分析；`povsim sensitivity`可评估各不确定参数对结果的影响。"),
    "sure.decomposition": ("Of the change in M0 of children aged 0–5 under {alt} by {year} ({amount}), {share} comes "
                           "from dimensions that contain a service-receipt indicator ({dims}): a service flips those "
                           "indicators by itself, so that part is delivery, not a change in the child's state.",
                           "在{alt}情景下，到{year}年0–5岁儿童M0的变化（{amount}）中，有{share}来自包含服务接受指标的维度"
                           "（{dims}）：服务本身会改变这些指标，因此这部分反映的是服务提供，而非儿童状态的变化。"),
    "sure.own_share": ("Of the {amount} discounted child-years of adjusted headcount M0 averted by {alt} ({view}), "
                       "{share} come from the dimensions of its own indicators ({dims}) and the rest through other "
                       "dimensions.",
                       "{alt}避免的{amount}个贴现儿童调整后贫困发生率（M0）年（{view}）中，有{share}来自其自身指标所在的"
                       "维度（{dims}），其余来自其他维度。"),
    "moda.view.all": ("all indicators", "全部指标"),
    "moda.view.outcome": ("outcome indicators only", "仅结果指标"),
    "sure.decomposition_table": ("Change in M0 of children aged 0–5 by dimension (contribution × M0), {alt} minus "
                                 "{base}, {year}.", "{year}年0–5岁儿童M0按维度的变化（贡献×M0），{alt}减{base}。"),
    "sure.no_decomposition": ("Indicator decomposition: the folder has no MODA dimension tables.",
                              "指标分解：本文件夹没有MODA维度表。"),
    "sure.service": ("service receipt", "服务接受"),
    "sure.state": ("child's state", "儿童状态"),
    "col.dimension": ("Dimension", "维度"),
    "col.kind": ("Kind", "类型"),
    "col.indicators": ("Indicators (* service receipt)", "指标（*为服务接受）"),
    "col.change": ("Change", "变化"),
    # sensitivity / calibration / batch
    "what.sensitivity": ("Method {method}; {params} parameters; {points} sample points; outputs: {outputs}.",
                         "方法：{method}；{params}个参数；{points}个样本点；输出：{outputs}。"),
    "sentence.driver": ("For {output}, the most influential parameter is {param} ({index} = {value}); then {others}.",
                        "对{output}影响最大的参数是{param}（{index} = {value}）；其次是{others}。"),
    "sentence.driver_one": ("For {output}, the most influential parameter is {param} ({index} = {value}).",
                            "对{output}影响最大的参数是{param}（{index} = {value}）。"),
    "sure.convergence": ("{settled} of {total} indices are settled (they change by less than max(0.05, their "
                         "interval) between N/2 and N samples).",
                         "{total}个指数中有{settled}个已稳定（从N/2到N个样本的变化小于max(0.05, 置信区间)）。"),
    "sure.noise": ("Seed noise: the within-point variance is {ratio} of the variance between points for {output}.",
                   "随机种子噪声：对{output}，点内方差为点间方差的{ratio}。"),
    "col.parameter": ("Parameter", "参数"),
    "col.output": ("Output", "输出"),
    "col.index": ("Index", "指数"),
    "col.interval": ("Interval", "区间"),
    "what.calibrate": ("{n} targets ({fit} used in fitting, {holdout} held out); {params} free parameters; method "
                       "{method}.",
                       "{n}个目标（{fit}个用于拟合，{holdout}个留出）；{params}个自由参数；方法：{method}。"),
    "col.target": ("Target", "目标"),
    "col.use": ("Use", "用途"),
    "col.observed": ("Target value", "目标值"),
    "col.simulated": ("Simulated [interval]", "模拟值［区间］"),
    "col.tolerance": ("Tolerance", "容差"),
    "col.check": ("Check", "核对"),
    "col.fit": ("Fit", "拟合值"),
    "col.bounds": ("Bounds", "范围"),
    "col.se": ("Approx. SE", "近似标准误"),
    "use.fit": ("fitting", "拟合"),
    "use.holdout": ("held out", "留出"),
    "check.pass": ("pass", "通过"),
    "check.fail": ("FAIL", "未通过"),
    "sentence.targets": ("{fit_passed} of {fit_total} fitting targets and {hold_passed} of {hold_total} held-out "
                         "targets are within tolerance.",
                         "{fit_total}个拟合目标中有{fit_passed}个、{hold_total}个留出目标中有{hold_passed}个在容差范围内。"),
    "sentence.params_bounds": ("{n} parameters end at a bound: {names}.", "{n}个参数处于边界：{names}。"),
    "sentence.params_wide": ("{n} parameters have an SE wider than half their range: {names}.",
                             "{n}个参数的标准误超过其范围的一半：{names}。"),
    "what.batch": ("{runs} runs: {scenarios} scenarios × {points} parameter points × {reps} replicates; {done} "
                   "finished, {failed} failed.",
                   "共{runs}次运行：{scenarios}个情景 × {points}个参数点 × {reps}次重复；"
                   "完成{done}次，失败{failed}次。"),
    "batch.outcomes": ("Mean over all runs of a scenario (parameter points and seeds together) with the 2.5–97.5 "
                       "percentile range.", "各情景全部运行（参数点和随机种子）的均值及2.5–97.5百分位范围。"),
    "col.range95": ("Mean [2.5–97.5 %]", "均值［2.5–97.5%］"),
    # figures
    "figures.intro": ("Each figure answers one of the questions above; the full pack ({n} figures at 300 dpi, "
                      "vector formats too) is in figures/.",
                      "每张图回答上文的一个问题；完整图集（{n}张，每英寸300点，另有矢量格式）位于figures/。"),
    "figures.more": ("Also in figures/, not shown here: {stems}.", "figures/中另有（此处未显示）：{stems}。"),
    "figure": ("Figure {k}", "图{k}"),
    "figures.none": ("No figure could be drawn from this folder's tables.", "无法根据本文件夹的表格绘制图表。"),
    # figure captions (one sentence each, from the data)
    "cap.trend": ("{what}: {first} in {start}; in {end}, {ends}.", "{what}：{start}年为{first}；{end}年，{ends}。"),
    "cap.trend_item": ("{value} under {name}", "{name}为{value}"),
    "cap.differences": ("Differences from {base} at the end of the programme with 95 % intervals: {n_clear} of {n} "
                        "exclude zero; the largest improvement is in {outcome} under {alt} ({amount}).",
                        "项目结束时与{base}的差异及95%区间：{n}个中有{n_clear}个排除零；改善最大的是{alt}情景下的{outcome}"
                        "（{amount}）。"),
    "cap.costs": ("Programme costs by year and intervention (undiscounted, 2014 prices): {items}.",
                  "按年份和干预措施分列的项目成本（未贴现，2014年价格）：{items}。"),
    "cap.costs_item": ("{name} spends {total} in all, {share} of it on {largest}",
                       "{name}共支出{total}，其中{share}用于{largest}"),
    "cap.ce_plane": ("One point per replicate: {items}.", "每个点代表一次重复：{items}。"),
    "cap.ce_item": ("{alt} costs {cost_lo} to {cost_hi} more (discounted) and averts {eff_lo} to {eff_hi} child-years "
                    "of multidimensional deprivation",
                    "{alt}多花费{cost_lo}至{cost_hi}（贴现），避免{eff_lo}至{eff_hi}个儿童多维剥夺年"),
    "cap.by_arm": ("{outcome} in pilot and comparison villages of {name}: {pilot} and {comparison} in {year}.",
                   "{name}试点村和对照村的{outcome}：{year}年分别为{pilot}和{comparison}。"),
    "cap.dimensions": ("In {year}, the most common deprivation of children aged 0–5 in {name} is {dim} ({value}); the "
                       "least common is {dim2} ({value2}).",
                       "{year}年，{name}中0–5岁儿童最常见的剥夺是{dim}（{value}），最少见的是{dim2}（{value2}）。"),
    "cap.transition": ("Of persons who were income-poor as children in {name}, {poor} are poor as adults, against "
                       "{nonpoor} of those who were not.",
                       "在{name}中，儿童期收入贫困者成年后有{poor}仍贫困，而儿童期非贫困者中这一比例为{nonpoor}。"),
    "cap.calibration": ("{passed} of {n} calibration targets lie within tolerance of the simulated value.",
                        "{n}个校准目标中有{passed}个与模拟值的差距在容差范围内。"),
    "cap.indices": ("Sensitivity indices of {output}: {param} has the largest index ({index} = {value}).",
                    "{output}的敏感性指数：{param}的指数最大（{index} = {value}）。"),
    # method
    "method.text": ("povsim simulates every person of the area year by year (demography, income, nutrition and "
                    "health, development, schooling, migration, interventions); MODA (UNICEF's Multiple "
                    "Overlapping Deprivation Analysis) measures child deprivation. The model is described in "
                    "ODD form in docs/model.md; every parameter's value, range and source is listed by "
                    "`povsim describe`.",
                    "povsim逐年模拟该地区的每一个人（人口、收入、营养与健康、发展、教育、迁移、干预）；儿童剥夺采用MODA"
                    "（联合国儿童基金会多重重叠剥夺分析）衡量。模型按ODD规范描述于docs/model.md；各参数的取值、范围和来源"
                    "可用`povsim describe`查看。"),
    "prov.version": ("povsim version", "povsim版本"),
    "prov.commit": ("Git commit", "Git提交"),
    "prov.created": ("Created", "生成时间"),
    "prov.command": ("Command line", "命令行"),
    "prov.scenario_files": ("Scenario files", "情景文件"),
    "prov.seeds": ("Seeds", "随机种子"),
    "prov.folder": ("Results folder", "结果文件夹"),
    "prov.odd": ("Model description (ODD)", "模型描述（ODD）"),
    "prov.python": ("Python", "Python"),
    "col.item": ("Item", "项目"),
    "col.detail": ("Value", "内容"),
    "dirty": (" (uncommitted changes)", "（有未提交的修改）"),
    # missing
    "missing": ("Not in this folder: {what}.", "本文件夹中没有：{what}。"),
    "missing.costs": ("cost tables (the scenario has interventions, but no costs.csv was written)",
                      "成本表（情景有干预，但未写出costs.csv）"),
    "missing.effects": ("no outcome table with the headline measures", "包含主要指标的结果表"),
    "missing.indices": ("sensitivity indices", "敏感性指数"),
    "missing.targets": ("target checks", "目标核对"),
    "missing.design": ("the batch design (design.json, keyspace.csv)", "批量实验设计（design.json、keyspace.csv）"),
    "n/a": ("n/a", "无"),
    "and": (" and ", "和"),
    "list_sep": (", ", "、"),
}


def msg(key: str, lang: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in.

    Raises
    ------
    KeyError
        Unknown key (a programming error: every message is declared in :data:`MESSAGES`).
    """
    text = MESSAGES[key][1 if lang == "zh" else 0]
    return text.format(**values) if values else text


def join(items: list[str], lang: str) -> str:
    """``a, b and c`` / ``a、b和c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return msg("list_sep", lang).join(items[:-1]) + msg("and", lang) + items[-1]
