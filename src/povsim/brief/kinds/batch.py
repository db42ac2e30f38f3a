"""Brief of a ``povsim batch`` folder: the design (scenarios x points x replicates, runs
finished and failed), the headline outcomes of each scenario across all its runs, their
spread, method and provenance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import FigureBlock, Missing, Para, Section, Table
from povsim.brief.effects import OFFSETS
from povsim.brief.kinds import BriefKind
from povsim.brief.numbers import fmt_level
from povsim.brief.outcomes import HEADLINE
from povsim.report import Results


def _detect(res: Results) -> bool:
    return res.kind == "run" and ((res.folder / "keyspace.csv").is_file() or (res.folder / "design.json").is_file())


def _name(ctx: Context) -> str:
    d = ctx.json("design.json")
    return str((d.get("experiment") or {}).get("name") or d.get("name") or ctx.folder.name)


def _what(ctx: Context) -> Section:
    sec = Section("what", ctx.t("sec.what.batch"))
    ks = ctx.csv("keyspace.csv")
    if ks is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.design"))))
    runs = ctx.folder / "runs"
    done = len(list(runs.glob("*.run"))) if runs.is_dir() else 0
    failed = len(list(runs.glob("*.failed.json"))) if runs.is_dir() else 0
    return sec.add(Para(ctx.t("what.batch", runs=len(ks), scenarios=ks["scenario"].nunique(),
                              points=ks["point"].nunique() if "point" in ks.columns else 1,
                              reps=ks["replicate"].nunique() if "replicate" in ks.columns else 1,
                              done=done, failed=failed)))


def _outcomes(ctx: Context) -> Section:
    sec = Section("outcomes", ctx.t("sec.outcomes"))
    sec.add(Para(ctx.t("batch.outcomes")))
    rows = []
    start = None
    for o in HEADLINE:
        t = ctx.csv(f"tables/{o.table}.csv")  # collected over the batch's runs
        if t is None or "scenario" not in t.columns:
            continue
        t = t[(t["measure"] == o.measure) & (t["by"] == "all")]
        if t.empty:
            continue
        start = int(t["year"].min()) if start is None else start
        for scen, g in t.groupby("scenario", sort=False):
            cells = []
            for k in (0, *OFFSETS):
                v = g.loc[g["year"] == start + k, "value"]
                if v.empty:
                    cells.append(ctx.t("n/a"))
                    continue
                lo, hi = np.percentile(v, [2.5, 97.5])
                cells.append(f"{fmt_level(v.mean(), o.unit, ctx.lang)} [{fmt_level(lo, o.unit, ctx.lang)}–"
                             f"{fmt_level(hi, o.unit, ctx.lang)}]")
            rows.append([o.short(ctx.lang), ctx.scenario_name(str(scen)), *cells])
    if not rows:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.effects"))))
    cols = [ctx.t("col.outcome"), ctx.t("col.scenario"), str(start),
            *[ctx.t("col.at", k=k, year=start + k) for k in OFFSETS]]
    return sec.add(Table(cols, rows, caption=ctx.t("col.range95")))


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    sure = Section("sure", ctx.t("sec.sure")).add(Para(ctx.t("batch.outcomes")), Para(ctx.t("sure.intervals")))
    return [_what(ctx), _outcomes(ctx), sure, S.figures(ctx, figs, rest), S.method(ctx)]


KIND = BriefKind("batch", detect=_detect, title=lambda ctx: ctx.t("title.batch", name=_name(ctx)),
                 sections=_sections, keep_figure=lambda ctx, stem: False, priority=20)
