"""Demography: mortality, partnership, fertility and births, household formation.

Equations (``docs/model.md`` gives the full description):

* annual death probability ``q(a, s) = m(a, s) * RR_health * (1 - d)^t * mods``, where
  ``m`` is the infant rate at age 0, a child rate at 1-4, a flat rate at 5-14 and a
  Gompertz-Makeham curve ``c + A exp(B (a - 30))`` from age 15 (men times an excess
  factor); health risk ratios apply to stunted and ill children and to disabled persons;
  ``d`` is the yearly mortality decline.
* partnership: singles enter the marriage market with an age-specific hazard (Gaussian
  in age around a modal age); entrants are matched within cells of county x schooling
  band (assortative mating) by rank of random per-person keys: the draws are CRN-safe,
  but an extra or missing entrant re-pairs the later-ranked entrants of its cell and
  year (never anyone outside that cell and year).  Wives move into the husband's household (patrilocal stem
  family) or the couple forms a new household in the husband's village.
* fertility: partnered women 18-49 give birth with a parity-specific hazard, reduced
  beyond age 32 and when the husband is away.  Newborn ids derive from the mother's id
  and birth order (:func:`povsim.rng.newborn_ids`).
"""

from __future__ import annotations

import numpy as np

from povsim import kernels
from povsim.params import Param
from povsim.rng import newborn_ids
from povsim.state import World

PARAMS = (
    Param("infant_mortality", 0.015, "per year (age 0)", (0.008, 0.025),
          "National IMR 12.1 per 1,000 in 2011; poor rural areas higher (Chin J Health Policy "
          "2014, 7(2):57) [E]", "Death probability in the first year of life", bounds=(0, 0.2)),
    Param("child_mortality_1_4", 0.001, "per year (ages 1-4)", (0.0004, 0.003),
          "(U5MR 15.6 - IMR 12.1)/4 per 1,000, 2011 (Chin J Health Policy 2014) [E]",
          "Annual death probability at ages 1-4", bounds=(0, 0.1)),
    Param("mortality_5_14", 0.0003, "per year", (0.0001, 0.0008),
          "Assumption (China life tables, 2010 census)", "Annual death probability at 5-14",
          bounds=(0, 0.05)),
    Param("gompertz_a", 0.0009, "per year at age 30", (0.0005, 0.0015),
          "Gompertz-Makeham fit giving life expectancy ~75 (2010 census e0 74.8) [E]",
          "Adult female annual death probability at age 30 (Gompertz level)", bounds=(0, 0.05)),
    Param("gompertz_b", 0.085, "per year of age", (0.07, 0.1),
          "Gompertz slope: mortality doubles about every 8 years of age [E]",
          "Gompertz rate of increase of adult mortality with age", bounds=(0.0, 0.2)),
    Param("male_mortality_excess", 1.35, "ratio", (1.15, 1.6),
          "Assumption (male/female adult mortality ratio, China life tables)",
          "Ratio of male to female adult mortality", bounds=(0.5, 3.0)),
    Param("mortality_decline", 0.015, "per year", (0.0, 0.03),
          "Assumption: secular decline of age-specific mortality", "Yearly proportional "
          "decline in all death probabilities", bounds=(0.0, 0.1)),
    Param("rr_mortality_stunted", 1.6, "ratio", (1.2, 2.3),
          "Olofin et al. 2013, PLoS One 8:e64636, HR of moderate stunting for under-5 "
          "mortality [M]", "Risk ratio of death, stunted children under 5", bounds=(1.0, 10.0)),
    Param("rr_mortality_shock", 4.0, "ratio", (2.0, 8.0),
          "Assumption: serious illness/injury episode", "Risk ratio of death in a year with "
          "a health shock", bounds=(1.0, 30.0)),
    Param("rr_mortality_disabled", 2.0, "ratio", (1.3, 3.0),
          "Assumption", "Risk ratio of death for persons with a disability", bounds=(1.0, 10.0)),
    Param("marriage_hazard_peak", 0.3, "per year", (0.15, 0.5),
          "Calibrated so that mean first marriage is ~24 for women (6th census, BNU "
          "summary) [E]", "Peak annual hazard of entering the marriage market",
          bounds=(0.0, 1.0)),
    Param("marriage_age_mode_women", 23.5, "years", (22.0, 26.0),
          "Mean age at first marriage of women 23.9-24.0 in 2010 (6th census)",
          "Modal age of marriage-market entry, women", bounds=(16.0, 40.0)),
    Param("marriage_age_gap", 2.0, "years", (1.0, 4.0),
          "Assumption (husbands ~2 years older)", "Modal age of men minus that of women",
          bounds=(-5.0, 10.0)),
    Param("marriage_age_spread", 4.0, "years", (2.5, 6.0),
          "Assumption", "SD of the Gaussian age profile of the marriage hazard",
          bounds=(0.5, 15.0)),
    Param("marriage_assortative", 0.7, "probability", (0.4, 0.9),
          "Calibrated to a spousal schooling correlation ~0.55 (Han 2010) [E]",
          "Share of entrants who search only within their own schooling band",
          bounds=(0.0, 1.0)),
    Param("patrilocal_share", 0.6, "probability", (0.4, 0.8),
          "Assumption: newly-weds in rural China usually live with the husband's parents",
          "Probability a wife joins her husband's household rather than forming a new one",
          bounds=(0.0, 1.0)),
    Param("household_split", 0.08, "per year", (0.03, 0.15),
          "Assumption (married sons in stem families set up their own household after some "
          "years; rural household size ~3.1-3.5, NBS 2010 census)", "Annual probability a "
          "married man living with his parents leaves with his wife and children",
          bounds=(0.0, 1.0)),
    Param("fertility_first_birth", 0.42, "per year", (0.3, 0.6),
          "Calibrated to mean age at first birth 25.9 (6th census; Chen & Ouyang 2024) [E]",
          "Annual birth probability of partnered women with no child", bounds=(0.0, 1.0)),
    Param("fertility_second_birth", 0.11, "per year", (0.06, 0.2),
          "Calibrated to TFR 1.5-1.6 (2010 census 1.52; Jiang et al.) [E]",
          "Annual birth probability of partnered women with one child", bounds=(0.0, 1.0)),
    Param("fertility_higher_birth", 0.015, "per year", (0.005, 0.05),
          "Assumption (third births rare under the birth-planning rules)",
          "Annual birth probability of partnered women with 2+ children", bounds=(0.0, 1.0)),
    Param("fertility_age_decline", 0.2, "per year of age over 32", (0.1, 0.35),
          "Assumption", "Exponential decline of birth probability after age 32",
          bounds=(0.0, 2.0)),
    Param("fertility_absent_husband", 0.5, "ratio", (0.3, 0.8),
          "Assumption (spousal separation through migration)", "Birth probability ratio "
          "when only the husband is a migrant", bounds=(0.0, 1.0)),
    Param("disability_at_birth", 0.008, "probability", (0.004, 0.015),
          "Second China National Sample Survey on Disability (2006): ~1.7% of children 0-17 "
          "disabled [M]; share present from birth assumed", "Probability a newborn has a "
          "disability or special need", bounds=(0.0, 0.2)),
)

