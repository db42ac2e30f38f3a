"""The figure pack and policy brief of a results folder (``povsim report``).

Reads only the saved tables and ``manifest.json`` of a ``povsim run``, ``povsim compare``
or ``povsim sensitivity`` folder — nothing is re-run — and writes, atomically, into
``<folder>/report`` (or ``out``):

- ``figures/<stem>.png`` (300 dpi) plus vector formats (``svg``; ``pdf`` when asked);
- ``brief.html``, ``brief.md`` and, when ``pdf`` is among the formats, ``brief.pdf`` (A4):
  the brief organised by the planner's questions, written by :mod:`povsim.brief`;
- ``key_numbers.csv``: headline measures at the first and last year.

``lang="zh"`` labels the figures and brief in Chinese; it needs a CJK font that matplotlib
can find (:data:`CJK_FONTS`), otherwise :class:`ReportError` names the fonts looked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from povsim.errors import PovsimError

__all__ = [
    "CJK_FONTS",
    "FORMATS",
    "LazyTables",
    "ReportError",
    "ReportFigure",
    "Results",
    "build_figures",
    "find_cjk_font",
    "finish_figure",
    "font_rc",
    "key_numbers",
    "load_results",
    "translate_figure",
    "write_report",
]

#: output formats of the figures (PNG is always written: the brief embeds it)
FORMATS = ("png", "svg", "pdf")
#: font families tried, in order, for Chinese labels
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Noto Serif CJK SC", "Source Han Sans SC",
             "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


class ReportError(PovsimError):
    """The results folder cannot be reported on (missing, empty, unknown layout), or a
    requested format or language is unavailable."""


# -- translation -----------------------------------------------------------------------
#: English -> Chinese for titles, axis labels, legends and the brief (longest match first)
ZH: dict[str, str] = {
    "Intergenerational transmission of poverty": "贫困的代际传递",
    "Childhood poverty by generation (whiskers: replicate range)": "各代儿童期贫困（须线：重复范围）",
    "Cost-effectiveness plane (each point a replicate; ring = mean)": "成本效果平面（每点为一次重复；圆圈为均值）",
    "Child-years of multidimensional deprivation averted (discounted)": "避免的儿童多维剥夺年数（贴现）",
    "Incremental cost (million RMB, 2014 prices, discounted)": "增量成本（百万元，2014年价格，贴现）",
    "Difference from base (percentage points; M0 x 100), mean and 95% interval":
        "与基准的差异（百分点；M0 x 100），均值及95%区间",
    "P(adult status | childhood status)": "P(成年状态 | 儿童期状态)",
    "MODA multidimensional poverty H": "MODA多维贫困发生率H",
    "MODA adjusted headcount M0": "MODA调整后贫困指数M0",
    "Deprivation by dimension": "各维度剥夺",
    "Number of deprivations per child": "每名儿童的剥夺维度数",
    "Number of dimensions deprived": "剥夺维度数",
    "MODA deprivation and income poverty": "MODA剥夺与收入贫困",
    "Overlapping deprivations": "重叠剥夺",
    "Deprivation pattern (rank)": "剥夺模式（排序）",
    "Share of children deprived (%)": "被剥夺儿童比例（%）",
    "Share of children (%)": "儿童比例（%）",
    "Childhood income poverty": "儿童期收入贫困",
    "Adult income poverty": "成年收入贫困",
    "relative line": "相对贫困线",
    "poor as child": "儿童期贫困",
    "not poor as child": "儿童期非贫困",
    "poor as adult": "成年贫困",
    "not poor as adult": "成年非贫困",
    "deprived and income-poor": "剥夺且收入贫困",
    "deprived only": "仅剥夺",
    "income-poor only": "仅收入贫困",
    "neither": "均无",
    "of all": "占全体",
    "censored (MODA-poor only)": "删截（仅MODA贫困者）",
    "uncensored": "未删截",
    "range over replicates": "重复间范围",
    "Paired differences at": "配对差异：",
    "end of programme": "项目结束",
    "pilot vs comparison": "试点与对照",
    "Income poverty, children 0-17": "收入贫困，0-17岁儿童",
    "Income poverty": "收入贫困",
    "Sensitivity of": "敏感性：",
    "sensitivity index (bars: estimate; whiskers: confidence interval)": "敏感性指数（柱：估计值；须线：置信区间）",
    "Morris screening of": "Morris筛选：",
    "Age group": "年龄组",
    "Generation": "代",
    "County": "县",
    "Dimension": "维度",
    "Measure": "指标",
    "Parameter": "参数",
    "Year": "年份",
    "ages": "年龄",
    "by county": "按县",
    "by arm": "按组别",
    "arm": "组别",
    "mean of": "均值，重复数",
    "replicates": "次重复",
    "range of": "范围，",
    # brief
    "Policy brief": "政策简报",
    "Key numbers": "关键数据",
    "Scenario comparison": "情景比较",
    "Figures": "图表",
    "Provenance": "来源信息",
    "Not drawn": "未绘制",
    "Cost-effectiveness": "成本效果",
    "Calibration targets": "校准目标",
    # plan figures (povsim.plots.plan)
    "Efficiency frontier": "效率前沿",
    "5-95 % across scenarios": "各情景间5–95%范围",
    "optimal allocation: expected": "最优分配：期望值",
    "CVaR-optimal allocation: CVaR": "条件风险价值最优分配：条件风险价值",
    "greedy split (heuristic): expected": "贪心分配（启发式）：期望值",
    "current allocation": "现行分配",
    "Budget over the programme (million RMB, plan file's money)": "项目期预算（百万元，规划文件口径）",
    "Outcome (plan's weighted objective)": "结果（规划的加权目标）",
    "main plan": "主方案",
    "coverage (1 = on)": "覆盖率（1 = 实施）",
    "village (by type, then objective)": "村（按类型、再按目标值排序）",
    "full model (mean, 95 % interval)": "完整模型（均值，95%区间）",
    "surrogate prediction": "代理模型预测",
    "Outcome over the baseline (plan's weighted objective)": "相对基准的结果（规划的加权目标）",
    "Verification in the full model (common random numbers)": "完整模型中的验证（共同随机数）",
    "best next level": "最佳下一档",
    "median next level": "下一档中位数",
    "median last level bought": "已购最后一档中位数",
    "Outcome per million RMB (plan file's money)": "每百万元的结果（规划文件口径）",
    "Marginal returns at the main plan": "主方案的边际收益",
    "units (": "单位（",
    " served by the plan, coloured; others grey), sorted": "个由方案覆盖，彩色；其余为灰色），已排序",
    "share of scenarios with the same levels": "水平相同的情景比例",
    "Stability of each unit's allocation across parameter draws and seeds": "各单位分配在参数抽样和随机种子间的稳定性",
    # virtual-trial figures (povsim.plots.trial)
    "source (95% CI)": "已发表估计（95%置信区间）",
    "model (95% replicate interval)": "模型（95%重复区间）",
    "measured score (z)": "测量得分（Z值）",
    "latent cognitive skill (SD)": "潜在认知能力（标准差）",
    "height-for-age z": "年龄别身高Z评分",
    "years since the start of the trial": "试验开始后年数",
    # programme costs figure (plots.compare.plot_costs)
    "Programme costs by year and intervention (mean over replicates)": "按年份和干预措施分列的项目成本（重复均值）",
    "Cost (million RMB, 2014 prices)": "成本（百万元，2014年价格）",
    "intervention": "干预措施",
    "programme years": "项目实施年份",  # plots.trajectories.WINDOW_LABEL
    # measure labels (povsim.summary.MEASURE_LABELS)
    "MODA intensity A": "MODA剥夺强度A",
    "MODA-deprived and income-poor": "MODA剥夺且收入贫困",
    "MODA-deprived, not income-poor": "MODA剥夺但非收入贫困",
    "income-poor, not MODA-deprived": "收入贫困但非MODA剥夺",
    "neither MODA-deprived nor income-poor": "既非MODA剥夺也非收入贫困",
    "Income poverty (all persons)": "收入贫困（全体人口）",
    "Stunting, under 5": "发育迟缓，5岁以下",
    "Anaemia, ages 0-1": "贫血，0-1岁",
    "Anaemia, ages 6-17": "贫血，6-17岁",
    "Enrolment, ages 15-17": "在学率，15-17岁",
    "Junior-high dropout (annual)": "初中辍学率（年度）",
    "Left-behind children": "留守儿童",
    "Mean skill 0-5 (SD)": "0-5岁平均能力（标准差）",
    "Children without safe water": "无安全饮用水的儿童",
    "Income per capita (RMB, 2014 prices)": "人均收入（元，2014年价格）",
    "Persons": "人口",
    "Years of schooling (treated cohorts)": "受教育年限（受干预队列）",
    "Adult relative poverty (treated cohorts)": "成年相对贫困（受干预队列）",
    "Adult absolute poverty (treated cohorts)": "成年绝对贫困（受干预队列）",
    "P(poor adult | poor child), relative line": "P（成年贫困 | 童年贫困），相对贫困线",
    "Adult relative-poverty cases (treated cohorts)": "成年相对贫困人数（受干预队列）",
    "MODA poverty H on outcome indicators": "基于结果指标的MODA贫困发生率H",
    "Years of schooling, total (treated cohorts)": "受教育年限合计（受干预队列）",
    "Cost (RMB, 2014 prices)": "成本（元，2014年价格）",
    "Discounted cost (RMB, 2014 prices)": "贴现成本（元，2014年价格）",
}

def translate(text: str, lang: str) -> str:
    """``text`` in ``lang`` (``"en"`` unchanged; ``"zh"`` by exact, then phrase replacement)."""
    if lang != "zh" or not text:
        return text
    from povsim.brief.i18n import TERMS_ZH  # names of counties, dimensions, scenarios, interventions

    if text in ZH or text in TERMS_ZH:
        return ZH.get(text) or TERMS_ZH[text]
    out = text
    for en in sorted(ZH, key=len, reverse=True):
        if len(en) > 3 and en in out:
            out = out.replace(en, ZH[en])
    return out


def translate_figure(fig: Figure, lang: str) -> None:
    """Translate every text of ``fig`` into ``lang`` in place, except the provenance footer."""
    if lang == "en":
        return
    for t in fig.findobj(Text):
        s = t.get_text()
        if s and not s.startswith("povsim "):  # keep the provenance footer as written
            t.set_text(translate(s, lang))
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    for ax in fig.axes:  # tick labels given as a list are redrawn from their formatter at each draw
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            if isinstance(fmt, FixedFormatter | FuncFormatter):
                axis.set_major_formatter(FuncFormatter(lambda x, pos, f=fmt: translate(f(x, pos), lang)))


def find_cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that matplotlib's font manager knows, or ``None``."""
    from matplotlib import font_manager

    names = {f.name.lower(): f.name for f in font_manager.fontManager.ttflist}
    for c in CJK_FONTS:
        if c.lower() in names:
            return names[c.lower()]
    for c in CJK_FONTS:  # e.g. "Noto Sans CJK SC Regular" or "Noto Sans CJK JP" families
        for low, name in names.items():
            if low.startswith(c.lower()) or ("cjk" in low and "cjk" in c.lower()):
                return name
    return None


