"""Household wealth: accumulated from savings, drawn down by medical costs, passed on.

Each household holds net wealth ``W`` (RMB, 2014 prices: house, land-use rights valued as
assets, productive assets, savings).  Each year, before income:

* the house and assets depreciate, ``W <- (1 - delta) W``;
* the household saves a share ``s`` of last year's income per person above the
  subsistence level (a share of the mean income of the year) times its present members.

Through the income of the year (:mod:`povsim.processes.earnings`) wealth yields asset
income ``r W`` and pays uninsured medical costs from its liquid part ``l W`` before they
lower income (a household without savings falls into poverty when illness strikes).

Wealth passes between generations:

* at *division* (a married son leaves his parents' household) and at a *neolocal
  marriage* (the couple sets up a new household) the new household takes a share of the
  wealth of the husband's household of origin (the house and wedding a family provides
  for a son), and the bride brings a dowry, a share of her family's wealth
  (:func:`division_transfers`, :func:`marriage_transfers`);
* a household left with no living member passes its wealth to the households of the
  living children of its members, in equal parts (:func:`bequeath`).

Initial wealth (the synthetic start, or the first year of the spin-up) is a multiple of
mean household income, log-normal and correlated with the household's income effect.

References
----------
Xie, Y., & Jin, Y. (2015). Household wealth in China. Chinese Sociological Review
47(3):203-229 (wealth Gini 0.73; housing over 70% of wealth; CFPS 2012).
Gan, L., Yin, Z., & Tan, J. (2016). Report on the Development of Household Finance in
Rural China (2014). Springer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable, household
from povsim.params import Param
from povsim.state import World

PARAMS = (
    Param("wealth_asset_return", 0.02, "per year", (0.005, 0.05),
          "Assumption: about 7% on the productive ~30% of rural wealth (housing is over 70% "
          "of household wealth; Xie & Jin 2015, CSR 47(3):203)", "Asset income per RMB of "
          "household net wealth", bounds=(0.0, 0.3)),
    Param("wealth_liquid_share", 0.2, "share of wealth per year", (0.1, 0.4),
          "Assumption (savings, livestock and borrowing against assets)", "Share of wealth "
          "that can pay medical costs in a year", bounds=(0.0, 1.0)),
    Param("wealth_depreciation", 0.03, "per year", (0.01, 0.05),
          "Assumption (rural houses)", "Yearly depreciation of household wealth",
          bounds=(0.0, 0.5)),
    Param("saving_rate", 0.3, "share of income above subsistence", (0.15, 0.45),
          "Rural saving rate 18.4% of disposable income in 2017 and 17.1% in 2018 (1 - "
          "consumption/income, NBS) [E]: 0.3 of income above half the mean", "Share of "
          "income above the subsistence level that is saved", bounds=(0.0, 1.0)),
    Param("subsistence_share", 0.5, "share of mean income per person", (0.3, 0.7),
          "Assumption", "Income per person below which a household saves nothing, as a "
          "share of the year's mean income", bounds=(0.0, 2.0)),
    Param("wealth_income_ratio_start", 4.0, "years of household income", (2.0, 6.0),
          "Rural household net wealth, median ~60-150k RMB (2012-2015, Gan et al. 2016) [M], "
          "against ~25k RMB of household income [E]", "Mean household wealth at a 2014 "
          "start in years of mean household income", bounds=(0.0, 50.0)),
    Param("wealth_income_ratio_1980", 1.0, "years of household income", (0.5, 2.0),
          "Assumption: after decollectivisation rural households owned little beyond the "
          "house", "Mean household wealth at a spin-up start before 2000, in years of mean "
          "household income", bounds=(0.0, 50.0)),
    Param("wealth_sd_start", 0.8, "log SD", (0.5, 1.2),
          "Wealth Gini 0.73 in 2012 (Xie & Jin 2015) [E]", "SD of log initial wealth",
          bounds=(0.0, 5.0)),
    Param("division_share", 0.3, "share of the parents' wealth", (0.15, 0.5),
          "Assumption: houses pass to sons at household division on marriage, parents fund "
          "sons' housing and weddings (Dong & Wan 2012, cited by pishu.com.cn) [S/M]",
          "Share of the wealth of the husband's household of origin a new household takes",
          bounds=(0.0, 1.0)),
    Param("dowry_share", 0.05, "share of the bride's family wealth", (0.0, 0.15),
          "Assumption: daughters receive a dowry (Dong & Wan 2012) [M]",
          "Share of the wealth of the bride's household that goes with her",
          bounds=(0.0, 1.0)),
)

COLUMNS = (household("wealth", np.float32, 0.0, "household net wealth (RMB, 2014 prices)"),)

VALUES = ()

STREAMS = ("wealth.start",)

_WEALTH = (
    Measure("mean_wealth", "mean household net wealth over persons", "mean",
            "RMB (2014 prices)"),
    Measure("no_wealth_share", "persons in households with net wealth below one month of "
            "their income"),
    Measure("wealth_bottom_half_share", "share of all household wealth held by the poorer "
            "half of households"),
)


def _collect_wealth(world: World, cells) -> None:
    # in survey years, as wealth is measured (CHFS/CFPS waves): every fifth calendar year
    # and the start year
    if world.year % 5 and world.year != world.start_year:
        return
    P, H = world.P, world.H
    median = float(np.median(H.wealth)) if H.n else 0.0
    num, den = _wealth_sums(cells.cell, cells.n_cells, P.hh, H.wealth, H.income_pc, H.present,
                            median)
    cells.add_all("wealth", [m.name for m in _WEALTH], num, den)


@njit(cache=True, nogil=True)
def _wealth_sums(cell, n_cells, hh, wealth, income_pc, present, median):
    """Persons' household wealth and wealth below one month of household income by cell;
    households' wealth below the median (over households) against all of it."""
    num = np.zeros((3, n_cells))
    den = np.zeros((3, n_cells))
    hcell = np.zeros(wealth.shape[0], dtype=np.int64)
    for i in range(hh.shape[0]):
        c = cell[i]
        h = hh[i]
        hcell[h] = c
        w = float(wealth[h])
        den[0, c] += 1.0
        num[0, c] += w
        den[1, c] += 1.0
        num[1, c] += w < float(income_pc[h]) * max(present[h], 1) / 12.0
    for h in range(wealth.shape[0]):
        w = float(wealth[h])
        c = hcell[h]
        den[2, c] += w
        num[2, c] += w if w <= median else 0.0
    return num, den


