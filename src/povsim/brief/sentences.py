"""Sentences generated from numbers: each function fills one template of
:data:`povsim.brief.i18n.MESSAGES` with values read from the folder, in English or Chinese.

Nothing here is typed prose about results: a number, a direction ("falls"/"rises"), a place or
a name comes from the tables, and an interval that includes zero is said to include no change.
"""

from __future__ import annotations

from collections.abc import Sequence

from povsim.brief.context import Context
from povsim.brief.effects import Effect
from povsim.brief.i18n import join, number_word, term
from povsim.brief.numbers import fmt_count, fmt_diff, fmt_level, fmt_pct, fmt_rmb, isnum
from povsim.brief.outcomes import Outcome
from povsim.compare import CE_MEASURES

__all__ = ["arm_effect_sentence", "ce_sentence", "cost_sentence", "cost_top_sentence", "decomposition_sentence",
           "effect_sentence", "level_sentence", "outcome_name", "where_sentence", "who_county_sentence",
           "who_pair_sentence"]


def outcome_name(ctx: Context, o: Outcome) -> str:
    """The outcome's noun phrase, with the MODA cut-off k of its age group spelled out."""
    age = "6-17" if "6_17" in o.measure else "0-5"
    k = ctx.moda_k(age)
    return o.name(ctx.lang, number_word(k, ctx.lang) if k is not None else "k")


def _amount(ctx: Context, e: Effect) -> tuple[str, str, str, str]:
    """verb, magnitude, and the interval's ends as magnitudes of the same direction ("falls by
    6.1 pp (95 % interval 4.8 to 7.4 pp)") when the interval excludes zero, signed otherwise."""
    u, lang = e.outcome.unit, ctx.lang
    verb = ctx.t("verb.falls") if e.diff < 0 else ctx.t("verb.rises")
    if e.clear:
        lo, hi = sorted((abs(e.lo), abs(e.hi)))
        return verb, fmt_diff(e.diff, u, lang, signed=False), fmt_diff(lo, u, lang, signed=False, with_unit=False), \
            fmt_diff(hi, u, lang, signed=False)
    return verb, fmt_diff(e.diff, u, lang, signed=False), fmt_diff(e.lo, u, lang, with_unit=False), \
        fmt_diff(e.hi, u, lang)


def effect_sentence(ctx: Context, e: Effect) -> str:
    """"Under the full package, the share of children aged 0–5 deprived in three or more
    dimensions falls by 6.1 pp (95 % interval −7.4 to −4.8) by 2019 compared with the baseline.\""""
    verb, amount, lo, hi = _amount(ctx, e)
    common = {"alt": ctx.scenario_name(e.scenario), "outcome": outcome_name(ctx, e.outcome), "year": e.year,
              "base": ctx.scenario_name(ctx.base)}
    if not e.has_interval:
        return ctx.t("sentence.effect_one", verb=verb, amount=amount, **common)
    if not e.clear:
        return ctx.t("sentence.effect_unclear", amount=fmt_diff(e.diff, e.outcome.unit, ctx.lang), lo=lo, hi=hi,
                     **common)
    return ctx.t("sentence.effect", verb=verb, amount=amount, lo=lo, hi=hi, **common)


def arm_effect_sentence(ctx: Context, e: Effect) -> str:
    """Pilot villages against the comparison villages of the same run (difference-in-differences)."""
    verb, amount, lo, hi = _amount(ctx, e)
    common = {"name": ctx.scenario_name(e.scenario), "outcome": outcome_name(ctx, e.outcome), "start": ctx.start,
              "year": e.year, "lo": lo, "hi": hi}
    if e.has_interval and not e.clear:
        return ctx.t("sentence.arm_effect_unclear", amount=fmt_diff(e.diff, e.outcome.unit, ctx.lang), **common)
    return ctx.t("sentence.arm_effect", verb=verb, amount=amount, **common)


def level_sentence(ctx: Context, name: str, o: Outcome, first: float, last: float, start: int, end: int) -> str:
    return ctx.t("sentence.level", name=ctx.scenario_name(name), outcome=outcome_name(ctx, o),
                 first=fmt_level(first, o.unit, ctx.lang), last=fmt_level(last, o.unit, ctx.lang), start=start,
                 end=end)


def who_county_sentence(ctx: Context, alt: str, o: Outcome, year: int,
                        effects: Sequence[tuple[str, Effect]]) -> str | None:
    """Where the fall is largest and smallest (counties, by mean difference)."""
    if len(effects) < 2:
        return None
    ranked = sorted(effects, key=lambda ge: ge[1].diff if o.lower_is_better else -ge[1].diff)
    (best, eb), (worst, ew) = ranked[0], ranked[-1]
    return ctx.t("sentence.who_county", alt=ctx.scenario_name(alt), outcome=outcome_name(ctx, o), year=year,
                 best=term("county", best, ctx.lang), best_amount=fmt_diff(eb.diff, o.unit, ctx.lang),
                 worst=term("county", worst, ctx.lang), worst_amount=fmt_diff(ew.diff, o.unit, ctx.lang))