def font_rc(lang: str, font: str | None = None) -> dict:
    """matplotlib rc settings that draw labels in ``lang`` (``{}`` for English with no ``font``).

    Raises
    ------
    ReportError
        Unknown language, or ``"zh"`` without a font: no CJK font that matplotlib can find
        (the message names :data:`CJK_FONTS` and how to install one).
    """
    if lang not in ("en", "zh"):
        raise ReportError(f"--lang: unknown language {lang!r}; expected 'en' or 'zh'")
    if lang == "zh" and font is None:
        font = find_cjk_font()
        if font is None:
            raise ReportError("--lang zh needs a font with Chinese characters, and matplotlib finds none of: "
                              f"{', '.join(CJK_FONTS)}.  Install one (e.g. Debian/Ubuntu: apt install "
                              "fonts-noto-cjk, or fonts-wqy-zenhei), then remove matplotlib's font cache "
                              "(~/.cache/matplotlib) so it is found; or use --lang en")
    if font is None:
        return {}
    return {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False}


# -- reading a results folder ------------------------------------------------------------
@dataclass
class Results:
    """What a results folder holds, as read from disk.

    ``scenarios`` maps a scenario name to its tables (a run folder has one scenario).
    """

    folder: Path
    kind: str  # "run", "compare", "sensitivity", "calibration" or "plan" (the dashboard adds "batch")
    manifest: dict
    scenarios: dict[str, Mapping[str, pd.DataFrame]] = field(default_factory=dict)
    extra: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def name(self) -> str:
        sc = self.manifest.get("scenario") or {}
        ex = self.manifest.get("extra") or {}
        if self.kind == "calibration" and ex.get("calibration"):
            return f"calibration {ex['calibration']}"
        if self.kind == "compare" and ex.get("base"):
            return f"{ex['base']} vs {', '.join(ex.get('alternatives', []))}"
        if self.kind == "plan" and isinstance(sc.get("plan"), dict) and sc["plan"].get("name"):
            return f"plan {sc['plan']['name']}"
        if self.kind == "trial" and isinstance(sc.get("trial"), dict) and sc["trial"].get("name"):
            return f"trial {sc['trial']['name']}"
        for table in ("scenario", "sensitivity", "experiment"):  # a run, a study, a batch design
            if isinstance(sc.get(table), dict) and sc[table].get("name"):
                return str(sc[table]["name"])
        return ", ".join(self.scenarios) or self.folder.name

    def provenance(self) -> str:
        from povsim.plots import provenance_line

        when = None
        created = self.manifest.get("created")
        if created:
            try:
                when = datetime.fromisoformat(str(created))
            except ValueError:
                when = None
        return provenance_line(self.name, self.manifest.get("seeds") or [],
                               version=self.manifest.get("povsim_version") or "unknown", when=when)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ReportError(f"cannot read {path}: {e}; is it a povsim table?") from e


