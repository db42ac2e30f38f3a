"""Household living conditions: water, sanitation, information, housing, insurance.

Households without safe water, improved sanitation or information access gain them with
a yearly probability (secular trend; interventions raise it through the named values
``water.upgrade_rate`` etc.).  Housing is poor when a fixed household key falls below a
logistic function of log income per capita, so rising income improves housing.  Medical
insurance enrolment is a fixed household key against the coverage rate.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from povsim import kernels
from povsim.params import Param
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
    Param("housing_poor_share", 0.2, "share of households at mean income", (0.1, 0.35),
          "Assumption (dilapidated housing among poor-county households; Hubei MODA study "
          "lists housing as a dimension)", "Probability of poor housing at the start-year "
          "mean income", bounds=(0.0, 1.0)),
    Param("housing_income_slope", 1.2, "logit per log RMB", (0.5, 2.0),
          "Assumption", "Decline of poor housing with log income per capita",
          bounds=(0.0, 10.0)),
    Param("insurance_coverage", 0.95, "share of households", (0.85, 0.99),
          "New Cooperative Medical Scheme participation ~99% of rural residents in 2014 "
          "(NHFPC) [M]; lower in poor remote villages [assumption]",
          "Share of households enrolled in rural medical insurance", bounds=(0.0, 1.0)),
)


def living_conditions(world: World, params, streams) -> None:
    """Secular improvements of amenities, then housing and insurance status."""
    H = world.H
    names = ("water.upgrade_rate", "sanitation.upgrade_rate", "info.gain_rate",
             "insurance.probability")
    if not world.values.modifies(*names):
        _living_conditions_compiled(world, params, streams)
        return
    rows = np.arange(H.n)
    act = world.values.active()

    def rate(name: str, default: float) -> np.ndarray | float:
        return world.values(name, world, rows, np.full(H.n, default)) if act else default

    yr = world.year
    if world.t > 0:
        gain_w = streams.uniform("living.water", yr, H.id) < rate("water.upgrade_rate",
                                                                   params.water_upgrade_rate)
        gain_s = streams.uniform("living.sanitation", yr, H.id) < rate(
            "sanitation.upgrade_rate", params.sanitation_upgrade_rate)
        gain_i = streams.uniform("living.info", yr, H.id) < rate("info.gain_rate",
                                                                  params.info_gain_rate)
        H["safe_water"] = H.safe_water | gain_w
        H["sanitation"] = H.sanitation | gain_s
        H["info_access"] = H.info_access | gain_i
    cov = rate("insurance.probability", params.insurance_coverage)
    H["insured"] = streams.uniform("living.insurance", 0, H.id) < cov
    # village coverage, used for new households and reported by the Village agents
    n_v = world.geo.n
    occupied = H.size > 0  # households emptied this year (members moved) do not count
    counts = np.bincount(H.village[occupied], minlength=n_v)
    world.scratch["village_households"] = counts
    size = np.maximum(counts, 1)
    hv = H.village[occupied]
    world.scratch["village_water"] = np.bincount(hv, H.safe_water[occupied], n_v) / size
    world.scratch["village_sanitation"] = np.bincount(hv, H.sanitation[occupied], n_v) / size
    world.scratch["village_info"] = np.bincount(hv, H.info_access[occupied], n_v) / size


def _living_conditions_compiled(world: World, params, streams) -> None:
    """:func:`living_conditions` in one compiled pass over households (no modifier on its
    values): the same draws and the same village counts."""
    H = world.H
    yr = world.year
    n_v = world.geo.n
    c = kernels.living_pass(
        streams._key("living.water", yr, 0), streams._key("living.sanitation", yr, 0),
        streams._key("living.info", yr, 0), streams._key("living.insurance", 0, 0), H.id,
        world.t > 0, H.safe_water, H.sanitation, H.info_access, H.insured,
        params.water_upgrade_rate, params.sanitation_upgrade_rate, params.info_gain_rate,
        params.insurance_coverage, H.size, H.village, n_v)
    counts = c[0].astype(np.int64)
    world.scratch["village_households"] = counts
    size = np.maximum(counts, 1)
    world.scratch["village_water"] = c[1] / size
    world.scratch["village_sanitation"] = c[2] / size
    world.scratch["village_info"] = c[3] / size


def housing(world: World, params, streams) -> None:
    """Poor housing from a fixed household key and current income (after income)."""
    H = world.H
    lo = logit(params.housing_poor_share) - params.housing_income_slope * (
        np.log(np.maximum(H.income_pc, 100.0)) - np.log(params.income_mean_start))
    H["housing_poor"] = streams.uniform("living.housing", 0, H.id) < expit(lo)
