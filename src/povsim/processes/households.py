"""Household splits: married sons living with a parent set up their own household.

Each year a partnered man who lives with his father or mother leaves, with his wife (if
she lives there) and his children under 18, with a fixed annual probability; the new
household stays in the village, and each process module initialises its own columns of
it (``on_new_households``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("household_split", 0.08, "per year", (0.03, 0.15),
          "Assumption (married sons in stem families set up their own household after some "
          "years; rural household size ~3.1-3.5, NBS 2010 census)", "Annual probability a "
          "married man living with his parents leaves with his wife and children",
          bounds=(0.0, 1.0)),
)

COLUMNS = ()

VALUES = ()

STREAMS = ("household.split", "household.split_id")

TABLES = ()


def step(world: World, params, streams) -> None:
    """Married sons living with a parent leave with wife and minor children."""
    P, H = world.P, world.H
    men = _split_men(streams.key("household.split", world.year), P.id, P.sex, P.partner_row,
                     P.father_row, P.mother_row, P.hh, params.household_split)
    k = len(men)
    world.events["household_splits"] = float(k)
    if k == 0:
        return
    hid = (streams.bits("household.split_id", world.year, P.id[men]) >> np.uint64(2)).astype(
        np.int64) | np.int64(1 << 61)
    rows = world.new_households(hid, H.village[P.hh[men]], params, streams)
    new_row = np.full(P.n, -1, dtype=np.int32)
    new_row[men] = rows
    wives = P.partner_row[men]
    same = P.hh[wives] == P.hh[men]
    _children_follow(world.age(), P.father_row, P.hh, new_row)
    P.hh[wives[same]] = new_row[men[same]]
    P.hh[men] = new_row[men]


@njit(cache=True)
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


@njit(cache=True)
def _children_follow(age, father_row, hh, new_row):
    """Children (< 18) living with a father who leaves follow him to ``new_row[father]``
    (in place; fathers' own rows are updated by the caller afterwards).  Branch-free."""
    for i in range(age.shape[0]):
        f = father_row[i]
        f0 = max(f, 0)
        dest = new_row[f0]
        follow = (age[i] < 18) & (f >= 0) & (dest >= 0) & (hh[i] == hh[f0])
        hh[i] = dest if follow else hh[i]
