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

__all__ = ["MESSAGES", "TERMS_ZH", "msg", "number_word", "term"]

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
#: a plan's outcome measures (:data:`povsim.plan.measures.MEASURES`) and their units
PLAN_MEASURES = {
    "objective": ("the plan's weighted objective", "规划的加权目标"),
    "stunting_years": ("child-years of stunting averted", "避免的发育迟缓儿童年"),
    "delay_years": ("child-years of developmental delay averted", "避免的发育迟滞儿童年"),
    "moda_m0_child_years": ("outcome-MODA M0 child-years averted", "避免的结果MODA M0儿童年"),
    "moda_poor_child_years": ("child-years of outcome-MODA poverty averted", "避免的结果MODA贫困儿童年"),
    "school_years": ("years of schooling gained by the treated cohorts", "受干预队列增加的受教育年数"),
    "junior_high_completers": ("more junior-high completers in the treated cohorts", "受干预队列增加的初中毕业人数"),
    "adult_poor": ("adults of the treated cohorts kept out of relative poverty", "受干预队列中避免成年相对贫困的人数"),
}
#: a plan's decision units
PLAN_UNITS = {"village": ("village", "村"), "township": ("township", "乡镇"), "county": ("county", "县")}
LEFT_BEHIND = {"left behind": ("left-behind children", "留守儿童"),
               "not left behind": ("children not left behind", "非留守儿童")}
SEX = {"female": ("girls", "女童"), "male": ("boys", "男童")}