_SEX_KEY = "birth.sex"


def life_table(world: World, params) -> np.ndarray:
    """Death probability by ``[sex, age]`` (ages 0-110) of this year, before risk ratios."""
    a = np.arange(111, dtype=np.float64)
    base = np.where(a < 1, params.infant_mortality,
                    np.where(a < 5, params.child_mortality_1_4,
                             np.where(a < 15, params.mortality_5_14, 0.0)))
    gomp = params.gompertz_a * np.exp(params.gompertz_b * (a - 30.0)) + 0.0002
    female = np.where(a >= 15, gomp, base)
    male = np.where(a >= 15, gomp * params.male_mortality_excess, base)
    return np.stack([female, male]) * (1.0 - params.mortality_decline) ** world.t


def death_probability(world: World, params) -> np.ndarray:
    """Annual death probability of every person (vectorised life table with health risks)."""
    P = world.P
    age = np.minimum(world.age(), 110).astype(np.intp)
    # life table by (sex, age) for this year, then one gather per person
    table = life_table(world, params)
    q = table[P.sex, age]
    # health risk ratios apply to the few persons concerned
    risk = np.flatnonzero(P.health_shock | P.disabled | P.stunted)
    rr = np.where(P.stunted[risk] & (age[risk] < 5), params.rr_mortality_stunted, 1.0)
    rr *= np.where(P.health_shock[risk], params.rr_mortality_shock, 1.0)
    rr *= np.where(P.disabled[risk], params.rr_mortality_disabled, 1.0)
    q[risk] *= rr
    if world.values.active():
        q = world.values("mortality.rr", world, np.arange(P.n), q)
    q[age >= 105] = 1.0
    return np.clip(q, 0.0, 1.0)


def mortality(world: World, params, streams) -> None:
    """Deaths of the year; partners become widowed."""
    P = world.P
    if world.values.modifies("mortality.rr"):
        q = death_probability(world, params)
        die = streams.uniform("mortality", world.year, P.id) < q
    else:
        # one compiled pass: the same probabilities, drawn at once
        die = kernels.deaths(streams._key("mortality", world.year, 0), P.id, P.sex,
                             world.age(), life_table(world, params), P.stunted,
                             P.health_shock, P.disabled, params.rr_mortality_stunted,
                             params.rr_mortality_shock, params.rr_mortality_disabled)
    dead = kernels.deaths_apply(die, world.year, P.alive, P.death_year)
    pr = P.partner_row
    widowed = pr[dead]
    widowed = widowed[widowed >= 0]
    P.partner_row[widowed] = -1
    world.events["deaths"] = float(len(dead))
    world.compact()