def who_pair_sentence(ctx: Context, alt: str, o: Outcome, year: int, by: str,
                      effects: Sequence[tuple[str, Effect]]) -> str | None:
    """Two groups side by side (arms, left-behind or not, girls and boys)."""
    if len(effects) != 2:
        return None
    (a, ea), (b, eb) = effects
    return ctx.t("sentence.who_group", alt=ctx.scenario_name(alt), outcome=outcome_name(ctx, o), year=year,
                 a=term(by, a, ctx.lang), a_amount=fmt_diff(ea.diff, o.unit, ctx.lang),
                 b=term(by, b, ctx.lang), b_amount=fmt_diff(eb.diff, o.unit, ctx.lang))


def where_sentence(ctx: Context, o: Outcome, year: int, levels: dict[str, float]) -> str | None:
    """The range of a level across counties."""
    levels = {k: v for k, v in levels.items() if isnum(v)}
    if len(levels) < 2:
        return None
    low = min(levels, key=levels.get)
    high = max(levels, key=levels.get)
    return ctx.t("sentence.where", year=year, outcome=outcome_name(ctx, o),
                 low=term("county", low, ctx.lang), low_value=fmt_level(levels[low], o.unit, ctx.lang),
                 high=term("county", high, ctx.lang), high_value=fmt_level(levels[high], o.unit, ctx.lang))


def cost_sentence(ctx: Context, name: str, total: float, disc: float, first: int, last: int,
                  children: float | None) -> str:
    """Total and discounted cost, years of spending, children reached and cost per child."""
    lang = ctx.lang
    rate = fmt_pct(ctx.discount_rate(name), lang, digits=0)
    common = {"name": ctx.scenario_name(name), "total": fmt_rmb(total, lang), "disc": fmt_rmb(disc, lang),
              "start": ctx.start, "rate": rate, "years": ctx.t("cost.years", first=first, last=last)}
    if children is not None and isnum(children) and children > 0:
        return ctx.t("sentence.cost", children=f"{children:,.0f}", per_child=fmt_rmb(total / children, lang),
                     **common)
    return ctx.t("sentence.cost_no_reach", **common)


def cost_top_sentence(ctx: Context, name: str, by_intervention: dict[str, float],
                      by_funder: dict[str, float]) -> str | None:
    total = sum(by_intervention.values())
    if total <= 0 or not by_funder:
        return None
    top = max(by_intervention, key=by_intervention.get)
    funder = max(by_funder, key=by_funder.get)
    return ctx.t("sentence.cost_top", name=ctx.scenario_name(name),
                 intervention=term("intervention", top, ctx.lang),
                 share=fmt_pct(by_intervention[top] / total, ctx.lang, digits=0),
                 funder=term("funder", funder, ctx.lang),
                 funder_share=fmt_pct(by_funder[funder] / sum(by_funder.values()), ctx.lang, digits=0))


#: Cost-effectiveness measures of ``cost_effectiveness.csv`` (column ``measure``), each with a
#: unit in words (message ``ce.unit.<measure>``).
CE_UNITS = tuple(key for key, _, _ in CE_MEASURES)


def ce_unit(ctx: Context, ratio: str, measure: str | None = None) -> str:
    """The unit of a cost-effectiveness ratio of ``cost_effectiveness.csv``, in words (by its
    ``measure`` key; folders of older versions: by the ratio's text)."""
    if measure in CE_UNITS:
        return ctx.t(f"ce.unit.{measure}")
    if "child-year" in ratio:
        return ctx.t("ce.unit.child_year")
    if "lifted" in ratio:
        return ctx.t("ce.unit.lifted")
    if "adult" in ratio:
        return ctx.t("ce.unit.adult")
    return ratio.removeprefix("per ")


def ce_sentence(ctx: Context, name: str, ratio: str, value: float, lo: float, hi: float,
                measure: str | None = None) -> str:
    unit = ce_unit(ctx, ratio, measure)
    if not isnum(value):
        return ctx.t("sentence.ce_none", name=ctx.scenario_name(name), unit=unit)
    if not isnum(lo):
        return ctx.t("sentence.ce_unbounded", name=ctx.scenario_name(name), value=fmt_rmb(value, ctx.lang),
                     unit=unit)
    return ctx.t("sentence.ce", name=ctx.scenario_name(name), value=fmt_rmb(value, ctx.lang), unit=unit,
                 lo=fmt_rmb(lo, ctx.lang), hi=fmt_rmb(hi, ctx.lang))


def own_share_sentence(ctx: Context, alt: str, view: str, total: float, share: float, dims: Sequence[str]) -> str:
    """How much of a MODA effect (``moda_decomposition.csv``) comes from the dimensions of the
    interventions' own indicators."""
    return ctx.t("sure.own_share", alt=ctx.scenario_name(alt), view=ctx.t(f"moda.view.{view.split()[0]}"),
                 amount=fmt_count(total, ctx.lang),
                 share=fmt_pct(share, ctx.lang, digits=0) if isnum(share) else ctx.t("n/a"),
                 dims=join([term("dimension", d, ctx.lang) for d in dims], ctx.lang) if dims else ctx.t("n/a"))


def decomposition_sentence(ctx: Context, alt: str, year: int, total: float, service_share: float,
                           dims: Sequence[str]) -> str:
    return ctx.t("sure.decomposition", alt=ctx.scenario_name(alt), year=year,
                 amount=fmt_diff(total, "index", ctx.lang), share=fmt_pct(service_share, ctx.lang, digits=0),
                 dims=join([term("dimension", d, ctx.lang) for d in dims], ctx.lang))
