"""Labour migration of adults: departure and return; left-behind children.

Working-age adults (18-55, out of school) leave for migrant work with an annual
probability that depends on sex, on whether the partner is already away, on having a
child under 3 (mothers), on household income poverty and on the village's migration
network (the share of its working-age adults away last year: migrants find jobs through
those who went before), except that departures which would leave children with no adult
at home are cancelled; migrants return with an annual probability that rises after 45.
Before 2014 the base departure probabilities follow the migration waves: a period scale
through anchors in 1985, 1995 and 2005 (log-linear; the hukou system kept rural people
in place until the late 1980s).  A child under 18 is *left behind* when
at least one living parent is a migrant; a left-behind child is *unsupervised* when both
parents are away and no other adult (18-75) is present in the household.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy.special import expit, logit

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, household, person, village
from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, path
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("migration_out_men", 0.06, "per year", (0.03, 0.12),
          "Calibrated to 37.7% of rural children left behind (ACWF 2013) [E]",
          "Annual probability a resident man aged 18-55 leaves for migrant work",
          bounds=(0.0, 1.0)),
    Param("migration_out_women", 0.02, "per year", (0.005, 0.06),
          "Calibrated (mother-only migration is rare; ACWF 2013) [E]",
          "Annual probability a resident woman aged 18-55 leaves for migrant work",
          bounds=(0.0, 1.0)),
    Param("migration_join_partner", 0.3, "per year", (0.1, 0.5),
          "Calibrated: 46.74% of left-behind children had both parents away in 2010 (ACWF "
          "2013), 17.6% of rural children [S/E]",
          "Annual probability a woman joins her migrant husband", bounds=(0.0, 1.0)),
    Param("migration_young_child_ratio", 0.6, "odds ratio", (0.2, 0.9),
          "Assumption: mothers of infants rarely migrate", "Odds ratio of departure for "
          "mothers of a child under 3", bounds=(0.0, 1.0)),
    Param("migration_poverty_or", 1.4, "odds ratio", (1.0, 2.0),
          "Assumption (migration as an exit from poverty; de Brauw & Rozelle 2008)",
          "Odds ratio of departure for members of income-poor households", bounds=(0.1, 10.0)),
    Param("migration_network", 0.15, "logit per 10 points of village share away", (0.0, 0.4),
          "Migrant networks raise departures (Zhao 2003, Contemporary Economic Policy "
          "21(4):500) [assumption on the size]", "Rise of the log-odds of departure per 10 "
          "percentage points of the village's working-age adults away last year (relative to "
          "30%)", bounds=(-1.0, 2.0)),
    Param("migration_scale_1985", 0.1, "ratio to 2014", (0.03, 0.3),
          "Assumption: out-migration small under the hukou system until the late 1980s",
          "Departure probabilities in 1985 relative to 2014 (period path)", bounds=(0.0, 2.0)),
    Param("migration_scale_1995", 0.55, "ratio to 2014", (0.3, 0.8),
          "Floating population grew through the 1990s; calibrated [E]",
          "Departure probabilities in 1995 relative to 2014 (period path)", bounds=(0.0, 2.0)),
    Param("migration_scale_2005", 1.0, "ratio to 2014", (0.7, 1.3),
          "Left-behind children 28.3% of rural children in 2005 (ACWF 2008) and 37.7% in "
          "2010 (ACWF 2013) [S]; calibrated [E]", "Departure probabilities in 2005 relative "
          "to 2014 (period path)", bounds=(0.0, 2.0)),
    Param("migration_return", 0.12, "per year", (0.06, 0.25),
          "Assumption (circular migration, typical spells 5-10 years)",
          "Annual probability a migrant under 45 returns", bounds=(0.0, 1.0)),
    Param("migration_return_45", 0.3, "per year", (0.15, 0.5),
          "Assumption (older migrants return to farm and care)",
          "Annual probability a migrant aged 45+ returns", bounds=(0.0, 1.0)),
)


COLUMNS = (
    person("migrant", np.bool_, False, "away as a labour migrant"),
    person("left_behind", np.bool_, False, "child (< 18) with at least one living parent away"),
    person("both_parents_away", np.bool_, False, "child (< 18) whose mother and father are away"),
    person("unsupervised", np.bool_, False, "left-behind child with both parents away, no "
           "other adult (18-75) present and no adequate care arranged"),
    person("has_child_under3", np.bool_, False, "mother of a living child under 3"),
    household("present", np.int16, 0, "members not away as migrants"),
    village("migrant_share", np.float64, 0.0, "share of working-age adults (18-55, out of "
            "school) away as migrants"),
)

VALUES = (
    Value("supervision.adequate", "probability", "probability an unsupervised left-behind child "
          "gets adequate adult care (e.g. from a child service centre)", kind="probability"),
)

STREAMS = ("migration", "supervision")

_LEFT_BEHIND = (
    Measure("left_behind_share", "children 0-17 with at least one parent away"),
    Measure("both_parents_away_share", "children 0-17 with both parents away"),
    Measure("unsupervised_share", "children 0-17 with both parents away and no adult present"),
)


def _collect_left_behind(world: World, cells) -> None:
    P = world.P
    num, den = _left_behind_sums(world.children(), cells.cell, cells.n_cells, P.left_behind,
                                 P.both_parents_away, P.unsupervised)
    cells.add_all("left_behind", [m.name for m in _LEFT_BEHIND], num, den)


TABLES = (OutcomeTable("left_behind", "left-behind, both-parents-away and unsupervised children",
                       _LEFT_BEHIND, _collect_left_behind),)


def migration_scale(year: int, params) -> float:
    """Base departure probabilities in ``year`` relative to 2014 (the migration waves)."""
    if year >= REFERENCE_YEAR:
        return 1.0
    return path(year, [(1985, params.migration_scale_1985), (1995, params.migration_scale_1995),
                       (2005, params.migration_scale_2005), (REFERENCE_YEAR, 1.0)], "log")


def departure_probabilities(params, year: int, village_share: np.ndarray) -> np.ndarray:
    """Departure probability of a resident worker by ``[v, b, y, p]``: ``v`` the village,
    ``b`` 0 man, 1 woman whose partner is away, 2 other woman; ``y`` 1 for a woman with a
    child under 3; ``p`` 1 for an income-poor household.

    The logit model has only these cells per village, so it is evaluated once per year on
    them.  ``village_share`` is last year's share of each village's working-age adults
    away (the network term, relative to 30%).
    """
    b, y, p = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), indexing="ij")
    male = b == 0
    base = np.where(male, params.migration_out_men,
                    np.where(b == 1, params.migration_join_partner, params.migration_out_women))
    base = base * migration_scale(year, params)
    lo = logit(np.clip(base, 1e-6, 1 - 1e-6))
    lo += np.where(~male & (y == 1), np.log(params.migration_young_child_ratio), 0.0)
    # (income_poor is last year's status of the household: departures respond to it)
    lo += np.where(p == 1, np.log(params.migration_poverty_or), 0.0)
    net = params.migration_network * (np.asarray(village_share, dtype=np.float64) - 0.3) * 10.0
    return np.ascontiguousarray(expit(lo[None, :, :, :] + net[:, None, None, None]))


def step(world: World, params, streams) -> None:
    """Departures and returns of the year, then the left-behind status of children."""
    P, H, V = world.P, world.H, world.V
    P["has_child_under3"] = _mothers_of_young(world.age(), P.mother_row)  # rows changed
    # returns (and migrants who age out of work or are back in school) and departures, with
    # the adults and children per household if every departure happened: one pass
    status, leaving, n_ret, adults, kids = _migration_pass(
        streams.key("migration", world.year), P.id, world.age(), P.school_done,
        P.migrant, P.partner_row, P.sex, P.has_child_under3, P.hh, H.village,
        H.income_poor, H.n, params.migration_return, params.migration_return_45,
        departure_probabilities(params, world.year, V.migrant_share))
    # children whose parents all leave move to a grandparent's household (96% of left-behind
    # children are cared for by grandparents; ACWF 2013); where no grandparent can take them,
    # the departures of that household are cancelled
    stranded = (kids > 0) & (adults < 1)
    if stranded.any():
        moved, old_hh = _move_to_grandparents(world, status, stranded)
        # only children moved: update the household child counts instead of recounting
        np.subtract.at(kids, old_hh, 1)
        np.add.at(kids, P.hh[moved], 1)
        stranded = (kids > 0) & (adults < 1)
    n_dep, adults, present, size, share = _finish_migration(
        status, leaving, P.hh, stranded, P.migrant, world.age(), P.school_done, H.village,
        H.n, V.n)
    V["migrant_share"] = share
    world.events["migrant_departures"] = float(n_dep)
    world.events["migrant_returns"] = float(n_ret)
    update_family_status(world, params, streams, counts=(adults, present, size))


def _move_to_grandparents(world: World, status: np.ndarray,
                          stranded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move children of stranded households to a present grandparent's household.

    Grandparents are tried in a fixed order (father's mother, father's father, mother's
    mother, mother's father); siblings share grandparents, so they move together.
    Returns the rows of the children moved and their previous households.
    """
    P = world.P
    age = world.age()
    kids = _children_of(age, P.hh, stranded)
    dest = np.full(len(kids), -1, dtype=np.int64)
    for parent_col in ("father_row", "mother_row"):
        par = P[parent_col][kids]
        for gp_col in ("mother_row", "father_row"):
            gp = np.where(par >= 0, P[gp_col][np.maximum(par, 0)], -1)
            ok = (dest < 0) & (gp >= 0)
            g = np.maximum(gp, 0)
            ok &= ~status[g] & (age[g] <= 80) & ~stranded[P.hh[g]]
            dest[ok] = P.hh[g[ok]]
    moved = dest >= 0
    rows = kids[moved]
    old = P.hh[rows].copy()
    P.hh[rows] = dest[moved].astype(P.hh.dtype)
    world.events["children_to_grandparents"] = float(moved.sum())
    return rows, old


