"""Health of children and adults: health shocks, disability, check-ups.

Growth and stunting are in :mod:`povsim.processes.growth`, haemoglobin and anaemia in
:mod:`povsim.processes.anaemia`.

* Health shocks (serious illness or injury): annual probability by age, higher with a
  disability; a shock can leave a lasting disability.
* Health check-ups (children): annual probability by age (``checkup.probability``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("health_shock_child", 0.05, "per year (ages 0-17)", (0.02, 0.1),
          "Assumption (hospitalisation rates of rural children)", "Annual probability of a "
          "serious illness or injury, children", bounds=(0.0, 1.0)),
    Param("health_shock_adult", 0.06, "per year at 45", (0.03, 0.1),
          "Assumption (rural hospitalisation rates; rising 3% a year with age)",
          "Annual probability of a serious illness or injury at age 45", bounds=(0.0, 1.0)),
    Param("disability_after_shock", 0.03, "probability", (0.01, 0.08),
          "Assumption", "Probability a health shock leaves a lasting disability",
          bounds=(0.0, 1.0)),
    Param("checkup_under6", 0.55, "per year", (0.35, 0.8),
          "Assumption (rural child health management coverage in poor counties)",
          "Annual probability of a health check-up, ages 0-5", bounds=(0.0, 1.0)),
    Param("checkup_school", 0.4, "per year", (0.2, 0.7),
          "Assumption (school health examinations)", "Annual probability of a health "
          "check-up, ages 6-17", bounds=(0.0, 1.0)),
)


COLUMNS = (
    person("health_shock", np.bool_, False, "serious illness or injury this year"),
    person("disabled", np.bool_, False, "disability or special need"),
    person("checkup", np.bool_, False, "health check-up this year (children)"),
)

VALUES = (
    Value("health_shock.rr", "ratio", "multiplier on the annual serious illness/injury probability"),
    Value("checkup.probability", "probability", "probability of a health check-up this year, 0-17",
          kind="probability"),
)

STREAMS = ("health.shock", "health.disability", "health.checkup")


def _collect_health(world: World, cells) -> None:
    P, H = world.P, world.H
    num, den = _health_sums(world.children(), cells.cell, cells.n_cells, P.health_shock, P.disabled,
                            P.checkup, P.hh, H.insured)
    cells.add_all("health", [m.name for m in _HEALTH], num, den)


_HEALTH = (
    Measure("health_shock_rate_children", "children 0-17 with a serious illness or injury this year"),
    Measure("disability_prevalence_children", "children 0-17 with a disability"),
    Measure("checkup_rate_children", "children 0-17 with a health check-up this year"),
    Measure("uninsured_share_children", "children 0-17 in households without medical insurance"),
)

TABLES = (
    OutcomeTable("health", "health shocks, disability, check-ups and insurance of children",
                 _HEALTH, _collect_health),
)


def step(world: World, params, streams) -> None:
    """Health shocks, disability and check-ups of the year, in one compiled pass.

    Each base probability depends on a few discrete states only (age, disability), so it
    is evaluated on small tables and the pass looks them up; interventions' ratios and
    check-up probabilities come in per person.
    """
    P = world.P
    yr = world.year
    age = world.age()
    # health shocks by [age, disabled]
    a = np.arange(int(age.max(initial=0)) + 1)
    p = np.where(a < 18, params.health_shock_child,
                 params.health_shock_adult * np.exp(0.03 * (a.astype(np.float64) - 45.0)))
    p_shock = np.ascontiguousarray(np.clip(np.stack([p, 2.0 * p], axis=1), 0, 1))
    p_checkup = np.array([params.checkup_under6, params.checkup_school])
    vals = world.values
    checkup = vals.override("checkup.probability", world, world.children(),
                            lambda rows: p_checkup[(age[rows] > 5).astype(np.int64)], P.n)
    _health_pass(
        streams.key("health.checkup", yr), streams.key("health.shock", yr),
        streams.key("health.disability", yr), P.id, age, P.checkup, P.health_shock, P.disabled,
        p_checkup, p_shock, float(params.disability_after_shock),
        vals.ratio("health_shock.rr", world), checkup)


@threaded(cache=True, nogil=True)
def _health_pass(k_checkup, k_shock, k_disability, ids, age, checkup, health_shock, disabled,
                 p_checkup, p_shock, p_disability, shock_rr, checkup_p):
    """Check-ups (ages 0-17), health shocks and disability after a shock of the year, in
    place.

    ``p_checkup[c]`` with ``c`` 0 for ages 0-5; ``p_shock[age, disabled]``.  ``shock_rr``
    (ratios) and ``checkup_p`` (probabilities) are per person from the interventions'
    modifiers, or empty.  Branch-free (persons come in random order): every person draws,
    adults' check-up draws are unused.
    """
    has_s = shock_rr.shape[0] > 0
    has_c = checkup_p.shape[0] > 0
    for i in prange(ids.shape[0]):
        a = age[i]
        pid = ids[i]
        kid = a < 18
        pc = checkup_p[i] if has_c else p_checkup[np.int64(a > 5)]
        checkup[i] = kid & (uniform_at(k_checkup, pid) < pc)
        ps = p_shock[a, np.int64(disabled[i])]
        if has_s:
            ps = min(max(shock_rr[i] * ps, 0.0), 1.0)
        shock = uniform_at(k_shock, pid) < ps
        health_shock[i] = shock
        if shock and uniform_at(k_disability, pid) < p_disability:  # rare: predictable
            disabled[i] = True


@njit(cache=True, nogil=True)
def _health_sums(kids, cell, n_cells, shock, disabled, checkup, hh, insured):
    num = np.zeros((4, n_cells))
    den = np.zeros((4, n_cells))
    for i in kids:
        c = cell[i]
        for j in range(4):
            den[j, c] += 1.0
        num[0, c] += shock[i]
        num[1, c] += disabled[i]
        num[2, c] += checkup[i]
        num[3, c] += not insured[hh[i]]
    return num, den