class LazyTables(Mapping[str, pd.DataFrame]):
    """The ``<name>.csv`` tables of a folder (or only ``names``), each read on first access.

    A results folder can hold far more than one view needs (the MODA detail tables of a long
    run, the collected tables of a large batch): listing the folder costs one directory scan,
    and a table is parsed only when it is looked up, then kept.
    """

    def __init__(self, folder: Path, names: Sequence[str] | None = None):
        self.folder = Path(folder)
        stems = sorted(p.stem for p in self.folder.glob("*.csv")) if self.folder.is_dir() else []
        self._names = [n for n in (stems if names is None else names) if (self.folder / f"{n}.csv").is_file()]
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = _read_csv(self.folder / f"{name}.csv")
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __repr__(self) -> str:
        return f"LazyTables({str(self.folder)!r}, read={sorted(self._read)}, of={self._names})"


def _read_tables(folder: Path, lazy: bool = False, names: Sequence[str] | None = None) -> Mapping[str, pd.DataFrame]:
    """The ``<name>.csv`` tables of ``folder`` (only those of ``names`` that exist, when given)."""
    tables = LazyTables(folder, names)
    return tables if lazy else {n: tables[n] for n in tables}


def plan_results_folder(folder: str | Path) -> Path:
    """The plan itself (``<out>/plan``, sealed) when ``folder`` is the folder ``povsim plan
    --out`` was given (its runs, keyspace and the plan); ``folder`` otherwise."""
    folder = Path(folder)
    inner = folder / "plan"
    if not (folder / "manifest.json").is_file() and (inner / "manifest.json").is_file():
        from povsim.output import read_manifest

        if (read_manifest(inner) or {}).get("kind") == "plan":
            return inner
    return folder


