"""Brief of a ``povsim run`` folder.  With interventions: the programme sections against the
run's own comparison villages (difference-in-differences), its costs and reach; without: the
outcomes' levels and where children stand."""

from __future__ import annotations

from collections.abc import Sequence

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import FigureBlock, Section
from povsim.brief.kinds import BriefKind


def _title(ctx: Context) -> str:
    return ctx.t("title.run", name=ctx.scenario_name(ctx.scenario_names[0]))


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    name = ctx.scenario_names[0]
    if ctx.interventions(name):
        effects, shown = S.effects_arms(ctx)
        body = [effects, S.where_run(ctx), S.costs(ctx, [name], with_ce=False)]
    else:
        shown = []
        body = [S.outcomes_levels(ctx), S.where_run(ctx)]
    return [S.what_run(ctx), *body, S.sure(ctx, shown, compare=False), S.figures(ctx, figs, rest), S.method(ctx)]


KIND = BriefKind("run", detect=lambda res: res.kind == "run", title=_title, sections=_sections, priority=90)