def _market_entry(world: World, params, streams) -> np.ndarray:
    """Rows of singles who enter the marriage market this year."""
    P = world.P
    # hazard by [female, previously partnered woman, age]: the per-person expressions on
    # the few possible values (identical results), then one compiled pass draws
    female, prev, a = np.meshgrid([False, True], [False, True], np.arange(50, dtype=np.float64),
                                  indexing="ij")
    mode = np.where(female, params.marriage_age_mode_women,
                    params.marriage_age_mode_women + params.marriage_age_gap)
    h = params.marriage_hazard_peak * np.exp(-0.5 * ((a - mode) / params.marriage_age_spread) ** 2)
    # widowed/previously partnered persons (parity > 0 for women) remarry less often
    h = np.ascontiguousarray(np.where(female & prev, 0.2 * h, h))
    return kernels.market_entrants(streams._key("partnership.entry", world.year, 0), P.id,
                                   world.age(), P.sex, P.partner_row, P.enrolled, P.parity, h)


def _band(years: np.ndarray) -> np.ndarray:
    return np.digitize(years, [6.5, 9.5, 12.5]).astype(np.int64)  # 0..3


def partnership(world: World, params, streams) -> None:
    """Marriage-market matching within county x schooling-band cells, by random keys."""
    P, H, geo = world.P, world.H, world.geo
    entrants = _market_entry(world, params, streams)
    if len(entrants) == 0:
        world.events["marriages"] = 0.0
        return
    county = geo.county[H.village[P.hh[entrants]]].astype(np.int64)
    own = streams.uniform("partnership.assortative", world.year, P.id[entrants])
    band = np.where(own < params.marriage_assortative, _band(P.school_years[entrants]), 4)
    cell = county * 5 + band
    key = streams.priority("partnership.key", world.year, P.id[entrants])
    women = P.sex[entrants] == 0

    def ranked(mask):
        rows = entrants[mask]
        c = cell[mask]
        order = np.lexsort((key[mask], c))
        c_sorted = c[order]
        first = np.searchsorted(c_sorted, c_sorted, side="left")
        rank = np.arange(len(order)) - first
        return rows[order], c_sorted * 1_000_000 + rank

    w_rows, w_key = ranked(women)
    m_rows, m_key = ranked(~women)
    _, wi, mi = np.intersect1d(w_key, m_key, assume_unique=True, return_indices=True)
    wives, husbands = w_rows[wi], m_rows[mi]
    # exclude close kin (siblings share a mother)
    kin = (P.mother[wives] >= 0) & (P.mother[wives] == P.mother[husbands])
    wives, husbands = wives[~kin], husbands[~kin]
    n = len(wives)
    world.events["marriages"] = float(n)
    if n == 0:
        return
    P.partner_row[wives] = husbands
    P.partner_row[husbands] = wives
    # household formation: patrilocal stem family, or a new household
    u = streams.uniform("household.formation", world.year, P.id[husbands])
    new_hh = u >= params.patrilocal_share
    P.hh[wives[~new_hh]] = P.hh[husbands[~new_hh]]
    k = int(new_hh.sum())
    if k:
        hus = husbands[new_hh]
        village = H.village[P.hh[hus]]
        hid = (streams.bits("household.id", world.year, P.id[hus]) >> np.uint64(2)).astype(np.int64)
        hid |= np.int64(1 << 61)
        rows = H.append(k, id=hid, village=village)
        _init_new_households(world, rows, params, streams)
        new_rows = np.arange(rows.start, rows.stop, dtype=np.int32)
        P.hh[hus] = new_rows
        P.hh[wives[new_hh]] = new_rows
    world.events["new_households"] = float(k)


def _init_new_households(world: World, rows: slice, params, streams) -> None:
    """Amenities of a new household: drawn at the village's current coverage."""
    H, geo = world.H, world.geo
    hid = H.id[rows]
    v = H.village[rows]
    cov = world.scratch.get("village_water")
    san = world.scratch.get("village_sanitation")
    info = world.scratch.get("village_info")
    water_cov = cov[v] if cov is not None else geo.water_coverage[v]
    san_cov = san[v] if san is not None else geo.sanitation_coverage[v]
    info_cov = info[v] if info is not None else np.full(len(v), 0.9)
    H.safe_water[rows] = streams.uniform("household.water", 0, hid) < water_cov
    H.sanitation[rows] = streams.uniform("household.sanitation", 0, hid) < san_cov
    H.info_access[rows] = streams.uniform("household.info", 0, hid) < info_cov
    H.earn_effect[rows] = streams.normal("earnings.household", 0, hid)
    H.parenting_z[rows] = streams.normal("parenting.household", 0, hid)


