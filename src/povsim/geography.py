"""The simulated area: counties, townships and villages with their remoteness and
water and sanitation coverage.

The default area is the Hubei integrated child poverty reduction pilot: 8 counties, 66
townships, 80 pilot villages, plus comparison villages in the same counties.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from povsim.params import Param
from povsim.rng import Streams

HUBEI_COUNTIES: tuple[str, ...] = (
    "Yangxin", "Wufeng", "Tongshan", "Xuan'en", "Dawu", "Yunyang", "Luotian", "Baokang",
)

HUBEI_SRC = (
    "Hubei integrated child poverty reduction pilot: 8 counties, 66 townships, 80 villages "
    "(UNICEF China / IPRCC / Hubei Poverty Alleviation Office, 'Hubei Model' brochure, 2017)"
)

PARAMS = (
    Param("safe_water_coverage", 0.45, "share of households", (0.3, 0.7),
          "Hubei MODA study: safe drinking water among the most serious deprivations (UNICEF "
          "China press release, 15 Oct 2015); Shanxi/Guizhou water+sanitation deprivation "
          "90.25% (Wei et al. 2018, Chin J Public Health 34(2):204) [E]",
          "Mean village coverage of safe drinking water in 2014", bounds=(0.0, 1.0)),
    Param("sanitation_coverage", 0.28, "share of households", (0.15, 0.5),
          "72.03% of children in contiguous poverty areas lived without a flush toilet in "
          "2013 (Feng, Gao & Wei 2017)", "Mean village coverage of improved sanitation in 2014",
          bounds=(0.0, 1.0)),
    Param("coverage_village_concentration", 6.0, "Beta concentration", (2.0, 20.0),
          "Assumption", "Between-village dispersion of WASH coverage (Beta a+b)",
          bounds=(0.5, 200.0)),
    Param("remoteness_median_km", 8.0, "km to township seat", (4.0, 15.0),
          "Assumption for mountainous Wuling/Qinba/Dabie counties",
          "Median distance of a village from its township seat", bounds=(0.5, 60.0)),
)

STREAMS = ("geography.remoteness", "geography.wash")


@dataclass
class Geography:
    """Villages of the simulated area (numpy columns, one row per village)."""

    counties: tuple[str, ...]
    county: np.ndarray  # int county code per village
    township: np.ndarray  # int township code (global)
    pilot: np.ndarray  # bool
    remoteness_km: np.ndarray
    water_coverage: np.ndarray
    sanitation_coverage: np.ndarray
    size_weight: np.ndarray  # relative population size
    names: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.county)


def make_geography(
    counties: tuple[str, ...],
    pilot_villages: int,
    comparison_villages: int,
    townships: int,
    params,
    streams: Streams,
) -> Geography:
    """Lay out villages over counties and townships, with remoteness and WASH coverage.

    Pilot and comparison villages are spread evenly over the counties (pilot villages of a
    county share its townships with the comparison villages).
    """
    n_c = len(counties)
    n_v = pilot_villages + comparison_villages
    vid = np.arange(n_v)
    pilot = vid < pilot_villages
    # round-robin within each arm so every county gets its share of pilot villages
    arm_index = np.where(pilot, vid, vid - pilot_villages)
    county = (arm_index % n_c).astype(np.int32)
    # townships: spread over counties round-robin; village -> a township of its county
    t_ids = np.arange(max(townships, n_c))
    t_county = t_ids % n_c
    per_county = np.bincount(t_county, minlength=n_c)
    first_t = np.zeros(n_c, dtype=np.int64)
    first_t[1:] = np.cumsum(per_county)[:-1]
    t_sorted = t_ids[np.argsort(t_county, kind="stable")]
    within = (arm_index // n_c) % per_county[county]
    township = t_sorted[first_t[county] + within].astype(np.int32)

    u = streams.uniform("geography.remoteness", 0, vid)
    z = streams.normal("geography.remoteness", 0, vid, sub=1)
    remote = params.remoteness_median_km * np.exp(0.6 * z)
    conc = params.coverage_village_concentration
    # Beta draws by inverse CDF keep one uniform per village (CRN-stable)
    from scipy.special import betaincinv

    def beta(mean: float, sub: int) -> np.ndarray:
        m = min(max(mean, 1e-3), 1 - 1e-3)
        uu = streams.uniform("geography.wash", 0, vid, sub=sub)
        return betaincinv(m * conc, (1 - m) * conc, uu)

    # remoter villages have lower coverage (same draw order whatever the parameters)
    water = np.clip(beta(params.safe_water_coverage, 0) - 0.01 * (remote - remote.mean()), 0, 1)
    sanit = np.clip(beta(params.sanitation_coverage, 1) - 0.01 * (remote - remote.mean()), 0, 1)
    size_weight = np.exp(0.3 * (2 * u - 1))
    names = [
        f"{counties[c]}-{'P' if p else 'C'}{i:03d}"
        for i, (c, p) in enumerate(zip(county.tolist(), pilot.tolist(), strict=True))
    ]
    return Geography(
        counties=tuple(counties), county=county, township=township, pilot=pilot,
        remoteness_km=remote, water_coverage=water, sanitation_coverage=sanit,
        size_weight=size_weight, names=names,
    )