def update_family_status(world: World, params, streams,
                         counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    """Derived columns: left-behind and unsupervised children, present and all members of
    each household; the stimulation children receive
    (:func:`povsim.processes.caregivers.update_stimulation`) follows the new status.

    A left-behind child with both parents away and no other adult (18-75) present is
    unsupervised unless the named value ``supervision.adequate`` (probability; 0 without
    an intervention) gives it adequate care, drawn from the ``supervision`` stream.

    ``counts`` are the present adults (18-75), present members and all members of each
    household under the current migrant status, when the caller has them already.
    """
    from povsim.processes.caregivers import update_stimulation

    P, H = world.P, world.H
    age = world.age()
    if counts is None:
        adults, _, present, size = household_counts(P.hh, age, P.migrant, H.n)
    else:
        adults, present, size = counts
    lb, both, alone = _family_flags(age, P.migrant, P.mother_row, P.father_row, P.hh, adults)
    rows = np.flatnonzero(alone)
    p = world.values("supervision.adequate", world, rows, np.zeros(len(rows)))
    cared = streams.uniform("supervision", world.year, P.id[rows]) < p
    alone[rows[cared]] = False
    P["left_behind"] = lb
    P["both_parents_away"] = both
    P["unsupervised"] = alone
    H["present"] = present.astype(np.int16)
    H["size"] = size.astype(np.int16)
    # stimulation received, from last year's parenting practice (refreshed by the
    # caregivers process later in the year); targeting reads it before then
    update_stimulation(world, params)


def initialise(world: World, params, streams) -> None:
    """Family status and village migration shares of the initial population."""
    P, H, V = world.P, world.H, world.V
    P["has_child_under3"] = _mothers_of_young(world.age(), P.mother_row)
    update_family_status(world, params, streams)
    age = world.age()
    worker = (age >= 18) & (age <= 55) & P.school_done
    v = H.village[P.hh]
    away = np.bincount(v, weights=(worker & P.migrant).astype(np.float64), minlength=V.n)
    n = np.bincount(v, weights=worker.astype(np.float64), minlength=V.n)
    V["migrant_share"] = away / np.maximum(n, 1.0)


@threaded(cache=True, nogil=True)
def _migration_pass(key, ids, age, school_done, migrant, partner_row, sex, young_mother, hh,
                   h_village, income_poor, n_h, ret_under45, ret_45, p_leave):
    """Returns and departures of the year, and the households they would leave stranded.

    ``p_leave[v, b, y, p]`` is the departure probability of a resident worker of village
    ``v``: ``b`` 0 man, 1 woman whose partner is away, 2 other woman; ``y`` 1 for a woman
    with a child under 3; ``p`` 1 for an income-poor household.  One uniform per worker or migrant from the
    ``migration`` stream decides both returns and departures.

    Returns ``(status, leaving, returns, adults, kids)``: the migrant status if every
    departure happened, who departs, the number of returns, and per household the present
    adults (18-75) under that status and the children (< 18).
    """
    n = ids.shape[0]
    status = np.empty(n, dtype=np.bool_)
    leaving = np.zeros(n, dtype=np.bool_)
    returning = np.zeros(n, dtype=np.bool_)
    for i in prange(n):  # every person's decision on its own, on the threads
        a = age[i]
        work = a >= 18 and a <= 55 and school_done[i]
        mig = migrant[i]
        st = mig
        if work or mig:
            h = hh[i]
            u = uniform_at(key, ids[i])
            ret_p = ret_45 if a >= 45 else ret_under45
            ret = mig and (u < ret_p or not work)
            returning[i] = ret
            lv = False
            if work and not mig:
                male = sex[i] == 1
                pr = partner_row[i]
                b = 0 if male else (1 if (pr >= 0 and migrant[pr]) else 2)
                y = 1 if (not male and young_mother[i]) else 0
                p = 1 if income_poor[h] else 0
                lv = u < p_leave[h_village[h], b, y, p]
            leaving[i] = lv
            st = (mig and not ret) or lv
        status[i] = st
    # the counts on one thread
    adults = np.zeros(n_h, dtype=np.int32)
    kids = np.zeros(n_h, dtype=np.int32)
    n_ret = 0
    for i in range(n):
        a = age[i]
        h = hh[i]
        n_ret += returning[i]
        if a < 18:
            kids[h] += 1
        elif a <= 75 and not status[i]:
            adults[h] += 1
    return status, leaving, n_ret, adults, kids


@njit(cache=True, nogil=True)
def _finish_migration(status, leaving, hh, stranded, migrant, age, school_done, h_village, n_h,
                      n_v):
    """Cancel the departures from ``stranded`` households and write the migrant status in
    place; returns the number of departures, per household the present adults (18-75),
    present members and all members under the final status (what
    :func:`household_counts` would count next, from the same pass), and per village the
    share of working-age adults (18-55, out of school) away."""
    n_dep = 0
    # present adults, present, all, workers, workers away: side by side
    acc = np.zeros((n_h, 5), dtype=np.int32)
    for i in range(status.shape[0]):
        st = status[i]
        h = hh[i]
        if leaving[i]:  # few depart: predictable
            if stranded[h]:
                st = False  # a departing worker was not a migrant before
            else:
                n_dep += 1
        migrant[i] = st
        a = age[i]
        pres = not st
        worker = (a >= 18) & (a <= 55) & school_done[i]
        acc[h, 0] += pres & (a >= 18) & (a <= 75)
        acc[h, 1] += pres
        acc[h, 2] += 1
        acc[h, 3] += worker
        acc[h, 4] += worker & st
    v_acc = np.zeros((n_v, 2), dtype=np.int64)
    for h in range(n_h):
        v = h_village[h]
        v_acc[v, 0] += acc[h, 4]
        v_acc[v, 1] += acc[h, 3]
    share = np.empty(n_v)
    for v in range(n_v):
        share[v] = v_acc[v, 0] / max(v_acc[v, 1], 1)
    return (n_dep, np.ascontiguousarray(acc[:, 0]), np.ascontiguousarray(acc[:, 1]),
            np.ascontiguousarray(acc[:, 2]), share)


@njit(cache=True, nogil=True)
def household_counts(hh, age, away, n_h):
    """Per household: present adults (18-75, not ``away``), children (<18), present
    members (not ``away``) and all members.

    Branch-free: persons come in random order, so per-person branches are mispredicted
    and would cost more than adding zeros (integer counts, exact either way); the four
    counts of a household are side by side (one cache line per person).
    """
    acc = np.zeros((n_h, 4), dtype=np.int32)
    for i in range(hh.shape[0]):
        h = hh[i]
        a = age[i]
        pres = not away[i]
        acc[h, 0] += pres & (a >= 18) & (a <= 75)
        acc[h, 1] += a < 18
        acc[h, 2] += pres
        acc[h, 3] += 1
    return (np.ascontiguousarray(acc[:, 0]), np.ascontiguousarray(acc[:, 1]),
            np.ascontiguousarray(acc[:, 2]), np.ascontiguousarray(acc[:, 3]))


@threaded(cache=True, nogil=True)
def _family_flags(age, migrant, mother_row, father_row, hh, n_adults):
    """Left-behind, both-parents-away and alone (no present adult) children."""
    n = age.shape[0]
    lb = np.zeros(n, dtype=np.bool_)
    both = np.zeros(n, dtype=np.bool_)
    alone = np.zeros(n, dtype=np.bool_)
    for i in prange(n):
        if age[i] >= 18:
            continue
        m, f = mother_row[i], father_row[i]
        m_away = m >= 0 and migrant[m]
        f_away = f >= 0 and migrant[f]
        if (m_away or f_away) and not migrant[i]:
            lb[i] = True
            if m_away and f_away:
                both[i] = True
                if n_adults[hh[i]] < 1:
                    alone[i] = True
    return lb, both, alone


@njit(cache=True, nogil=True)
def _mothers_of_young(age, mother_row):
    """Mothers of a living child under 3 (one branch-free pass)."""
    n = age.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        m = mother_row[i]
        if age[i] < 3 and m >= 0:  # few children are under 3: predictable
            out[m] = True
    return out


@njit(cache=True, nogil=True)
def _children_of(age, hh, flagged):
    """Rows of children (< 18) whose household is ``flagged``."""
    n = age.shape[0]
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        out[k] = i
        k += (age[i] < 18) & flagged[hh[i]]
    return out[:k].copy()


@njit(cache=True, nogil=True)
def _left_behind_sums(kids, cell, n_cells, left_behind, both_away, unsupervised):
    num = np.zeros((3, n_cells))
    den = np.zeros((3, n_cells))
    for i in kids:
        c = cell[i]
        for j in range(3):
            den[j, c] += 1.0
        num[0, c] += left_behind[i]
        num[1, c] += both_away[i]
        num[2, c] += unsupervised[i]
    return num, den
