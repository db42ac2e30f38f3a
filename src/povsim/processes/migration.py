"""Labour migration of adults: departure and return; left-behind children.

Working-age adults (18-55, out of school) leave for migrant work with an annual
probability that depends on sex, on whether the partner is already away, on having a
child under 3 (mothers) and on household income poverty, except that departures which
would leave children with no adult at home are cancelled; migrants return
with an annual probability that rises after 45.  A child under 18 is *left behind* when
at least one living parent is a migrant; a left-behind child is *unsupervised* when both
parents are away and no other adult (18-75) is present in the household.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from povsim import kernels
from povsim.params import Param
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
    Param("migration_join_partner", 0.1, "per year", (0.05, 0.25),
          "Calibrated: about half of left-behind children have both parents away [E]",
          "Annual probability a woman joins her migrant husband", bounds=(0.0, 1.0)),
    Param("migration_young_child_ratio", 0.4, "odds ratio", (0.2, 0.8),
          "Assumption: mothers of infants rarely migrate", "Odds ratio of departure for "
          "mothers of a child under 3", bounds=(0.0, 1.0)),
    Param("migration_poverty_or", 1.4, "odds ratio", (1.0, 2.0),
          "Assumption (migration as an exit from poverty; de Brauw & Rozelle 2008)",
          "Odds ratio of departure for members of income-poor households", bounds=(0.1, 10.0)),
    Param("migration_return", 0.12, "per year", (0.06, 0.25),
          "Assumption (circular migration, typical spells 5-10 years)",
          "Annual probability a migrant under 45 returns", bounds=(0.0, 1.0)),
    Param("migration_return_45", 0.3, "per year", (0.15, 0.5),
          "Assumption (older migrants return to farm and care)",
          "Annual probability a migrant aged 45+ returns", bounds=(0.0, 1.0)),
)


def departure_probabilities(params) -> np.ndarray:
    """Departure probability of a resident worker by ``[b, y, p]``: ``b`` 0 man, 1 woman
    whose partner is away, 2 other woman; ``y`` 1 for a woman with a child under 3; ``p``
    1 for an income-poor household.

    The logit model has only these 12 cells, so it is evaluated once per year on them,
    with exactly the per-person numpy expressions of the model (same values).
    """
    b, y, p = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), indexing="ij")
    male = b == 0
    base = np.where(male, params.migration_out_men,
                    np.where(b == 1, params.migration_join_partner, params.migration_out_women))
    lo = logit(np.clip(base, 1e-6, 1 - 1e-6))
    lo += np.where(~male & (y == 1), np.log(params.migration_young_child_ratio), 0.0)
    # (income_poor is last year's status of the household: departures respond to it)
    lo += np.where(p == 1, np.log(params.migration_poverty_or), 0.0)
    return np.ascontiguousarray(expit(lo))


def migration(world: World, params, streams) -> None:
    """Departures and returns of the year, then the left-behind status of children."""
    P, H = world.P, world.H
    world.scratch["has_child_under3"] = _has_child_under3(world)  # rows changed this year
    # returns (and migrants who age out of work or are back in school) and departures, with
    # the adults and children per household if every departure happened: one pass
    status, leaving, n_ret, adults, kids = kernels.migration_pass(
        streams._key("migration", world.year, 0), P.id, world.age(), P.school_done,
        P.migrant, P.partner_row, P.sex, world.scratch["has_child_under3"], P.hh,
        H.income_poor, H.n, params.migration_return, params.migration_return_45,
        departure_probabilities(params))
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
    n_dep, adults, present, size = kernels.finish_migration(status, leaving, P.hh, stranded,
                                                            P.migrant, world.age(), H.n)
    world.events["migrant_departures"] = float(n_dep)
    world.events["migrant_returns"] = float(n_ret)
    update_family_status(world, streams, params, counts=(adults, present, size))


def _move_to_grandparents(world: World, status: np.ndarray,
                          stranded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move children of stranded households to a present grandparent's household.

    Grandparents are tried in a fixed order (father's mother, father's father, mother's
    mother, mother's father); siblings share grandparents, so they move together.
    Returns the rows of the children moved and their previous households.
    """
    P = world.P
    age = world.age()
    kids = kernels.children_of(age, P.hh, stranded)
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


def update_family_status(world: World, streams=None, params=None,
                         counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    """Derived columns: has a child under 3, left-behind and unsupervised children.

    A left-behind child with both parents away and no other adult (18-75) present is
    unsupervised unless the named value ``supervision.adequate`` (probability; 0 without
    an intervention) gives it adequate care, drawn from the ``supervision`` stream.

    ``counts`` are the present adults (18-75), present members and all members of each
    household under the current migrant status, when the caller has them already.
    """
    P, H = world.P, world.H
    age = world.age()
    if counts is None:
        adults, _, present, size = kernels.household_counts(P.hh, age, P.migrant, H.n)
    else:
        adults, present, size = counts
    grandparent = params.parenting_grandparent if params is not None else 0.0
    lb, both, alone, young_mother, eff = kernels.family_flags(
        age, P.migrant, P.mother_row, P.father_row, P.hh, adults,
        H.parenting.astype(np.float64), grandparent)
    if streams is not None and world.values.active():
        rows = np.flatnonzero(alone)
        p = world.values("supervision.adequate", world, rows, np.zeros(len(rows)))
        cared = streams.uniform("supervision", world.year, P.id[rows]) < p
        alone[rows[cared]] = False
    s = world.scratch
    s["left_behind"] = lb
    s["both_parents_away"] = both
    s["unsupervised"] = alone
    s["has_child_under3"] = young_mother
    if params is not None:
        # stimulation received, from last year's parenting practice (refreshed by the
        # caregivers process later in the year); targeting reads it before then
        s["parenting_eff"] = eff
    H["present"] = present.astype(np.int16)
    H["size"] = size.astype(np.int16)


def _has_child_under3(world: World) -> np.ndarray:
    """Mothers of a living child under 3."""
    return kernels.mothers_of_young(world.age(), world.P.mother_row)