def fertility(world: World, params, streams) -> None:
    """Births to partnered women; newborns join the mother's household."""
    P = world.P
    pr = P.partner_row
    # hazard by [parity 0 / 1 / 2+, age] with the per-person expressions on the possible
    # values (identical results); one compiled pass finds the mothers
    parity, a = np.meshgrid(np.arange(3), np.arange(50, dtype=np.float64), indexing="ij")
    h = np.where(parity == 0, params.fertility_first_birth,
                 np.where(parity == 1, params.fertility_second_birth, params.fertility_higher_birth))
    h = np.ascontiguousarray(h * np.exp(-params.fertility_age_decline * np.clip(a - 32.0, 0.0, None)))
    mothers = kernels.birth_mothers(streams._key("fertility", world.year, 0), P.id, world.age(),
                                    P.sex, pr, P.migrant, P.parity, h,
                                    params.fertility_absent_husband)
    n = len(mothers)
    world.events["births"] = float(n)
    if n == 0:
        return
    fathers = pr[mothers]
    order = P.parity[mothers].astype(np.int64) + 1
    ids = newborn_ids(P.id[mothers], order)
    P.parity[mothers] = order
    p_boy = 1.0 / (1.0 + 1.0 / params.sex_ratio_at_birth)
    sex = (streams.uniform(_SEX_KEY, 0, ids) < p_boy).astype(np.int8)
    disabled = streams.uniform("birth.disability", 0, ids) < params.disability_at_birth
    gen = (np.maximum(P.generation[mothers], P.generation[fathers]) + 1).astype(np.int8)
    # first-year mortality happens in the year of birth: only survivors join the table
    q0 = params.infant_mortality * (1.0 - params.mortality_decline) ** world.t
    q0 = np.where(disabled, q0 * params.rr_mortality_disabled, q0)
    dies = streams.uniform("mortality.infant", world.year, ids) < q0
    world.events["infant_deaths"] = float(dies.sum())
    if dies.any():
        d = np.flatnonzero(dies)
        world.archive.append({
            "id": ids[d], "sex": sex[d], "birth_year": np.full(len(d), world.year, np.int16),
            "death_year": np.full(len(d), world.year, np.int16), "mother": P.id[mothers[d]],
            "father": P.id[fathers[d]], "generation": gen[d],
            "school_years": np.zeros(len(d), np.int8), "stunted_ever": np.zeros(len(d), bool),
            "child_poor_years": np.zeros(len(d), np.int8),
            "child_years_observed": np.zeros(len(d), np.int8),
            "adult_log_income_sum": np.zeros(len(d), np.float32),
            "adult_income_years": np.zeros(len(d), np.int8),
        })
    s = ~dies
    mothers, fathers, ids, sex, disabled, gen = (
        mothers[s], fathers[s], ids[s], sex[s], disabled[s], gen[s])
    P.append(
        len(ids), id=ids, sex=sex, birth_year=np.int16(world.year), hh=P.hh[mothers],
        mother=P.id[mothers], father=P.id[fathers], mother_row=mothers.astype(np.int32),
        father_row=fathers.astype(np.int32), generation=gen, disabled=disabled,
        earn_effect=streams.normal("earnings.person", 0, ids),
    )


def household_split(world: World, params, streams) -> None:
    """Married sons living with a parent leave with wife and minor children."""
    P, H = world.P, world.H
    men = kernels.split_men(streams._key("household.split", world.year, 0), P.id, P.sex,
                            P.partner_row, P.father_row, P.mother_row, P.hh,
                            params.household_split)
    k = len(men)
    world.events["household_splits"] = float(k)
    if k == 0:
        return
    hid = (streams.bits("household.split_id", world.year, P.id[men]) >> np.uint64(2)).astype(
        np.int64) | np.int64(1 << 61)
    rows = H.append(k, id=hid, village=H.village[P.hh[men]])
    _init_new_households(world, rows, params, streams)
    new_row = np.full(P.n, -1, dtype=np.int32)
    new_row[men] = np.arange(rows.start, rows.stop)
    wives = P.partner_row[men]
    same = P.hh[wives] == P.hh[men]
    kernels.split_children(world.age(), P.father_row, P.hh, new_row)
    P.hh[wives[same]] = new_row[men[same]]
    P.hh[men] = new_row[men]


def demography(world: World, params, streams) -> None:
    """Deaths, partnerships (with household formation), household splits and births."""
    mortality(world, params, streams)
    partnership(world, params, streams)
    household_split(world, params, streams)
    fertility(world, params, streams)