def load_results(folder: str | Path, *, lazy: bool = False) -> Results:
    """Read a run, compare, sensitivity, calibration or plan results folder.

    Parameters
    ----------
    folder
        The results folder.
    lazy
        Read each table on first access (:class:`LazyTables`) instead of all at once.

    Raises
    ------
    ReportError
        The folder is missing or empty, or holds none of the tables povsim writes.
    ResultsError
        The folder is not a complete povsim results folder: the command writing it
        stopped early (a ``*.partial-*`` folder), or a file is missing, truncated or
        changed since povsim wrote it (:func:`povsim.output.verify_results`).
    """
    from povsim.output import final_path, verify_results

    folder = plan_results_folder(folder)
    if not folder.is_dir():
        raise ReportError(f"results folder {folder} does not exist; give the folder that `povsim run`, "
                          "`povsim compare`, `povsim sensitivity`, `povsim calibrate` or `povsim plan` wrote")
    if not any(folder.iterdir()) and final_path(folder) == folder:
        raise ReportError(f"results folder {folder} is empty; nothing to report")
    manifest = verify_results(folder)
    tables = folder / "tables"
    if manifest.get("kind") == "plan":  # its tables/ are the plan's, not a run's
        return Results(folder, "plan", manifest, extra=_read_tables(tables, lazy))
    if (folder / "trial_summary.csv").is_file():
        return Results(folder, "trial", manifest, extra=_read_tables(
            folder, lazy, ("trial_summary", "trial_estimates", "trajectories", "samples")))
    if (folder / "differences.csv").is_file():
        res = Results(folder, "compare", manifest, extra=_read_tables(
            folder, lazy, ("differences", "cost_effectiveness", "ce_points", "moda_decomposition")))
        ex = manifest.get("extra") or {}
        names = [ex["base"], *ex.get("alternatives", [])] if ex.get("base") else []
        subs = [p for p in sorted(tables.iterdir()) if p.is_dir()] if tables.is_dir() else []
        order = {n: i for i, n in enumerate(names)}
        for p in sorted(subs, key=lambda p: order.get(p.name, len(order))):
            res.scenarios[p.name] = _read_tables(p, lazy)
        return res
    if (folder / "indices.csv").is_file():
        return Results(folder, "sensitivity", manifest,
                       extra=_read_tables(folder, lazy, ("indices", "second_order", "summary")))
    if (folder / "fit_targets.csv").is_file():
        return Results(folder, "calibration", manifest,
                       extra=_read_tables(folder, lazy, ("fit_targets", "parameters", "trace")))
    if tables.is_dir() and any(tables.glob("*.csv")):
        res = Results(folder, "run", manifest, extra=_read_tables(folder, lazy, ("target_checks",)))
        res.scenarios[res.name if manifest else folder.name] = _read_tables(tables, lazy)
        return res
    raise ReportError(f"{folder} holds no povsim tables (expected tables/*.csv, differences.csv, "
                      "indices.csv, fit_targets.csv or trial_summary.csv); give a folder written by `povsim run`, "
                      "`compare`, `sensitivity`, `calibrate`, `plan` or `trial`")


