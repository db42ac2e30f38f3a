"""Brief of a ``povsim calibrate`` folder: what was fitted, the targets met and missed
(fitting and held out, said apart), the fitted parameters (at a bound, poorly identified),
figures, method and provenance."""

from __future__ import annotations

from collections.abc import Sequence

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import FigureBlock, Missing, Para, Section, Table
from povsim.brief.i18n import join, term
from povsim.brief.kinds import BriefKind
from povsim.brief.numbers import isnum


def _name(ctx: Context) -> str:
    return str((ctx.manifest.get("extra") or {}).get("calibration") or ctx.folder.name)


def _targets(ctx: Context) -> tuple[Section, Section]:
    c = ctx.extra("fit_targets")
    p = ctx.res.extra.get("parameters")
    what = Section("what", ctx.t("sec.what.calibrate"))
    tgt = Section("targets", ctx.t("sec.targets"))
    if c is None:
        missing = Missing(ctx.t("missing", what=ctx.t("missing.targets")))
        return what.add(missing), tgt.add(missing)
    use = c["use"].astype(str)
    passes = c["passes"].astype(bool)
    fit, hold = use == "fit", use == "holdout"
    what.add(Para(ctx.t("what.calibrate", n=len(c), fit=int(fit.sum()), holdout=int(hold.sum()),
                        params=len(p) if p is not None else "?",
                        method=term("method", (ctx.manifest.get("extra") or {}).get("method", "?"), ctx.lang))))
    tgt.add(Para(ctx.t("sentence.targets", fit_passed=int((passes & fit).sum()), fit_total=int(fit.sum()),
                       hold_passed=int((passes & hold).sum()), hold_total=int(hold.sum()))))
    failed = list(c.loc[~passes, "name"].astype(str))
    if failed:
        tgt.add(Para(ctx.t("sure.targets_failed", names=join(failed, ctx.lang))))
    tgt.add(S.target_table(ctx, c))
    return what, tgt


def _parameters(ctx: Context) -> Section:
    sec = Section("parameters", ctx.t("sec.parameters"))
    p = ctx.extra("parameters")
    if p is None:
        return sec.add(Missing(ctx.t("missing", what="parameters.csv")))
    cols = {c.lower(): c for c in p.columns}
    name, fit = cols.get("parameter", cols.get("name")), cols.get("fitted", cols.get("fit"))
    lo, hi, se = cols.get("lower"), cols.get("upper"), cols.get("approx_se")
    at = cols.get("at_bound")
    if name is None or fit is None:
        return sec.add(Table.as_written(p))
    bounds = [n for n, a in zip(p[name], p[at], strict=True) if str(a).lower() not in ("false", "nan", "", "0")] \
        if at else []
    if bounds:
        sec.add(Para(ctx.t("sentence.params_bounds", n=len(bounds), names=join(list(map(str, bounds)), ctx.lang))))
    if se and lo and hi:
        wide = [str(r[name]) for _, r in p.iterrows() if isnum(r[se]) and r[se] > 0.5 * (r[hi] - r[lo])]
        if wide:
            sec.add(Para(ctx.t("sentence.params_wide", n=len(wide), names=join(wide, ctx.lang))))
    rows = [[str(r[name]), f"{r[fit]:.4g}", f"[{r[lo]:.4g}, {r[hi]:.4g}]" if lo and hi else "",
             f"{r[se]:.3g}" if se and isnum(r[se]) else ctx.t("n/a")] for _, r in p.iterrows()]
    return sec.add(Table([ctx.t("col.parameter"), ctx.t("col.fit"), ctx.t("col.bounds"), ctx.t("col.se")], rows,
                         code_columns=(0,)))


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    what, targets = _targets(ctx)
    sure = Section("sure", ctx.t("sec.sure")).add(Para(ctx.t("sure.intervals")))
    return [what, targets, _parameters(ctx), sure, S.figures(ctx, figs, rest), S.method(ctx)]


KIND = BriefKind("calibrate", detect=lambda res: res.kind == "calibration",
                 title=lambda ctx: ctx.t("title.calibrate", name=_name(ctx)), sections=_sections, priority=10)
