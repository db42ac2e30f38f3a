"""Caregivers: their schooling and parenting practice, and the stimulation a child receives.

Each household's caregiver schooling is the mean schooling of its present adults (18-75;
of all its adults when none is present).  Its parenting practice (SD units) is::

    parenting = mu + b_s (caregiver schooling - 9) / 3 + 0.8 z_h + mods("parenting.practice")

with a fixed household trait ``z_h`` ~ N(0, 1) drawn when the household forms.  A child
receives the parenting practice of its household as stimulation (the investment of its
caregivers in skill formation, :mod:`povsim.processes.development`), lower by
``parenting_grandparent`` when both parents are away (left behind with grandparents or
other relatives) and by ``parenting_mother_away`` when only the mother is away.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Value, household, person
from povsim.params import Param
from povsim.state import World, all_rows

PARAMS = (
    Param("parenting_mean", -0.4, "SD", (-0.8, 0.0),
          "Assumption: poor rural caregivers below the reference (40% of rural infants "
          "developmentally delayed; AEARCTR-0003351)", "Mean parenting practice of caregivers "
          "with 9 years of schooling", bounds=(-3.0, 3.0)),
    Param("parenting_school", 0.25, "SD per 3 years", (0.1, 0.4),
          "Assumption", "Gradient of parenting practice in caregiver schooling",
          bounds=(0.0, 2.0)),
    Param("parenting_grandparent", 0.4, "SD", (0.2, 0.7),
          "Assumption (grandparent caregivers of left-behind children)", "Lower stimulation "
          "when both parents are away", bounds=(0.0, 3.0)),
    Param("parenting_mother_away", 0.3, "SD", (0.1, 0.5),
          "Maternal migration before 12 months: cognition -0.3 SD at age 2, through diet "
          "and stimulation (Demography 2020, doi:10.1007/s13524-019-00849-4); migrant mother: "
          "suspected delay OR 1.24 (Qu X. et al. 2020, J Glob Health 10:010806) [E]",
          "Lower stimulation when the mother (only) is away", bounds=(0.0, 3.0)),
)

COLUMNS = (
    household("caregiver_school", np.float32, 0.0, "mean years of schooling of the present adults"),
    household("parenting", np.float32, 0.0, "caregiver parenting practice (SD units)"),
    household("parenting_z", np.float32, 0.0, "household parenting trait, N(0, 1), fixed"),
    person("stimulation", np.float64, 0.0, "caregiver stimulation the child receives (SD units)"),
)

VALUES = (
    Value("parenting.practice", "SD", "additive shift of the caregiver parenting practice score",
          kind="shift", table="household"),
)

STREAMS = ("parenting.household",)

TABLES = ()


def step(world: World, params, streams) -> None:
    """Caregiver schooling and parenting practice of each household (and per child)."""
    P, H = world.P, world.H
    # mean schooling of present adults (18-75); in households with no present adult the
    # migrant parents' schooling still shapes care
    cs = _caregiver_school(P.hh, world.age(), P.migrant, P.school_years, H.n)
    H["caregiver_school"] = cs
    trait = H.parenting_z  # fixed household trait, N(0, 1), drawn when the household forms
    par = params.parenting_mean + params.parenting_school * (cs - 9.0) / 3.0 + 0.8 * trait
    H["parenting"] = world.values("parenting.practice", world, all_rows(H.n), par)
    update_stimulation(world, params)


initialise = step


def update_stimulation(world: World, params) -> None:
    """Stimulation each person receives: the household's parenting practice, lower when
    both parents or the mother are away (recomputed when the family status changes)."""
    P, H = world.P, world.H
    P["stimulation"] = _stimulation_received(P.hh, H.parenting.astype(np.float64),
                                             P.both_parents_away, params.parenting_grandparent,
                                             P.mother_row, P.migrant,
                                             params.parenting_mother_away)


def on_new_households(world: World, params, streams, rows: np.ndarray) -> None:
    """The parenting trait of a new household."""
    H = world.H
    H.parenting_z[rows] = streams.normal("parenting.household", 0, H.id[rows])


@njit(cache=True, nogil=True)
def _caregiver_school(hh, age, migrant, school, n_h):
    """Mean schooling of present adults (18-75) per household; of all adults where none is
    present.

    Branch-free like :func:`household_counts`, with the four integer sums of a household
    side by side in int32 (one cache line per person, half the bytes of float sums); the
    quotients are those of the float64 sums, which were exact integers too.
    """
    acc = np.zeros((n_h, 4), dtype=np.int32)  # present adults, their years, adults, years
    for i in range(hh.shape[0]):
        a = age[i]
        h = hh[i]
        adult = a >= 18
        pres = adult & (a <= 75) & (not migrant[i])
        sy = np.int32(school[i])
        acc[h, 0] += pres
        acc[h, 1] += sy if pres else 0
        acc[h, 2] += adult
        acc[h, 3] += sy if adult else 0
    out = np.empty(n_h)
    for h in range(n_h):
        if acc[h, 0] > 0:
            out[h] = float(acc[h, 1]) / float(acc[h, 0])
        else:
            out[h] = float(acc[h, 3]) / max(float(acc[h, 2]), 1.0)
    return out


@threaded(cache=True, nogil=True)
def _stimulation_received(hh, parenting, both_away, grandparent, mother_row, migrant,
                          mother_away):
    """Caregiver parenting practice of each person's household, lower by ``grandparent``
    when both parents are away and by ``mother_away`` when only the (living) mother is."""
    out = np.empty(hh.shape[0])
    for i in prange(hh.shape[0]):
        x = parenting[hh[i]]
        if both_away[i]:
            x -= grandparent
        else:
            m = mother_row[i]
            if m >= 0 and migrant[m]:
                x -= mother_away
        out[i] = x
    return out