# -- figures -----------------------------------------------------------------------------
@dataclass
class ReportFigure:
    """One figure of the pack: file stem and the Figure (the brief writes each caption from the
    folder's tables, :mod:`povsim.brief.captions`)."""

    stem: str
    figure: Figure


def _last_moda_year(tabs: Mapping[str, pd.DataFrame]) -> int | None:
    t = tabs.get("moda")
    return None if t is None or t.empty else int(t["year"].max())


def finish_figure(fig: Figure, provenance: str | None, *, lang: str = "en",
                  labels: tuple[str, str] = ("", "")) -> Figure:
    """Make a figure of :mod:`povsim.plots` the figure of the brief: label the axes the figure
    function leaves blank (``labels``: x, y), add the provenance footer, translate into ``lang``."""
    from povsim.plots.report import add_footer

    ax = fig.axes[0]
    if labels[0] and not ax.get_xlabel():
        ax.set_xlabel(labels[0])
    if labels[1] and not ax.get_ylabel():
        ax.set_ylabel(labels[1])
    add_footer(fig, provenance)
    translate_figure(fig, lang)
    return fig


def build_figures(res: Results, *, lang: str = "en") -> tuple[list[ReportFigure], list[str]]:
    """Every figure the folder's tables allow, and notes on those that could not be drawn."""
    from povsim.compare import union_window
    from povsim.plots import (
        plot_deprivation_distribution,
        plot_dimension_headcounts,
        plot_income_overlap,
        plot_trajectory,
    )
    from povsim.plots.compare import plot_ce_plane, plot_costs, plot_differences, plot_scenario_trajectories
    from povsim.plots.report import (
        plot_county_bars,
        plot_moda_trajectories,
        plot_transition_heatmap,
        plot_transmission_by_generation,
        plot_upset,
    )

    prov = res.provenance()
    figs: list[ReportFigure] = []
    notes: list[str] = []
    resolved = res.manifest.get("scenario") or {}
    window = union_window(resolved.values() if res.kind == "compare" else [resolved] if res.kind == "run" else [])

    # every figure gets its footer from finish_figure, once (the figure functions are called without one)
    def add(stem: str, make: Callable[[], Figure], labels: tuple[str, str] = ("", "")) -> None:
        try:
            fig = make()
        except (PovsimError, KeyError, ValueError, IndexError) as e:
            notes.append(f"{stem}: {e}")
            return
        figs.append(ReportFigure(stem, finish_figure(fig, prov, lang=lang, labels=labels)))

    scen = res.scenarios
    many = len(scen) > 1
    summaries = {n: t["moda_summary"] for n, t in scen.items() if "moda_summary" in t}
    if summaries:
        add("moda_H", lambda: plot_moda_trajectories(summaries, "H", title="MODA multidimensional poverty H"))
        add("moda_M0", lambda: plot_moda_trajectories(summaries, "M0", title="MODA adjusted headcount M0",
                                                      ylabel="M0 (index, 0-1)"))
    if many and all("income_poverty" in t for t in scen.values()):
        add("child_income_poverty_rate",
            lambda: plot_scenario_trajectories(scen, "income_poverty", "child_income_poverty_rate",
                                               title="Income poverty, children 0-17", provenance=prov,
                                               window=window))
    if "differences" in res.extra:
        add("differences_end", lambda: plot_differences(res.extra["differences"], when_contains="end of programme"),
            ("", "Measure"))
    if "ce_points" in res.extra and not res.extra["ce_points"].empty:
        add("ce_plane", lambda: plot_ce_plane(res.extra["ce_points"]))
    costs = {n: t["costs"] for n, t in scen.items() if "costs" in t}
    if costs:
        add("costs", lambda: plot_costs(costs))
    for name, t in scen.items():
        sfx = f"_{name}" if many else ""
        last = _last_moda_year(t)
        if "moda_dimensions" in t:
            add(f"moda_dimensions{sfx}", lambda t=t, last=last: plot_dimension_headcounts(t["moda_dimensions"],
                                                                                          year=last),
                ("Dimension", ""))
        if "moda_patterns" in t:
            ages = list(dict.fromkeys(t["moda_patterns"]["age_group"].astype(str)))
            for age in ages:
                add(f"moda_upset_{age.replace('-', '_')}{sfx}",
                    lambda t=t, age=age, last=last: plot_upset(t["moda_patterns"], age_group=age, year=last))
        if "moda_income" in t:
            add(f"moda_income_overlap{sfx}", lambda t=t, last=last: plot_income_overlap(t["moda_income"], year=last))
        if "moda_distribution" in t:
            add(f"moda_distribution{sfx}",
                lambda t=t, last=last: plot_deprivation_distribution(t["moda_distribution"], year=last))
        if "mobility" in t:
            add(f"transition{sfx}", lambda t=t: plot_transition_heatmap(t["mobility"]))
        if "generations_final" in t:
            add(f"childhood_poverty_by_generation{sfx}",
                lambda t=t: plot_transmission_by_generation(t["generations_final"]))
        moda = t.get("moda")
        if moda is not None and "arm" in set(moda["by"]):
            for m, label in (("moda_headcount_rate_0_5", "MODA multidimensional poverty H, ages 0-5"),
                             ("moda_headcount_rate_6_17", "MODA multidimensional poverty H, ages 6-17")):
                add(f"{m}_by_arm{sfx}",
                    lambda m=m, label=label, moda=moda: plot_trajectory(
                        moda, m, by="arm", title=f"{label}, pilot vs comparison",
                        ylabel="Share of children (%)", window=window))
        if moda is not None and "county" in set(moda["by"]):
            add(f"moda_headcount_rate_0_5_by_county{sfx}",
                lambda moda=moda, last=last: plot_county_bars(moda, "moda_headcount_rate_0_5",
                                                   title=f"MODA multidimensional poverty H, ages 0-5 by county, "
                                                         f"{last}", ylabel="Share of children (%)",
                                                   xlabel="County"))
    checks = res.extra.get("fit_targets", res.extra.get("target_checks"))
    if checks is not None and not checks.empty:
        from povsim.plots.calibration import plot_residuals, plot_targets, plot_trace

        add("calibration_targets", lambda: plot_targets(checks))
        add("calibration_residuals", lambda: plot_residuals(checks))
        if "trace" in res.extra:
            add("calibration_trace", lambda: plot_trace(res.extra["trace"]))
    if res.kind == "plan":
        from povsim.plots.plan import plan_figure_makers

        for stem, make in plan_figure_makers(res.extra).items():
            add(stem, make)
    if res.kind == "trial" and "trial_summary" in res.extra:
        from povsim.plots.trial import plot_trial_forest, plot_trial_trajectories

        meta = (res.manifest.get("scenario") or {}).get("trial") or {}
        summary, title = res.extra["trial_summary"], str(meta.get("title") or meta.get("name") or "")
        if lang != "en":  # labels and title are typed in English in the trial file: its identifiers instead
            summary, title = summary.assign(label=summary["outcome"]), str(meta.get("name") or "")
        add("forest", lambda: plot_trial_forest(summary, title=title))
        if "trajectories" in res.extra:
            add("trajectories", lambda: plot_trial_trajectories(res.extra["trajectories"]))
    if "indices" in res.extra:
        from povsim.plots.sensitivity import plot_indices, plot_morris

        idx = res.extra["indices"]
        for out in dict.fromkeys(idx["output"]):
            if "S1" in idx.columns and idx["S1"].notna().any():
                keys = ("S1", "ST") if "ST" in idx.columns else ("S1", "delta")
                add(f"indices_{out}", lambda out=out, keys=keys: plot_indices(idx, out, keys), ("", "Parameter"))
            elif "mu_star" in idx.columns:
                add(f"morris_{out}", lambda out=out: plot_morris(idx, out))
    return figs, notes


