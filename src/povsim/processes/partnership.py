"""Partnership: the marriage market and household formation.

Singles aged 18-49 out of school enter the marriage market with an age-specific hazard
(Gaussian in age around a modal age that follows a period path before 2014; previously
partnered women at a fifth of it).  Entrants are matched within their county by rank of a
*marriage-market index*::

    index = (S - 9) / 3 + w z_income + sigma e

(``S`` years of schooling, ``z_income`` the standardised log income per capita of the
household the entrant lives in, ``e`` a standard normal draw of the person and year):
women and men of a county are sorted by index and paired rank by rank from the top, so
the surplus of the more numerous sex at the bottom of the index stays single this year.
Assortative mating on schooling and on family income is therefore set by ``w`` and
``sigma`` (the spousal correlation of schooling is about ``1 / (1 + w^2 + sigma^2)``).
The draws are CRN-safe, but an extra or missing entrant re-pairs the entrants ranked
below it in its county and year (never anyone outside them).  Siblings are not matched.
The wife joins the husband's household (patrilocal stem family) or the couple forms a new
household in the husband's village; each process module initialises its own columns of
the new household (its ``on_new_households`` hook); a new household inherits part of the
income effect of the husband's household of origin
(:func:`povsim.processes.earnings.inherit_household_effect`) and receives the marriage
transfers of :func:`povsim.processes.wealth.marriage_transfers` (a house from the
husband's family, a dowry from the wife's).

References
----------
Han, H. (2010). Trends in educational assortative marriage in China from 1970 to 2000.
Demographic Research 22(24):733-770.
Dong, H., & Xie, Y. (2023). Trends in educational assortative marriage in China over the
past century. Demography 60(1):123-145.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, path
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("marriage_hazard_peak", 0.45, "per year", (0.2, 0.7),
          "Calibrated so that mean first marriage is ~24 for women (6th census, BNU "
          "summary) and 1-2% of rural women aged 45-49 are childless (IJPS 8(1): 99% of "
          "cohorts 1937-69 had a first birth) [E]", "Peak annual hazard of entering the marriage market",
          bounds=(0.0, 1.0)),
    Param("marriage_age_mode_women", 26.8, "years", (24.5, 29.0),
          "Mean age at first marriage of women 24.00 in 2010 (6th census; Chen & Ouyang "
          "2024, Population Research 48(6):18-32); with the hazard's spread the mean entry "
          "age is about 3 years below the age of peak hazard [E]",
          "Age at which women's hazard of entering the marriage market peaks (2014)",
          bounds=(16.0, 40.0)),
    Param("marriage_age_mode_women_1980", 25.5, "years", (23.5, 27.5),
          "Mean age at first marriage of women 22.8 in 1982 (Population Research 1985, "
          "2(4):27-35); the modal entry age lies above the mean age at marriage because "
          "entrants are matched only when a partner is found [E]",
          "Age of women's peak marriage-market hazard in 1980 (period path)",
          bounds=(16.0, 40.0)),
    Param("marriage_age_mode_women_2000", 26.0, "years", (24.0, 28.0),
          "Mean age at first marriage of women 23.28 in 2000 (Chen & Ouyang 2024, Population "
          "Research 48(6):18-32) [E]", "Age of women's peak marriage-market hazard in 2000 "
          "(period path)", bounds=(16.0, 40.0)),
    Param("marriage_age_gap", 2.0, "years", (1.0, 4.0),
          "Assumption (husbands ~2 years older)", "Modal age of men minus that of women",
          bounds=(-5.0, 10.0)),
    Param("marriage_age_spread", 4.0, "years", (2.5, 6.0),
          "Assumption", "SD of the Gaussian age profile of the marriage hazard",
          bounds=(0.5, 15.0)),
    Param("mating_noise_sd", 0.8, "SD of the index", (0.4, 1.4),
          "Calibrated to the spousal schooling correlation: couple rank-rank correlations "
          "rising to ~0.5-0.6 for recent cohorts (Dong & Xie 2023, Demography 60(1)); "
          "educational homogamy 58.8% among migrant couples (Zhang & Tan 2021, IJERPH "
          "18:1375) [E]", "SD of the random part of the marriage-market index (larger: "
          "less assortative mating)", bounds=(0.0, 10.0)),
    Param("mating_income_weight", 0.5, "index units per SD of log income", (0.0, 1.0),
          "Assumption: family wealth and income weigh in rural matches (bride price, house "
          "for the groom); CHNS couples' incomes are correlated [assumption]",
          "Weight of the standardised log income per capita of the entrant's household in "
          "the marriage-market index", bounds=(0.0, 5.0)),
    Param("patrilocal_share", 0.7, "probability", (0.4, 0.9),
          "Assumption: newly-weds in rural China usually live with the husband's parents",
          "Probability a wife joins her husband's household rather than forming a new one",
          bounds=(0.0, 1.0)),
)

COLUMNS = ()

VALUES = ()

STREAMS = ("partnership.entry", "partnership.assortative", "household.formation",
           "household.id")

TABLES = ()


def step(world: World, params, streams) -> None:
    """Marriage-market matching within counties by rank of the marriage-market index."""
    from povsim.processes.earnings import inherit_household_effect
    from povsim.processes.wealth import marriage_transfers

    P, H, geo = world.P, world.H, world.geo
    entrants = _market_entry(world, params, streams)
    if len(entrants) == 0:
        world.events["marriages"] = 0.0
        return
    county = geo.county[H.village[P.hh[entrants]]].astype(np.int64)
    log_inc = np.log(np.maximum(H.income_pc[P.hh[entrants]], 100.0).astype(np.float64))
    sd = log_inc.std()
    z_inc = (log_inc - log_inc.mean()) / sd if sd > 0 else np.zeros(len(entrants))
    noise = streams.normal("partnership.assortative", world.year, P.id[entrants])
    index = ((P.school_years[entrants].astype(np.float64) - 9.0) / 3.0
             + params.mating_income_weight * z_inc + params.mating_noise_sd * noise)
    women = P.sex[entrants] == 0

    def ranked(mask):
        # within each county, descending index: rank 0 is the top of the market
        rows = entrants[mask]
        c = county[mask]
        order = np.lexsort((-index[mask], c))
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
    wife_origin = P.hh[wives].copy()
    husband_origin = P.hh[husbands].copy()
    # household formation: patrilocal stem family, or a new household
    u = streams.uniform("household.formation", world.year, P.id[husbands])
    new_hh = u >= params.patrilocal_share
    P.hh[wives[~new_hh]] = P.hh[husbands[~new_hh]]
    k = int(new_hh.sum())
    dest = P.hh[husbands].copy()
    if k:
        hus = husbands[new_hh]
        new_rows = world.new_households(streams.household_ids("household.id", world.year, P.id[hus]),
                                        H.village[P.hh[hus]], params, streams)
        inherit_household_effect(world, params, new_rows, husband_origin[new_hh])
        P.hh[hus] = new_rows
        P.hh[wives[new_hh]] = new_rows
        dest[new_hh] = new_rows
    marriage_transfers(world, params, wife_origin, husband_origin, dest, new_hh)
    world.events["new_households"] = float(k)


def marriage_age_mode(year: int, params) -> float:
    """Modal age of women's marriage-market entry in ``year`` (period path before 2014)."""
    if year >= REFERENCE_YEAR:
        return params.marriage_age_mode_women
    return path(year, [(1980, params.marriage_age_mode_women_1980),
                       (2000, params.marriage_age_mode_women_2000),
                       (REFERENCE_YEAR, params.marriage_age_mode_women)])


