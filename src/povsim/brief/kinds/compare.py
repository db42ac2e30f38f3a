"""Brief of a ``povsim compare`` folder: what was compared, headline effects against the
baseline, who benefits, what it costs, how sure we are, figures, method and provenance."""

from __future__ import annotations

from collections.abc import Sequence

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import FigureBlock, Section
from povsim.brief.i18n import join
from povsim.brief.kinds import BriefKind


def _title(ctx: Context) -> str:
    return ctx.t("title.compare", base=ctx.scenario_name(ctx.base),
                 alts=join([ctx.scenario_name(a) for a in ctx.alternatives], ctx.lang))


def _keep(ctx: Context, stem: str) -> bool:
    """Figures of one scenario only for the baseline (the context); the comparisons are drawn
    across scenarios."""
    others = [n for n in ctx.scenario_names if n != ctx.base]
    return not any(stem.endswith(f"_{n}") for n in others)


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    effects, shown = S.effects_compare(ctx)
    payers = [n for n in (ctx.base, *ctx.alternatives) if ctx.table(n, "costs") is not None or n != ctx.base]
    return [S.what_compare(ctx), effects, S.who_compare(ctx), S.costs(ctx, payers, with_ce=True),
            S.sure(ctx, shown, compare=True), S.figures(ctx, figs, rest), S.method(ctx)]


KIND = BriefKind("compare", detect=lambda res: res.kind == "compare", title=_title, sections=_sections,
                 keep_figure=_keep, priority=30)