# -- key numbers and tables ---------------------------------------------------------------
KEY_MEASURES = (("moda", "moda_headcount_rate_0_5"), ("moda", "moda_headcount_rate_6_17"), ("moda", "moda_M0_0_5"),
                ("income_poverty", "income_poverty_rate"), ("income_poverty", "child_income_poverty_rate"))


def key_numbers(res: Results) -> pd.DataFrame:
    """Headline numbers: key measures at the first and last year by scenario (mean and
    replicate range); for compare folders also the paired differences at the end of the
    programme (in percentage points for shares) and the cost per child-year of deprivation
    averted (ratio of means with its delta-method interval)."""
    from povsim.summary import format_interval, format_value, measure_label

    rows = []
    for name, t in res.scenarios.items():
        for table, m in KEY_MEASURES:
            d = t.get(table)
            if d is None or "measure" not in d.columns:
                continue
            d = d[(d["measure"] == m) & (d["by"] == "all")]
            for y in ((int(d["year"].min()), int(d["year"].max())) if not d.empty else ()):
                v = d[d["year"] == y]["value"]
                text = format_value(m, v.mean())
                if len(v) > 1:
                    text += f" [{format_value(m, v.min())}-{format_value(m, v.max())}]"
                rows.append({"scenario": name, "measure": measure_label(m), "when": str(y), "value": text})
    diff = res.extra.get("differences")
    if diff is not None:
        key = diff[diff["when"].str.startswith("end of programme")
                   & diff["measure"].isin([m for _, m in KEY_MEASURES])]
        for r in key.itertuples():
            rows.append({"scenario": f"{r.scenario} - base", "measure": measure_label(r.measure), "when": r.when,
                         "value": format_interval(r.measure, r.diff_mean, r.ci_lo, r.ci_hi, difference=True)})
    ce = res.extra.get("cost_effectiveness")
    if ce is not None:
        # the default measure: child-years of MODA poverty on outcome indicators (older folders:
        # the child-year ratio)
        key = (ce["measure"] == "moda_outcome_child_years" if "measure" in ce.columns
               else ce["ratio"].str.contains("child-year", regex=False))
        for r in ce[key].itertuples():
            rows.append({"scenario": r.scenario, "measure": "Cost per child-year of deprivation averted (RMB)",
                         "when": "discounted", "value": format_interval("rmb", r.rmb_per_unit, r.ci_lo, r.ci_hi)})
    ver = res.extra.get("verification") if res.kind == "plan" else None
    if ver is not None:  # a plan: each verified allocation in the full model, over the baseline
        for r in ver.itertuples():
            rows.append({"scenario": r.allocation, "measure": "Objective over the baseline (full model)",
                         "when": "verification", "value": f"{r.model:,.1f} [{r.model_lo:,.1f}, {r.model_hi:,.1f}]"})
    return pd.DataFrame(rows, columns=["scenario", "measure", "when", "value"])