def _market_entry(world: World, params, streams) -> np.ndarray:
    """Rows of singles who enter the marriage market this year."""
    P = world.P
    # hazard by [female, previously partnered woman, age]: evaluated on the few possible
    # values, then one compiled pass draws
    female, prev, a = np.meshgrid([False, True], [False, True], np.arange(50, dtype=np.float64),
                                  indexing="ij")
    m_w = marriage_age_mode(world.year, params)
    mode = np.where(female, m_w, m_w + params.marriage_age_gap)
    h = params.marriage_hazard_peak * np.exp(-0.5 * ((a - mode) / params.marriage_age_spread) ** 2)
    # widowed/previously partnered persons (parity > 0 for women) remarry less often
    h = np.ascontiguousarray(np.where(female & prev, 0.2 * h, h))
    return _market_entrants(streams.key("partnership.entry", world.year), P.id, world.age(),
                            P.sex, P.partner_row, P.enrolled, P.parity, h)


@njit(cache=True, nogil=True)
def _market_entrants(key, ids, age, sex, partner_row, enrolled, parity, h_table):
    """Rows of singles aged 18-49 out of school who enter the marriage market: a uniform
    each against ``h_table[female, parity > 0, age]``.

    Written without data-dependent branches (persons come in random order): candidates
    are found by a masked count, then drawn.
    """
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        a = age[i]
        cand[k] = i
        k += (partner_row[i] < 0) & (a >= 18) & (a <= 49) & (not enrolled[i])
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        i = cand[j]
        female = sex[i] == 0
        h = h_table[np.int64(female), np.int64(female & (parity[i] > 0)), age[i]]
        out[r] = i
        r += uniform_at(key, ids[i]) < h
    return out[:r].copy()
