"""Partnership: the marriage market and household formation.

Singles aged 18-49 out of school enter the marriage market with an age-specific hazard
(Gaussian in age around a modal age; previously partnered women at a fifth of it).
Entrants are matched within cells of county x schooling band (assortative mating; the
others search in an open band of their county) by rank of random per-person keys: the
draws are CRN-safe, but an extra or missing entrant re-pairs the later-ranked entrants of
its cell and year (never anyone outside that cell and year).  Siblings are not matched.
The wife joins the husband's household (patrilocal stem family) or the couple forms a new
household in the husband's village; each process module initialises its own columns of
the new household (its ``on_new_households`` hook).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
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
)

COLUMNS = ()

VALUES = ()

STREAMS = ("partnership.entry", "partnership.assortative", "partnership.key",
           "household.formation", "household.id")

TABLES = ()


def step(world: World, params, streams) -> None:
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
        hid = (streams.bits("household.id", world.year, P.id[hus]) >> np.uint64(2)).astype(np.int64)
        hid |= np.int64(1 << 61)
        new_rows = world.new_households(hid, H.village[P.hh[hus]], params, streams)
        P.hh[hus] = new_rows
        P.hh[wives[new_hh]] = new_rows
    world.events["new_households"] = float(k)


def _market_entry(world: World, params, streams) -> np.ndarray:
    """Rows of singles who enter the marriage market this year."""
    P = world.P
    # hazard by [female, previously partnered woman, age]: evaluated on the few possible
    # values, then one compiled pass draws
    female, prev, a = np.meshgrid([False, True], [False, True], np.arange(50, dtype=np.float64),
                                  indexing="ij")
    mode = np.where(female, params.marriage_age_mode_women,
                    params.marriage_age_mode_women + params.marriage_age_gap)
    h = params.marriage_hazard_peak * np.exp(-0.5 * ((a - mode) / params.marriage_age_spread) ** 2)
    # widowed/previously partnered persons (parity > 0 for women) remarry less often
    h = np.ascontiguousarray(np.where(female & prev, 0.2 * h, h))
    return _market_entrants(streams.key("partnership.entry", world.year), P.id, world.age(),
                            P.sex, P.partner_row, P.enrolled, P.parity, h)


def _band(years: np.ndarray) -> np.ndarray:
    return np.digitize(years, [6.5, 9.5, 12.5]).astype(np.int64)  # 0..3


@njit(cache=True)
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