TABLES = (OutcomeTable("wealth", "household net wealth (every fifth year): mean, households "
                       "without savings, share of the poorer half", _WEALTH, _collect_wealth),)


def wealth_coefficients(world: World, params) -> np.ndarray:
    """[asset return, liquid share] for the income kernel of
    :mod:`povsim.processes.earnings`."""
    return np.array([params.wealth_asset_return, params.wealth_liquid_share])


def asset_income_pc(world: World, params) -> np.ndarray:
    """Asset income per present member of every household."""
    H = world.H
    return params.wealth_asset_return * H.wealth.astype(np.float64) / np.maximum(H.present, 1)


def initialise(world: World, params, streams) -> None:
    """Initial wealth: a multiple of mean household income, log-normal, correlated (0.6)
    with the household's income effect."""
    from povsim.processes.earnings import mean_income_target

    H = world.H
    ratio = (params.wealth_income_ratio_1980 if world.year < 2000
             else params.wealth_income_ratio_start)
    sd = params.wealth_sd_start
    z = 0.6 * H.earn_effect + 0.8 * streams.normal("wealth.start", 0, H.id)
    size = np.maximum(H.size, 1).astype(np.float64)
    mean_h = ratio * mean_income_target(world.year, params) * size
    H["wealth"] = mean_h * np.exp(sd * z - 0.5 * sd * sd)


def step(world: World, params, streams) -> None:
    """Depreciation, and savings out of last year's income above subsistence."""
    from povsim.processes.earnings import mean_income_target

    H = world.H
    subsistence = params.subsistence_share * mean_income_target(world.year - 1, params)
    _accumulate(H.wealth, H.income_pc, H.present, 1.0 - params.wealth_depreciation,
                params.saving_rate, subsistence)


@njit(cache=True, nogil=True)
def _accumulate(wealth, income_pc, present, keep, saving, subsistence):
    for h in range(wealth.shape[0]):
        extra = max(float(income_pc[h]) - subsistence, 0.0) * max(present[h], 1)
        wealth[h] = keep * wealth[h] + saving * extra


def division_transfers(world: World, params, origin: np.ndarray, rows: np.ndarray) -> None:
    """New households ``rows`` split from ``origin`` take ``division_share`` of its wealth
    (several sons leaving one household in a year each take a share of what is left)."""
    _transfer(world.H.wealth, origin.astype(np.int64), rows.astype(np.int64),
              np.full(len(rows), params.division_share))


def marriage_transfers(world: World, params, wife_origin: np.ndarray,
                       husband_origin: np.ndarray, dest: np.ndarray, neolocal: np.ndarray) -> None:
    """Wealth moves of this year's marriages: a neolocal couple's new household takes
    ``division_share`` of the husband's family wealth; every bride brings ``dowry_share``
    of her family's (all of it when she was the only member of her household)."""
    H = world.H
    if neolocal.any():
        _transfer(H.wealth, husband_origin[neolocal].astype(np.int64),
                  dest[neolocal].astype(np.int64), np.full(int(neolocal.sum()), params.division_share))
    moved = wife_origin != dest
    if moved.any():
        alone = H.size[wife_origin] <= 1
        share = np.where(alone, 1.0, params.dowry_share)[moved]
        _transfer(H.wealth, wife_origin[moved].astype(np.int64), dest[moved].astype(np.int64),
                  share.astype(np.float64))