def calibration_table(res: Results) -> pd.DataFrame | None:
    """Calibration targets of a calibrate folder, or the target check of a run folder."""
    c = res.extra.get("fit_targets", res.extra.get("target_checks"))
    if c is None or c.empty:
        return None
    return pd.DataFrame({
        "target": c["name"], "use": c["use"].map({"fit": "fitting", "holdout": "held out"}).fillna(c["use"]),
        "value": c["value"].map(lambda v: f"{v:.3g}"),
        "simulated": [f"{m:.3g}" + (f" [{lo:.3g}, {hi:.3g}]" if se == se else "")
                      for m, lo, hi, se in zip(c["simulated"], c["sim_lo"], c["sim_hi"], c["sim_se"], strict=True)],
        "tolerance": c["tolerance"].map(lambda v: f"±{v:.3g}"),
        "check": c["passes"].map({True: "pass", False: "FAIL"}),
        "source": [x if len(x) <= 140 else x[:139].rsplit(" ", 1)[0] + " …" for x in c["source"].astype(str)],
    })


def comparison_table(d: pd.DataFrame | None) -> pd.DataFrame | None:
    """Paired differences (``differences.csv``: mean [95% interval]; shares in percentage
    points) with base and alternative means, formatted (briefs and the terminal)."""
    from povsim.summary import format_interval, format_value, measure_label

    if d is None:
        return None
    d = d[d["when"].str.startswith(("+5 years", "end of programme", "generation", "born", "total", "discounted"))]
    return pd.DataFrame({
        "scenario": d["scenario"], "measure": [measure_label(m) for m in d["measure"]], "when": d["when"],
        "base": [format_value(m, v) for m, v in zip(d["measure"], d["base_mean"], strict=True)],
        "alternative": [format_value(m, v) for m, v in zip(d["measure"], d["alt_mean"], strict=True)],
        "difference [95% interval]": [
            format_interval(m, v, lo, hi, difference=True)
            for m, v, lo, hi in zip(d["measure"], d["diff_mean"], d["ci_lo"], d["ci_hi"], strict=True)],
    })