#: exact-match terms for figure labels (:func:`povsim.report.translate`)
TERMS_ZH: dict[str, str] = {**COUNTIES_ZH, **DIMENSIONS_ZH, **{k: v[1] for k, v in SCENARIOS.items()},
                            **{k: v[1] for k, v in INTERVENTIONS.items() if k != "all"},
                            # interventions as figure legends label them (underscores as spaces)
                            **{k.replace("_", " "): v[1] for k, v in INTERVENTIONS.items() if k != "all"},
                            "pilot": "试点村", "comparison": "对照村", "social protection": "社会保护",
                            "current": "现行分配",  # the current allocation in a plan's figures
                            "control": "对照组",  # a virtual trial's control arm
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
    if kind == "method":
        return METHODS_ZH.get(name, name) if lang == "zh" else name
    if kind == "plan_measure":
        return PLAN_MEASURES.get(name, (name.replace("_", " "), name))[1 if lang == "zh" else 0]
    table = {"intervention": INTERVENTIONS, "funder": FUNDERS, "scenario": SCENARIOS, "left_behind": LEFT_BEHIND,
             "sex": SEX, "plan_unit": PLAN_UNITS}[kind]
    if name in table:
        return table[name][1 if lang == "zh" else 0]
    return name.replace("_", " ") if kind in ("intervention", "funder") else name


# -- messages ---------------------------------------------------------------------------
#: key -> (English, Chinese); ``{placeholders}`` are filled by :func:`msg`
MESSAGES: dict[str, tuple[str, str]] = {
    # titles
    "title.compare": ("Brief: {alts} compared with {base}", "简报：{alts}与{base}的比较"),
    "title.run": ("Brief: {name}", "简报：{name}"),
    "title.batch": ("Brief: batch experiment {name}", "简报：批量实验 {name}"),
    "title.sensitivity": ("Brief: sensitivity study {name}", "简报：敏感性分析 {name}"),
    "title.calibrate": ("Brief: calibration {name}", "简报：校准 {name}"),
    "title.plan": ("Brief: plan {name}", "简报：规划 {name}"),
    "title.trial": ("Brief: virtual trial {name}", "简报：虚拟试验 {name}"),
    "subtitle": ("povsim {version} · {created} · {replicates} replicates",
                 "povsim {version} · {created} · {replicates}次重复"),
    "page": ("page {i} of {n}", "第{i}页，共{n}页"),
    # sections
    "sec.what.compare": ("What was compared", "比较了什么"),
    "sec.what.run": ("What was run", "模拟了什么"),
    "sec.what.batch": ("What was run", "运行了什么"),
    "sec.what.sensitivity": ("What was studied", "研究了什么"),
    "sec.what.calibrate": ("What was fitted", "拟合了什么"),
    "sec.what.plan": ("What was planned", "规划了什么"),
    "sec.what.trial": ("What was tested", "检验了什么"),
    "sec.trial_results": ("The model beside the published trial", "模型与已发表试验的对比"),
    "sec.assumptions": ("Assumptions and notes", "假设与说明"),
    "sec.allocation": ("The recommended allocation", "推荐的分配方案"),
    "sec.frontier": ("What each budget buys", "不同预算的效果"),
    "sec.gains": ("Expected gains, verified in the full model", "预期收益（完整模型验证）"),
    "sec.versus": ("Against the real programme", "与实际项目的比较"),
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
    "col.when": ("When", "时点"),
    "col.difference": ("Difference [95 % interval]", "差异［95%区间］"),
    "not_reached": ("beyond {end}", "超出{end}年"),
    "effects.not_reached": ("The run ends in {end}: effects at {offsets} are not in this folder; run a longer "
                            "horizon (`[time] years`) to see them.",
                            "模拟在{end}年结束：本文件夹中没有{offsets}的效果；"
                            "如需查看，请延长模拟期（`[time] years`）。"),
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
    # plan (povsim plan)
    "what.plan": ("The plan `{name}` sets, for each of {villages} {decide} (decided by {unit}), the level of {n} "
                  "interventions: {interventions}. Outcomes are counted over {horizon} years; costs are discounted "
                  "at {rate}.",
                  "规划`{name}`为{villages}个{decide}（按{unit}决策）分别确定{n}项干预的实施水平：{interventions}。"
                  "结果统计{horizon}年，成本按{rate}贴现。"),
    "what.plan_budget": ("Budget levels: {levels} over the programme; the main plan is the one at {main}.",
                         "预算水平（项目期合计）：{levels}；主方案为{main}的方案。"),
    "what.plan_scale": ("The simulated area is smaller than the real one: the current allocation costs {simulated} in "
                        "the model for {reference} in reality, so 1 RMB of the plan is {factor} simulated RMB and "
                        "the plan and the real allocation are compared at equal cost.",
                        "模拟地区小于实际地区：现行分配在模型中的成本为{simulated}，实际为{reference}，因此规划中的1元"
                        "相当于模拟中的{factor}元，规划与实际分配在同等成本下比较。"),
    "what.plan_objective": ("Objective: {sense} — {weights}; {risk}. Gains are improvements over no programme, "
                            "summed over the decided villages.",
                            "目标：{sense}——{weights}；{risk}。收益为相对无项目情景的改善，在所决策的村中加总。"),
    "plan.sense.maximise_outcome": ("the largest weighted outcome within the budget", "在预算内使加权结果最大"),
    "plan.sense.minimise_cost": ("the lowest cost that reaches the target", "以最低成本达到目标"),
    "plan.risk.expected": ("the expected value over parameter draws and seeds is optimised",
                           "优化参数抽样和随机种子上的期望值"),
    "plan.risk.cvar": ("the CVaR at {level} (the mean of the worst {tail} of parameter draws and seeds) is optimised",
                       "优化{level}水平的条件风险价值（最差{tail}参数抽样和随机种子的均值）"),
    "plan.weight": ("{measure} × {weight}", "{measure} × {weight}"),
    "what.plan_method": ("Method: {runs} model runs with village levels randomised inside each run ({draws} parameter "
                         "draws × {seeds} seeds, common random numbers), response surfaces for {types} village types, "
                         "an exact mixed-integer program (`HiGHS`), and {reps} fresh replicates in the full model to "
                         "verify the chosen allocations.",
                         "方法：共{runs}次模型运行，每次运行中各村的干预水平随机设定（{draws}个参数抽样 × {seeds}个随机"
                         "种子，共同随机数）；为{types}类村拟合响应面；以精确混合整数规划（`HiGHS`）求解；并在完整模型中用"
                         "{reps}个新的重复验证所选方案。"),
    "plan.alloc": ("At {budget}, the main plan serves {served} of {villages} villages with {sites} intervention sites "
                   "and costs {cost} ({share} of the budget); its largest item is {top} ({top_share}).",
                   "在{budget}预算下，主方案覆盖{villages}个村中的{served}个，共{sites}个干预点，成本为{cost}"
                   "（占预算{share}）；最大支出项为{top}（{top_share}）。"),
    "plan.alloc_current": ("The current allocation serves {served} villages with {sites} sites of the interventions "
                           "this plan decides.", "现行分配中，本规划所决策的干预覆盖{served}个村，共{sites}个干预点。"),
    "plan.alternative": ("A simpler plan within {within} of the optimum needs {sites} sites instead of {sites_opt} and "
                         "{interventions} interventions; its expected outcome is {expected} against {expected_opt}.",
                         "在最优值{within}以内的更简方案只需{sites}个干预点（最优方案为{sites_opt}个），使用{interventions}"
                         "项干预；其期望结果为{expected}（最优方案为{expected_opt}）。"),
    "plan.rollout": ("Where capacity limits the pace, serve first {names} (the most outcome per RMB).",
                     "如能力限制实施进度，应优先覆盖{names}（每元投入结果最高）。"),
    "sub.by_place": ("By place", "按地区"),
    "sub.by_village": ("By village: level under the plan (current allocation in brackets)",
                       "按村：规划方案的实施水平（括号内为现行分配）"),
    "col.villages": ("Villages", "村数"),
    "col.served_plan": ("Villages served (plan)", "覆盖村数（规划）"),
    "col.served_current": ("Villages served (current)", "覆盖村数（现行）"),
    "col.level_plan": ("Mean level where served", "覆盖村平均水平"),
    "col.cost_plan": ("Cost (plan)", "成本（规划）"),
    "col.county": ("County", "县"),
    "col.village": ("Village", "村"),
    "col.plan": ("Plan", "方案"),
    "col.budget": ("Budget", "预算"),
    "col.cost": ("Cost", "成本"),
    "col.expected": ("Expected outcome", "期望结果"),
    "col.cvar": ("CVaR", "条件风险价值"),
    "col.sites": ("Sites", "干预点"),
    "col.gap": ("Optimality gap", "最优性间隙"),
    "col.greedy": ("Greedy split, same budget", "同预算贪心分配"),
    "col.allocation": ("Allocation", "分配方案"),
    "col.surrogate": ("Surrogate", "代理模型"),
    "col.model": ("Full model [95 % interval]", "完整模型［95%区间］"),
    "col.error": ("Error", "误差"),
    "col.p_better": ("Better in", "占优比例"),
    "col.main_minus_current": ("Main plan − current [95 % interval]", "主方案 − 现行分配［95%区间］"),
    "plan.frontier": ("As the budget goes from {lo} to {hi}, the best expected outcome rises from {e_lo} to {e_hi} "
                      "(plan's weighted objective); at the top, 5–95 % of parameter draws and seeds lie between "
                      "{b_lo} and {b_hi}.",
                      "预算从{lo}增加到{hi}时，最优期望结果从{e_lo}上升到{e_hi}（规划的加权目标）；在最高预算处，"
                      "5–95%的参数抽样和随机种子位于{b_lo}至{b_hi}之间。"),
    "plan.frontier_greedy": ("At {budget}, the greedy split (the heuristic of other planners) reaches {greedy} "
                             "against the exact optimum's {expected}.",
                             "在{budget}预算下，贪心分配（其他规划工具所用的启发式方法）达到{greedy}，精确最优解为"
                             "{expected}。"),
    "plan.shadow": ("At {budget}, one more million RMB buys {value} outcome units (the plan re-solved with 5 % more "
                    "budget).", "在{budget}预算下，每增加一百万元可多获得{value}个结果单位（预算增加5%后重新求解）。"),
    "plan.shadow_zero": ("At {budget}, more money buys nothing more: the plan spends {cost}, and what binds is "
                         "{binding}.", "在{budget}预算下，增加资金不再带来收益：方案只支出{cost}，起约束作用的是"
                         "{binding}。"),
    "plan.binding": ("Binding constraints: {names}.", "起约束作用的条件：{names}。"),
    "plan.gains_intro": ("Each chosen allocation was re-run in the full model on {reps} fresh seeds, each with its own "
                         "parameter draw, paired with the baseline of the same seed (common random numbers). Gains are "
                         "improvements over no programme summed over the decided villages: mean with a 95 % interval "
                         "over replicates.",
                         "每个所选方案都在完整模型中用{reps}个新的随机种子（各有其参数抽样）重新运行，并与同一种子的基准"
                         "情景配对（共同随机数）。收益为相对无项目情景的改善在所决策村中的加总：给出各重复的均值及95%区间。"),
    "plan.gain": ("In the full model, {alloc} improves {measure} by {value} (95 % interval {lo} to {hi}) over the "
                  "baseline; the surrogate predicted {surrogate}.",
                  "在完整模型中，{alloc}使{measure}比基准改善{value}（95%区间：{lo}至{hi}）；代理模型的预测为{surrogate}。"),
    "plan.gain_unclear": ("In the full model, {alloc} changes {measure} by {value} over the baseline, but the 95 % "
                          "interval ({lo} to {hi}) includes no gain; the surrogate predicted {surrogate}.",
                          "在完整模型中，{alloc}使{measure}比基准变化{value}，但95%区间（{lo}至{hi}）包含零；"
                          "代理模型的预测为{surrogate}。"),
    "plan.by_measure": ("Gains by measure over the baseline (mean [95 % interval] over replicates).",
                        "按指标的相对基准收益（各重复的均值［95%区间］）。"),
    "plan.alloc.current": ("the current allocation", "现行分配"),
    "plan.alloc.plan": ("the plan at {budget}", "{budget}预算的方案"),
    "plan.alloc.min_cost": ("the least-cost plan", "最低成本方案"),
    "plan.alloc.alternative": ("the simplest plan within {within} of the optimum", "最优值{within}以内的最简方案"),
    "plan.versus_intro": ("The current allocation is the real programme as the scenario {scenario} describes it: "
                          "{served} of {villages} villages receive the interventions this plan decides, at a cost of "
                          "{cost} (the plan's RMB).",
                          "现行分配即情景{scenario}所描述的实际项目：{villages}个村中有{served}个接受本规划所决策的干预，"
                          "成本为{cost}（规划口径）。"),
    "plan.versus_extra": ("The current allocation also uses {extra}, which this plan does not decide: its surrogate "
                          "prediction leaves them out, its model result and cost include them.",
                          "现行分配还使用了本规划不决策的{extra}：其代理模型预测不包括这些干预，但其模型结果和成本包括。"),
    "plan.beats": ("In the full model, {main} minus the current allocation is {diff} on the plan's objective (95 % "
                   "interval {lo} to {hi}), better in {p} of replicates: the plan beats the real allocation with an "
                   "interval that excludes zero.",
                   "在完整模型中，{main}减现行分配在规划目标上为{diff}（95%区间：{lo}至{hi}），在{p}的重复中更优："
                   "规划方案优于实际分配，且区间排除零。"),
    "plan.not_beats": ("In the full model, {main} minus the current allocation is {diff} on the plan's objective (95 % "
                       "interval {lo} to {hi}), better in {p} of replicates: the plan does not beat the real "
                       "allocation with an interval that excludes zero.",
                       "在完整模型中，{main}减现行分配在规划目标上为{diff}（95%区间：{lo}至{hi}），在{p}的重复中更优："
                       "规划方案未能以排除零的区间优于实际分配。"),
    "plan.worse": ("In the full model, {main} minus the current allocation is {diff} on the plan's objective (95 % "
                   "interval {lo} to {hi}): the real allocation does better, with an interval that excludes zero.",
                   "在完整模型中，{main}减现行分配在规划目标上为{diff}（95%区间：{lo}至{hi}）：实际分配更优，且区间"
                   "排除零。"),
    "plan.no_versus": ("The folder has no paired verification of the main plan against the current allocation.",
                       "本文件夹没有主方案与现行分配的配对验证。"),
    "plan.surrogate_p": ("Across the design's parameter draws and seeds, the surrogate puts the main plan ahead of "
                         "{versus} in {p} of {n} scenarios.",
                         "在设计的参数抽样和随机种子中，代理模型显示主方案在{n}个情景中的{p}优于{versus}。"),
    "plan.versus.greedy split": ("the greedy split", "贪心分配"),
    "plan.versus.current allocation": ("the current allocation", "现行分配"),
    "plan.versus.alternative": ("the simplest plan within {within}", "{within}以内的最简方案"),
    "plan.sure_error": ("The surrogate's error on the verified allocations (model minus prediction) ranges from {lo} "
                        "to {hi} ({rlo} to {rhi} of the prediction): read the frontier's small differences with that "
                        "in mind.",
                        "代理模型在已验证方案上的误差（模型减预测）为{lo}至{hi}（占预测的{rlo}至{rhi}）：解读效率前沿上的"
                        "小差异时需考虑这一点。"),
    "plan.sure_gap": ("Every allocation was solved to optimality on the surrogate (largest gap {gap}).",
                      "所有方案均在代理模型上求得最优解（最大间隙{gap}）。"),
    "plan.sure_gap_open": ("{n} of {total} solves stopped before optimality (largest gap {gap}): the plan may be "
                           "short of the optimum by up to that share.",
                           "{total}次求解中有{n}次在达到最优前停止（最大间隙{gap}）：方案与最优解的差距可能达此比例。"),
    "plan.sure_stability": ("{n} of {total} villages keep the plan's levels in fewer than half of the parameter draws "
                            "and seeds: their allocation depends on what is uncertain.",
                            "{total}个村中有{n}个在不到一半的参数抽样和随机种子下保持规划水平：其分配取决于不确定因素。"),
    "plan.sure_few": ("The verification rests on {reps} replicates and the design on {scen} parameter draws × seeds: "
                      "intervals are wide; raise `[verify] replicates` and `[design] draws` before acting on small "
                      "differences.",
                      "验证仅基于{reps}个重复，设计仅基于{scen}个参数抽样×随机种子：区间很宽；据较小差异决策前，请增加"
                      "`[verify] replicates`和`[design] draws`。"),
    "plan.sure_draws": ("Parameter draws come from {file} and the plausible ranges of {params}.",
                        "参数抽样来自{file}以及{params}的合理取值范围。"),
    "plan.sure_model": ("Outcomes are the model's: the plan is as good as the intervention effects and costs the "
                        "model carries (`povsim describe` lists each with its source).",
                        "结果来自模型：规划的可靠性取决于模型所采用的干预效果和成本"
                        "（`povsim describe`列出了各项及其来源）。"),
    "missing.plan": ("the plan's tables (plans.csv, villages.csv, allocation.csv)",
                     "规划表格（plans.csv、villages.csv、allocation.csv）"),
    "missing.verification": ("the verification in the full model (verification.csv)",
                             "完整模型验证（verification.csv）"),
    "cap.frontier": ("Best expected outcome at each budget from {lo} to {hi} ({e_lo} to {e_hi}), with the 5–95 % band "
                     "across parameter draws and seeds, the CVaR-optimal plan, the greedy split and the current "
                     "allocation.",
                     "{lo}至{hi}各预算水平下的最优期望结果（{e_lo}至{e_hi}），及参数抽样和随机种子间的5–95%范围、条件风险价值"
                     "最优方案、贪心分配和现行分配。"),
    "cap.allocation": ("Level of each intervention in each of {villages} villages under the main plan ({served} "
                       "served) beside the current allocation.",
                       "主方案下{villages}个村中每项干预的实施水平（覆盖{served}个村），与现行分配并列。"),
    "cap.verification": ("The full model's result (mean, 95 % interval over {reps} replicates) beside the surrogate's "
                         "prediction for {n} allocations; errors from {lo} to {hi}.",
                         "{n}个方案的完整模型结果（{reps}个重复的均值及95%区间）与代理模型预测并列；误差为{lo}至{hi}。"),
    "cap.marginal": ("Outcome per extra million RMB at the main plan; the last level bought returns most for {top} "
                     "({value} per million RMB).",
                     "主方案的每百万元边际结果；已购最后一档收益最高的是{top}（每百万元{value}）。"),
    "cap.stability": ("Share of parameter draws and seeds whose own optimum gives a village the plan's levels: "
                      "median {median}, lowest {low}.",
                      "各村在参数抽样和随机种子下自身最优解与规划水平一致的比例：中位数{median}，最低{low}。"),
    # virtual trial (povsim trial)
    "what.trial": ("The virtual trial `{name}` re-runs a published study inside the simulated population{title}: host "
                   "world {scenario}, {persons} persons per replicate, {reps} replicates (seed {seed}); on average "
                   "{n_c} control and {n_t} treated children per replicate and outcome.",
                   "虚拟试验`{name}`在模拟人口中重现一项已发表的研究{title}：宿主情景为{scenario}，每次重复{persons}人，"
                   "共{reps}次重复（随机种子{seed}）；每次重复、每个结果平均有对照组{n_c}名、干预组{n_t}名儿童。"),
    "what.trial_source": ("Source: {source}.", "来源：{source}。"),
    "trial.summary": ("Of {total} outcomes, {n} have a published 95 % interval; the model's mean lies within it for "
                      "{passed}.", "{total}个结果中有{n}个有已发表的95%区间；其中模型均值落在区间内的有{passed}个。"),
    "trial.pass": ("{outcome}: the model's mean estimate {model} (95 % replicate interval {lo} to {hi}) lies within "
                   "the published 95 % interval ({slo} to {shi}) around {source}.",
                   "{outcome}：模型的平均估计值为{model}（95%重复区间：{lo}至{hi}），落在已发表估计值{source}的95%区间"
                   "（{slo}至{shi}）内。"),
    "trial.fail": ("{outcome}: the model's mean estimate {model} (95 % replicate interval {lo} to {hi}) lies outside "
                   "the published 95 % interval ({slo} to {shi}) around {source}.",
                   "{outcome}：模型的平均估计值为{model}（95%重复区间：{lo}至{hi}），落在已发表估计值{source}的95%区间"
                   "（{slo}至{shi}）之外。"),
    "trial.no_source": ("{outcome}: the model estimates {model} (95 % replicate interval {lo} to {hi}); the source "
                        "gives no interval to check it against.",
                        "{outcome}：模型估计值为{model}（95%重复区间：{lo}至{hi}）；来源未给出可供核对的区间。"),
    "trial.criterion": ("Check: pass when the model's mean over replicates lies within the published 95 % confidence "
                        "interval. The replicate interval is the spread of the study's estimator at the study's own "
                        "sample size (compare it with the width of the published interval); the mean's interval is "
                        "how precisely the replicates pin down the model's mean.",
                        "核对标准：模型各重复的均值落在已发表的95%置信区间内即为通过。重复区间是研究估计量在研究自身样本量"
                        "下的离散程度（可与已发表区间的宽度比较）；均值区间表示各重复对模型均值的确定程度。"),
    "trial.no_assumptions": ("The trial file states no assumptions.", "试验文件未列出假设。"),
    "trial.assumptions_elsewhere": ("The trial file's {n} assumptions and notes are written in English: see {file}.",
                                    "试验文件中的{n}条假设和说明以英文撰写，见{file}。"),
    "trial.sure_model": ("The trial runs through the model's own intervention effects and host population: an outcome "
                         "outside the published interval says that the effect sizes, the host population or the "
                         "study's setting differ (see the assumptions), not that the study was wrong.",
                         "虚拟试验通过模型自身的干预效果和宿主人口运行：结果落在已发表区间之外，说明效果大小、宿主人口或"
                         "研究环境存在差异（见假设），而非该研究有误。"),
    "col.estimator": ("Estimator", "估计量"),
    "col.model_replicates": ("Model mean [95 % replicate interval]", "模型均值［95%重复区间］"),
    "col.model_mean_ci": ("95 % interval of the mean", "均值的95%区间"),
    "col.published": ("Published [95 % CI]", "已发表［95%置信区间］"),
    "col.n_arms": ("Children: control / treated", "儿童：对照/干预"),
    "missing.trial": ("the trial's tables (trial_summary.csv)", "试验表格（trial_summary.csv）"),
    "cap.forest": ("The model (circle, 95 % replicate interval) beside the published estimate (square, 95 % CI) for "
                   "{n} outcomes; the model's mean lies within the published interval for {passed} of {checked}.",
                   "{n}个结果的模型估计（圆点，95%重复区间）与已发表估计（方块，95%置信区间）并列；{checked}个中有"
                   "{passed}个的模型均值落在已发表区间内。"),
    "cap.trial_trajectories": ("Measured score, latent cognitive skill and height-for-age of the children of {arms} "
                               "by years since the start ({reps} replicates: mean and range).",
                               "{arms}儿童的测量得分、潜在认知能力和年龄别身高Z评分随试验开始后年数的变化（{reps}次重复："
                               "均值和范围）。"),
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
