"""Brief of a ``povsim sensitivity`` folder: what was studied, which parameters matter for
each output, how settled the indices are, figures, method and provenance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import Bullets, FigureBlock, Missing, Para, Section, Table
from povsim.brief.i18n import join
from povsim.brief.kinds import BriefKind
from povsim.brief.numbers import fmt_pct, isnum

#: the index a method ranks by, in order of preference
_RANK = ("ST", "mu_star", "delta", "median", "S1")


def _name(ctx: Context) -> str:
    sc = ctx.manifest.get("scenario") or {}
    return str((sc.get("sensitivity") or {}).get("name") or ctx.folder.name)


def _what(ctx: Context) -> Section:
    idx = ctx.res.extra.get("indices")
    study = ctx.json("study.json").get("sensitivity") or (ctx.manifest.get("scenario") or {}).get("sensitivity") or {}
    samples = ctx.csv("samples.csv")
    sec = Section("what", ctx.t("sec.what.sensitivity"))
    if idx is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.indices"))))
    return sec.add(Para(ctx.t("what.sensitivity", method=study.get("method", "?"),
                              params=idx["parameter"].nunique(),
                              points=len(samples) if samples is not None else ctx.t("n/a"),
                              outputs=join(list(dict.fromkeys(idx["output"].astype(str))), ctx.lang))))


def _drivers(ctx: Context) -> Section:
    sec = Section("drivers", ctx.t("sec.drivers"))
    idx = ctx.res.extra.get("indices")
    if idx is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.indices"))))
    key = next((k for k in _RANK if k in idx.columns and idx[k].notna().any()), None)
    if key is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.indices"))))
    conf = next((c for c in (f"{key}_conf", "mu_star_conf") if c in idx.columns), None)
    items, rows = [], []
    for out, d in idx.groupby("output", sort=False):
        d = d.sort_values(key, ascending=False)
        top = d.iloc[0]
        others = [f"{r.parameter} ({getattr(r, key):.2f})" for r in d.iloc[1:3].itertuples()]
        tmpl = "sentence.driver" if others else "sentence.driver_one"
        items.append(ctx.t(tmpl, output=out, param=top["parameter"], index=key, value=f"{top[key]:.2f}",
                           others=join(others, ctx.lang)))
        for r in d.head(8).itertuples():
            c = getattr(r, conf) if conf else np.nan
            rows.append([str(out), str(r.parameter), key, f"{getattr(r, key):.3f}", f"±{c:.3f}" if isnum(c) else ""])
    return sec.add(Bullets(items), Table([ctx.t("col.output"), ctx.t("col.parameter"), ctx.t("col.index"),
                                          ctx.t("col.value"), ctx.t("col.interval")], rows, code_columns=(0, 1, 2)))


def _sure(ctx: Context) -> Section:
    sec = Section("sure", ctx.t("sec.sure"))
    conv = ctx.csv("convergence.csv")
    if conv is not None and "settled" in conv.columns:
        last = conv
        if "n" in conv.columns:
            last = conv[conv["n"] == conv["n"].max()]
        settled = last["settled"].astype(str).str.lower().isin(("true", "1"))
        sec.add(Para(ctx.t("sure.convergence", settled=int(settled.sum()), total=len(last))))
    noise = ctx.csv("noise.csv")
    if noise is not None:
        ratio_col = next((c for c in noise.columns if "ratio" in c), None)
        if ratio_col is not None:
            for r in noise.itertuples():
                v = getattr(r, ratio_col)
                if isnum(v):
                    sec.add(Para(ctx.t("sure.noise", ratio=fmt_pct(v, ctx.lang), output=getattr(r, "output", "?"))))
    sec.add(Para(ctx.t("sure.intervals")))
    if len(sec.blocks) == 1:
        sec.add(Missing(ctx.t("missing", what="convergence.csv, noise.csv")))
    return sec


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    return [_what(ctx), _drivers(ctx), _sure(ctx), S.figures(ctx, figs, rest), S.method(ctx)]


KIND = BriefKind("sensitivity", detect=lambda res: res.kind == "sensitivity",
                 title=lambda ctx: ctx.t("title.sensitivity", name=_name(ctx)), sections=_sections, priority=10)