def ce_table(ce: pd.DataFrame | None) -> pd.DataFrame | None:
    """Cost-effectiveness ratios (``cost_effectiveness.csv``) with their intervals and how
    they are computed, formatted."""
    from povsim.summary import format_interval, format_value

    if ce is None:
        return None
    # outcome measures are the default; a ratio counting service indicators says so
    ratio = (ce["ratio"] if "view" not in ce.columns else
             [r if v == "outcome" else f"{r} [not the default]" for r, v in zip(ce["ratio"], ce["view"], strict=True)])
    return pd.DataFrame({
        "scenario": ce["scenario"], "ratio": ratio,
        "incremental cost (RMB, discounted)": [format_value("rmb", v) for v in ce["incremental_cost_discounted_rmb"]],
        "RMB per unit [95% interval]": [format_interval("rmb", r, lo, hi) for r, lo, hi in
                                        zip(ce["rmb_per_unit"], ce["ci_lo"], ce["ci_hi"], strict=True)],
        "interval": ce["interval"],
        "replicates with no benefit": [f"{a}/{b}" for a, b in zip(ce["replicates_no_benefit"], ce["replicates"],
                                                                  strict=True)],
    })


def decomposition_table(dec: pd.DataFrame | None) -> pd.DataFrame | None:
    """Each MODA effect (``moda_decomposition.csv``: discounted child-years of M0 averted)
    with the share from the dimensions of the interventions' own indicators, the rest, and
    the largest dimensions, formatted (the terminal, the dashboard)."""
    if dec is None or dec.empty:
        return None

    def num(x: float) -> str:
        return "n/a" if x != x else f"{x:,.0f}"

    rows = []
    for r in dec[dec["dimension"] == "all"].itertuples():
        dims = dec[(dec["scenario"] == r.scenario) & (dec["moda"] == r.moda) & (dec["dimension"] != "all")]
        top = ", ".join(f"{d.dimension} {d.share:.0%}" for d in dims.sort_values(
            "m0_child_years_averted", ascending=False).itertuples() if abs(d.share) >= 0.005)
        rows.append({"scenario": r.scenario, "MODA": r.moda,
                     "M0 child-years averted [95% interval]": f"{num(r.m0_child_years_averted)} "
                                                             f"[{num(r.ci_lo)}, {num(r.ci_hi)}]",
                     "from own indicators' dimensions": "n/a" if r.share != r.share else f"{r.share:.0%}",
                     "own dimensions": r.own_dimensions, "by dimension": top})
    return pd.DataFrame(rows)


# -- rendering ---------------------------------------------------------------------------
def md_table(df: pd.DataFrame, cell: Callable[[object], str] = str) -> str:
    """A Markdown table of ``df``; ``cell`` formats each value (``|`` in a cell becomes ``/``)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines)


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"png,svg,pdf"`` -> ``("png", "svg", "pdf")``; PNG is always included (first)."""
    items = [s.strip().lower() for s in (re.split(r"[,\s]+", text) if isinstance(text, str) else text) if s.strip()]
    bad = [s for s in items if s not in FORMATS]
    if bad:
        raise ReportError(f"--format: unknown format {bad[0]!r}; expected a comma-separated list of "
                          f"{', '.join(FORMATS)} (e.g. --format png,svg,pdf)")
    return tuple(dict.fromkeys(["png", *items]))


def write_report(folder: str | Path, *, out: str | Path | None = None, formats: str | Sequence[str] = ("png", "svg"),
                 lang: str = "en", force: bool = False, font: str | None = None) -> Path:
    """Re-render the figure pack and the brief of a results folder from its saved tables.

    Parameters
    ----------
    folder
        A folder written by ``povsim run``, ``compare`` or ``sensitivity``.
    out
        Destination folder (default ``<folder>/report``); never overwritten unless ``force``.
    formats
        Figure formats among :data:`FORMATS`; PNG (300 dpi) is always written.
    lang
        ``"en"`` or ``"zh"`` (needs a CJK font, see :data:`CJK_FONTS`).
    font
        Font family for the labels (default: a CJK font for ``zh``, matplotlib's default for ``en``).

    Returns
    -------
    Path
        The report folder.

    Raises
    ------
    ReportError
        Missing or empty folder, unknown format or language, no CJK font for ``zh``.
    OutputError
        The report folder exists (without ``force``) or cannot be written.
    """
    from matplotlib import rc_context

    from povsim.brief import build_brief, write_brief
    from povsim.output import atomic_write_bytes, results_dir, save_figure

    rc = font_rc(lang, font)
    fmts = parse_formats(formats)
    res = load_results(folder)
    final_out = Path(out) if out is not None else res.folder / "report"
    with rc_context(rc), results_dir(final_out, "report", kind="report", force=force) as d:
        figures, _ = build_figures(res, lang=lang)  # what could not be drawn is said by the brief's sections
        for rf in figures:
            save_figure(rf.figure, d / "figures" / rf.stem, formats=fmts, dpi=300)
        write_brief(build_brief(res, figures, lang=lang), d, pdf="pdf" in fmts)
        keys = key_numbers(res)
        atomic_write_bytes(d / "key_numbers.csv", keys.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return final_out.absolute()