@njit(cache=True, nogil=True)
def _transfer(wealth, src, dst, share):
    """Move ``share[k]`` of household ``src[k]``'s wealth to ``dst[k]``, in order (a
    household giving twice gives a share of what is left)."""
    for k in range(src.shape[0]):
        amount = share[k] * wealth[src[k]]
        wealth[src[k]] -= amount
        wealth[dst[k]] += amount


def bequeath(world: World, params, dead: np.ndarray) -> None:
    """Households whose members all died this year pass their wealth to the households of
    the living children of those members, in equal parts (lost when there is none)."""
    if len(dead) == 0:
        return
    P, H = world.P, world.H
    # members counted at the end of last year (migration recounts them after the births;
    # nothing moves between then and the deaths, which come first in the year)
    source, found = _emptied(P.hh, dead, H.size, H.wealth)
    if found:
        _bequeath(P.hh, P.alive, P.mother_row, P.father_row, dead, source, H.wealth)


@njit(cache=True, nogil=True)
def _emptied(hh, dead, size, wealth):
    """The household each of this year's dead leaves (-1 unless all its members died and
    it has wealth), aligned with ``dead``; and whether there is any.  Work in the number
    of deaths only."""
    deaths = np.zeros(size.shape[0], dtype=np.int32)
    for k in range(dead.shape[0]):
        deaths[hh[dead[k]]] += 1
    source = np.full(dead.shape[0], -1, dtype=np.int64)
    found = False
    for k in range(dead.shape[0]):
        h = hh[dead[k]]
        if deaths[h] >= size[h] and wealth[h] > 0:
            source[k] = h
            found = True
    return source, found


@njit(cache=True, nogil=True)
def _bequeath(hh, alive, mother_row, father_row, dead, source, wealth):
    """Split the wealth of each emptied household equally over its heirs (living persons
    whose mother or father left it, living elsewhere), credited to the heirs' households.

    The scan over persons tests their parents against a bitmap of the dead who leave an
    estate (one bit a person: it stays in cache), without branches; only the hits look
    further.
    """
    n = hh.shape[0]
    bits = np.zeros(n // 8 + 1, dtype=np.uint8)
    for k in range(dead.shape[0]):
        if source[k] >= 0:
            i = dead[k]
            bits[i >> 3] |= np.uint8(1 << (i & 7))
    # the household each flagged dead person leaves (``dead`` is ascending: a sorted
    # search finds it)
    rows = np.empty(dead.shape[0], dtype=np.int64)
    srcs = np.empty(dead.shape[0], dtype=np.int64)
    m = 0
    for k in range(dead.shape[0]):
        if source[k] >= 0:
            rows[m] = dead[k]
            srcs[m] = source[k]
            m += 1
    rows, srcs = rows[:m], srcs[:m]
    # candidates by a branch-free test of both parents (persons come in household order,
    # their parents' pointers in no useful order: branches would be mispredicted); a
    # missing parent (-1) tests row 0, so candidates are checked exactly afterwards
    cand = np.empty(n, dtype=np.int64)
    c = 0
    for i in range(n):
        mo = max(mother_row[i], 0)
        fa = max(father_row[i], 0)
        cand[c] = i
        c += ((bits[mo >> 3] >> (mo & 7)) | (bits[fa >> 3] >> (fa & 7))) & 1
    heir = np.empty(c, dtype=np.int64)
    src = np.empty(c, dtype=np.int64)
    k = 0
    for t in range(c):
        i = cand[t]
        p = -1
        for q in (mother_row[i], father_row[i]):
            if p < 0 and q >= 0 and (bits[q >> 3] >> (q & 7)) & 1:
                p = q
        if p >= 0:
            h = srcs[np.searchsorted(rows, p)]
            if alive[i] and h != hh[i]:
                heir[k] = i
                src[k] = h
                k += 1
    heirs = np.zeros(wealth.shape[0], dtype=np.int64)
    for t in range(k):
        heirs[src[t]] += 1
    gain = np.zeros(wealth.shape[0], dtype=np.float64)
    for t in range(k):
        gain[hh[heir[t]]] += wealth[src[t]] / heirs[src[t]]
    for j in range(m):  # the estates are passed on (or lost when there is no heir)
        wealth[srcs[j]] = 0.0
    for t in range(k):
        h = hh[heir[t]]
        if gain[h] != 0.0:
            wealth[h] += gain[h]
            gain[h] = 0.0
