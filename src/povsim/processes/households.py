"""Household splits, and the composition of households by generations.

Each year a partnered man who lives with his father or mother leaves, with his wife (if
she lives there) and his children under 18, with a fixed annual probability; the new
household stays in the village, and each process module initialises its own columns of
it (``on_new_households``).  The new household inherits part of the income effect of the
household it splits from (:func:`povsim.processes.earnings.inherit_household_effect`)
and receives its share of the family's wealth at the division
(:func:`povsim.processes.wealth.division_transfers`).

The ``household_composition`` table counts households by the number of generations
living in them in census years (every fifth calendar year, and the start year), as the
census tables do (one-, two-, three-or-more-generation households
among households with at least one member present; members away as migrants are not
counted, as a census counts persons where they usually live).  Generations are levels of
kinship inside the household: a member with no parent or grandparent in the household is
at level 0, a child one level below its co-resident parent (or two below a co-resident
grandparent when neither parent lives there), a spouse at the level of the partner.  A
*skip-generation* household has grandparents and grandchildren but no one of the middle
generation present.

References
----------
NBS (2006). 2005 1% Population Sample Survey, Table 7-2c: rural households by number of
generations, Hubei: one 27.98%, two 50.51%, three 20.69%, four+ 0.83%.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable
from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("household_split", 0.035, "per year", (0.015, 0.1),
          "Calibrated: rural Hubei households of three or more generations 21.5% in 2005 "
          "(NBS 2005 1% survey, Table 7-2c) [E]; rural household size ~3.1-3.5 (NBS 2010 "
          "census)", "Annual probability a "
          "married man living with his parents leaves with his wife and children",
          bounds=(0.0, 1.0)),
)

COLUMNS = ()

VALUES = ()

STREAMS = ("household.split", "household.split_id")

_COMPOSITION = (
    Measure("one_generation_share", "households (with a member present) of one generation"),
    Measure("two_generation_share", "households of two generations"),
    Measure("three_plus_generation_share", "households of three or more generations"),
    Measure("skip_generation_share", "households of grandparents and grandchildren with no "
            "one of the middle generation present"),
    Measure("single_person_share", "households with one member present"),
    Measure("mean_present_size", "members present per household", "mean", "persons"),
)


def _collect_composition(world: World, cells) -> None:
    # a census measure, counted as the censuses and 1% surveys count it: every fifth year
    # (and in the start year); the kinship pass costs as much as a process
    if world.year % 5 and world.year != world.start_year:
        return
    P = world.P
    level = generation_levels(P.hh, P.mother_row, P.father_row, P.partner_row)
    num, den = _composition_sums(P.hh, level, P.migrant, cells.cell, cells.n_cells, world.H.n)
    cells.add_all("household_composition", [m.name for m in _COMPOSITION], num, den)


TABLES = (OutcomeTable("household_composition", "households by number of generations present "
                       "(census definition), skip-generation and one-person households",
                       _COMPOSITION, _collect_composition),)


def step(world: World, params, streams) -> None:
    """Married sons living with a parent leave with wife and minor children."""
    from povsim.processes.earnings import inherit_household_effect
    from povsim.processes.wealth import division_transfers

    P, H = world.P, world.H
    men = _split_men(streams.key("household.split", world.year), P.id, P.sex, P.partner_row,
                     P.father_row, P.mother_row, P.hh, params.household_split)
    k = len(men)
    world.events["household_splits"] = float(k)
    if k == 0:
        return
    origin = P.hh[men].copy()
    rows = world.new_households(streams.household_ids("household.split_id", world.year, P.id[men]),
                                H.village[origin], params, streams)
    inherit_household_effect(world, params, rows, origin)
    division_transfers(world, params, origin, rows)
    new_row = np.full(P.n, -1, dtype=np.int32)
    new_row[men] = rows
    wives = P.partner_row[men]
    same = P.hh[wives] == P.hh[men]
    _children_follow(world.age(), P.father_row, P.hh, new_row)
    P.hh[wives[same]] = new_row[men[same]]
    P.hh[men] = new_row[men]


@njit(cache=True, nogil=True)
def _split_men(key, ids, sex, partner_row, father_row, mother_row, hh, p):
    """Rows of partnered men living with a parent who leave this year (a uniform each
    against ``p``); candidates by a branch-free masked count, then drawn."""
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        cand[k] = i
        k += (sex[i] == 1) & (partner_row[i] >= 0)
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        i = cand[j]
        h = hh[i]
        f = father_row[i]
        m = mother_row[i]
        with_parent = ((f >= 0) & (hh[max(f, 0)] == h)) | ((m >= 0) & (hh[max(m, 0)] == h))
        out[r] = i
        r += with_parent & (uniform_at(key, ids[i]) < p)
    return out[:r].copy()


@njit(cache=True, nogil=True)
def _children_follow(age, father_row, hh, new_row):
    """Children (< 18) living with a father who leaves follow him to ``new_row[father]``
    (in place; fathers' own rows are updated by the caller afterwards).  Branch-free."""
    for i in range(age.shape[0]):
        f = father_row[i]
        f0 = max(f, 0)
        dest = new_row[f0]
        follow = (age[i] < 18) & (f >= 0) & (dest >= 0) & (hh[i] == hh[f0])
        hh[i] = dest if follow else hh[i]


@njit(cache=True, inline="always")
def _coresident_parent(p, h, hh, mother_row, father_row):
    """The mother, else the father, of person ``p`` when living in household ``h`` (-1:
    neither, or no person ``p``)."""
    if p < 0:
        return -1
    g = mother_row[p]
    if g >= 0 and hh[g] == h:
        return g
    g = father_row[p]
    return g if g >= 0 and hh[g] == h else -1


@threaded(cache=True, nogil=True)
def generation_levels(hh, mother_row, father_row, partner_row):
    """Kinship level of every person inside its household (0: no parent or grandparent
    in the household; a child one below a co-resident parent, two below a co-resident
    grandparent when no parent lives there; a spouse at the partner's level).

    One pass finds each person's anchors in the household (a co-resident parent, else a
    co-resident grandparent -- co-resident parents or grandparents share a level -- and
    the partner); three rounds of relaxation over the linked persons alone, each seeing
    the levels it has already set, are enough for four co-resident generations in any
    row order.
    """
    n = hh.shape[0]
    anchor = np.full(n, -1, dtype=np.int32)
    step = np.zeros(n, dtype=np.int8)
    partner = np.full(n, -1, dtype=np.int32)
    linked = np.empty(n, dtype=np.int32)
    for i in prange(n):  # each person's anchors on its own: on the threads
        h = hh[i]
        m, f = mother_row[i], father_row[i]
        if m >= 0 and hh[m] == h:
            anchor[i] = m
            step[i] = 1
        elif f >= 0 and hh[f] == h:
            anchor[i] = f
            step[i] = 1
        else:
            g = _coresident_parent(m, h, hh, mother_row, father_row)
            if g < 0:
                g = _coresident_parent(f, h, hh, mother_row, father_row)
            if g >= 0:
                anchor[i] = g
                step[i] = 2
        q = partner_row[i]
        if q >= 0 and hh[q] == h:
            partner[i] = q
    k = 0
    for i in range(n):
        linked[k] = i
        k += (anchor[i] >= 0) | (partner[i] >= 0)
    level = np.zeros(n, dtype=np.int8)
    for _ in range(3):
        for t in range(k):
            i = linked[t]
            lv = 0
            a = anchor[i]
            if a >= 0:
                lv = level[a] + step[i]
            q = partner[i]
            if q >= 0:
                lv = max(lv, level[q])
            level[i] = min(lv, 7)
    return level


@njit(cache=True, nogil=True)
def _composition_sums(hh, level, away, cell, n_cells, n_h):
    """Households by cell: one-, two-, three-plus-generation, skip-generation and
    one-person shares (among households with a member present), and the present size."""
    mask = np.zeros(n_h, dtype=np.int64)
    present = np.zeros(n_h, dtype=np.int64)
    hcell = np.zeros(n_h, dtype=np.int64)
    for i in range(hh.shape[0]):
        h = hh[i]
        hcell[h] = cell[i]
        if not away[i]:
            mask[h] |= np.int64(1) << level[i]
            present[h] += 1
    num = np.zeros((6, n_cells))
    den = np.zeros((6, n_cells))
    for h in range(n_h):
        if present[h] == 0:
            continue
        c = hcell[h]
        m = mask[h]
        gens = 0
        lo = 8
        hi = -1
        for b in range(8):
            if (m >> b) & 1:
                gens += 1
                lo = min(lo, b)
                hi = max(hi, b)
        skip = (hi - lo == 2) & (gens == 2)
        for j in range(6):
            den[j, c] += 1.0
        num[0, c] += gens == 1
        num[1, c] += gens == 2
        num[2, c] += gens >= 3
        num[3, c] += skip
        num[4, c] += present[h] == 1
        num[5, c] += present[h]
    return num, den
