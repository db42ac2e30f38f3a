"""Household living conditions: water, sanitation, information access, medical insurance.

Households without safe water, improved sanitation or information access gain them with
a yearly probability (secular trend; interventions raise it through the named values
``water.upgrade_rate``, ``sanitation.upgrade_rate`` and ``info.gain_rate``).  Medical
insurance enrolment is a fixed household key against the coverage rate
(``insurance.probability``).  Each year the village shares of occupied households with
each amenity are recorded (village columns); a new household gets each amenity with its
village's current share.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, household, village
from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("water_upgrade_rate", 0.03, "per year", (0.01, 0.06),
          "Assumption (rural safe-water programmes 2011-2020 extended coverage steadily)",
          "Annual probability a household without safe water gains it", bounds=(0.0, 1.0)),
    Param("sanitation_upgrade_rate", 0.03, "per year", (0.01, 0.06),
          "Assumption (rural toilet revolution from 2015)", "Annual probability a household "
          "without improved sanitation gains it", bounds=(0.0, 1.0)),
    Param("info_gain_rate", 0.1, "per year", (0.05, 0.2),
          "Assumption (mobile phone and internet diffusion)", "Annual probability a household "
          "without information access gains it", bounds=(0.0, 1.0)),
    Param("insurance_coverage", 0.95, "share of households", (0.85, 0.99),
          "New Cooperative Medical Scheme participation ~99% of rural residents in 2014 "
          "(NHFPC) [M]; lower in poor remote villages [assumption]",
          "Share of households enrolled in rural medical insurance", bounds=(0.0, 1.0)),
)

COLUMNS = (
    household("safe_water", np.bool_, False, "safe drinking water at home"),
    household("sanitation", np.bool_, False, "improved sanitation (flush or sanitary latrine)"),
    household("info_access", np.bool_, True, "TV, phone or internet"),
    household("insured", np.bool_, True, "enrolled in rural medical insurance"),
    village("households", np.int64, 0, "occupied households"),
    village("water_share", np.float64, 0.0, "share of occupied households with safe water"),
    village("sanitation_share", np.float64, 0.0, "share with improved sanitation"),
    village("info_share", np.float64, 0.0, "share with information access"),
)

VALUES = (
    Value("water.upgrade_rate", "per year", "annual probability a household gains safe water",
          kind="rate", table="household"),
    Value("sanitation.upgrade_rate", "per year", "annual probability a household gains "
          "sanitation", kind="rate", table="household"),
    Value("info.gain_rate", "per year", "annual probability a household gains information access",
          kind="rate", table="household"),
    Value("insurance.probability", "probability", "household medical insurance enrolment",
          kind="probability", table="household"),
)

STREAMS = ("living.water", "living.sanitation", "living.info", "living.insurance",
           "household.water", "household.sanitation", "household.info")

_LIVING = (
    Measure("no_safe_water_share", "children 0-17 without safe water at home"),
    Measure("no_sanitation_share", "children 0-17 without improved sanitation"),
    Measure("no_info_access_share", "children 0-17 without TV, phone or internet"),
    Measure("poor_housing_share", "children 0-17 in poor housing"),
)


def _collect_living(world: World, cells) -> None:
    P, H = world.P, world.H
    num, den = _living_sums(world.children(), cells.cell, cells.n_cells, P.hh, H.safe_water,
                            H.sanitation, H.info_access, H.housing_poor)
    cells.add_all("living_conditions", [m.name for m in _LIVING], num, den)


TABLES = (OutcomeTable("living_conditions", "children without safe water, sanitation, "
                       "information; poor housing", _LIVING, _collect_living),)


def step(world: World, params, streams) -> None:
    """Secular improvements of amenities, insurance status and the village shares."""
    H, V = world.H, world.V
    yr = world.year
    vals = world.values

    def rate(name: str, default: float) -> np.ndarray:
        return vals.override(name, world, None, lambda rows: np.full(len(rows), default))

    counts = _living_pass(
        streams.key("living.water", yr), streams.key("living.sanitation", yr),
        streams.key("living.info", yr), streams.key("living.insurance", 0), H.id,
        world.t > 0, H.safe_water, H.sanitation, H.info_access, H.insured,
        params.water_upgrade_rate, params.sanitation_upgrade_rate, params.info_gain_rate,
        params.insurance_coverage, rate("water.upgrade_rate", params.water_upgrade_rate),
        rate("sanitation.upgrade_rate", params.sanitation_upgrade_rate),
        rate("info.gain_rate", params.info_gain_rate),
        rate("insurance.probability", params.insurance_coverage), H.size, H.village, V.n)
    n = counts[0].astype(np.int64)
    V["households"] = n
    size = np.maximum(n, 1)
    V["water_share"] = counts[1] / size
    V["sanitation_share"] = counts[2] / size
    V["info_share"] = counts[3] / size


initialise = step


def on_new_households(world: World, params, streams, rows: np.ndarray) -> None:
    """Amenities of a new household: drawn at its village's current shares."""
    H, V = world.H, world.V
    hid = H.id[rows]
    v = H.village[rows]
    H.safe_water[rows] = streams.uniform("household.water", 0, hid) < V.water_share[v]
    H.sanitation[rows] = streams.uniform("household.sanitation", 0, hid) < V.sanitation_share[v]
    H.info_access[rows] = streams.uniform("household.info", 0, hid) < V.info_share[v]


@threaded(cache=True, nogil=True)
def _living_pass(k_water, k_sanitation, k_info, k_insurance, hid, upgrade, water, sanitation,
                 info, insured, p_water, p_sanitation, p_info, p_insured, r_water, r_sanitation,
                 r_info, r_insured, size, village, n_v):
    """Amenity upgrades (when ``upgrade``) and insurance of every household, in place, and
    per village the occupied households and those with water, sanitation and information
    (integer counts, as float64).  ``r_*`` are per-household probabilities from the
    modifiers, or empty (then the scalar ``p_*`` applies)."""
    for h in prange(hid.shape[0]):
        pid = hid[h]
        if upgrade:
            pw = r_water[h] if r_water.shape[0] else p_water
            ps = r_sanitation[h] if r_sanitation.shape[0] else p_sanitation
            pi = r_info[h] if r_info.shape[0] else p_info
            water[h] = water[h] | (uniform_at(k_water, pid) < pw)
            sanitation[h] = sanitation[h] | (uniform_at(k_sanitation, pid) < ps)
            info[h] = info[h] | (uniform_at(k_info, pid) < pi)
        pins = r_insured[h] if r_insured.shape[0] else p_insured
        insured[h] = uniform_at(k_insurance, pid) < pins
    counts = np.zeros((4, n_v))  # the village counts on one thread
    for h in range(hid.shape[0]):
        if size[h] > 0:
            v = village[h]
            counts[0, v] += 1.0
            counts[1, v] += water[h]
            counts[2, v] += sanitation[h]
            counts[3, v] += info[h]
    return counts


@njit(cache=True, nogil=True)
def _living_sums(kids, cell, n_cells, hh, water, sanitation, info, housing):
    num = np.zeros((4, n_cells))
    den = np.zeros((4, n_cells))
    for i in kids:
        c = cell[i]
        h = hh[i]
        for j in range(4):
            den[j, c] += 1.0
        num[0, c] += not water[h]
        num[1, c] += not sanitation[h]
        num[2, c] += not info[h]
        num[3, c] += housing[h]
    return num, den
