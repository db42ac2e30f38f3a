"""MODA in every run: the child frame from model state, and yearly MODA tables.

:func:`child_frame` exposes, for every child aged 0-17, the columns the MODA
configuration refers to (``src/povsim/data/moda_hubei.toml`` by default; a scenario may
name another with ``[outputs] moda_config``).  :class:`MODACollector` computes the MODA
tables (:func:`povsim.moda.moda_tables`) each collected year and keeps them in tidy form
with a ``year`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from povsim.moda import (
    MODAConfig,
    compute_moda_tables,
    default_moda_config_path,
    load_moda_config,
)
from povsim.processes.schooling import overage
from povsim.state import World

#: Columns of the child frame (what a MODA config may use), with their meaning.
CHILD_COLUMNS: dict[str, str] = {
    "age": "age in completed years",
    "sex": "0 female, 1 male",
    "stunted": "1 if stunted (height-for-age z < -2)",
    "anaemic": "1 if anaemic this year",
    "health_shock": "1 if a serious illness or injury this year",
    "disabled": "1 if the child has a disability / special need",
    "checkup": "1 if a health check-up this year",
    "insured": "1 if the household is in rural medical insurance",
    "stimulation": "caregiver stimulation / parenting practice received (SD units)",
    "preschool": "1 if attending preschool (ages 3-5)",
    "enrolled": "1 if enrolled in school",
    "overage": "years behind the normal grade for age",
    "info_access": "1 if the household has TV, phone or internet",
    "safe_water": "1 if the household has safe drinking water",
    "sanitation": "1 if the household has improved sanitation",
    "housing_poor": "1 if the household's housing is poor",
    "dibao": "1 if the household receives Dibao",
    "income_poor": "1 if household income per capita is below the poverty line",
    "dibao_gap": "1 if income poor and not receiving Dibao",
    "left_behind": "1 if at least one parent is a migrant",
    "unsupervised": "1 if both parents are away and no other adult is present",
    "county": "county name",
    "arm": "pilot or comparison village",
    "generation": "generation by lineage (0 = initial adults)",
}


def child_frame(world: World) -> dict[str, np.ndarray]:
    """Per-child columns (ages 0-17) for MODA indicators and subgroups.

    Subgroup columns ``county``, ``arm`` and ``generation`` are integer codes; use
    :func:`group_labels` to name them.
    """
    P, H, geo = world.P, world.H, world.geo
    age = world.age()
    kids = np.flatnonzero(age < 18)
    hh = P.hh[kids]
    s = world.scratch
    v = H.village[hh]
    income_poor = H.income_poor[hh]
    dibao = H.dibao[hh]
    return {
        "age": age[kids].astype(np.int64),
        "sex": P.sex[kids].astype(np.int64),
        "stunted": P.stunted[kids],
        "anaemic": P.anaemic[kids],
        "health_shock": P.health_shock[kids],
        "disabled": P.disabled[kids],
        "checkup": P.checkup[kids],
        "insured": H.insured[hh],
        "stimulation": s["parenting_eff"][kids].astype(np.float64),
        "preschool": P.preschool[kids],
        "enrolled": P.enrolled[kids],
        "overage": overage(world)[kids].astype(np.float64),
        "info_access": H.info_access[hh],
        "safe_water": H.safe_water[hh],
        "sanitation": H.sanitation[hh],
        "housing_poor": H.housing_poor[hh],
        "dibao": dibao,
        "income_poor": income_poor,
        "dibao_gap": income_poor & ~dibao,
        "left_behind": s["left_behind"][kids],
        "unsupervised": s["unsupervised"][kids],
        # subgroups as categoricals: MODA reads their codes without hashing every child
        "county": _codes(geo.county[v], len(geo.counties)),
        "arm": _codes(geo.pilot[v], 2),
        "generation": _codes(P.generation[kids], int(P.generation.max(initial=0)) + 1),
    }


def _codes(codes: np.ndarray, k: int) -> pd.Categorical:
    """Integer codes 0..k-1 as a categorical with categories 0..k-1 (only those present)."""
    c = np.asarray(codes, dtype=np.int64)
    present = np.flatnonzero(np.bincount(c, minlength=k))
    remap = np.full(k, -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return pd.Categorical.from_codes(remap[c], categories=present)


def group_labels(world: World) -> dict[str, dict[str, str]]:
    """Code -> label maps of the integer subgroup columns."""
    return {
        "county": {str(i): c for i, c in enumerate(world.geo.counties)},
        "arm": {"0": "comparison", "1": "pilot"},
        "sex": {"0": "female", "1": "male"},
        "left_behind": {"0": "not left behind", "1": "left behind", "False": "not left behind",
                        "True": "left behind"},
    }


@dataclass
class MODACollector:
    """Yearly MODA tables of a run."""

    config: MODAConfig
    groups: tuple[str, ...]
    every: int = 1
    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    @classmethod
    def from_path(cls, path: str | None, groups, every: int = 1) -> MODACollector:
        cfg = load_moda_config(path or default_moda_config_path())
        return cls(config=cfg, groups=tuple(groups), every=every)

    def collect(self, world: World) -> None:
        if (world.year - world.start_year) % self.every:
            return
        frame = child_frame(world)
        tabs, _ = compute_moda_tables(frame, self.config, groups=list(self.groups),
                                      as_arrays=True)
        self._labels = group_labels(world)
        for name, cols in tabs.items():
            if cols is None:
                continue
            cols["year"] = np.full(len(cols["value"]), world.year, dtype=np.int64)
            self.frames.setdefault(f"moda_{name}", []).append(cols)

    def tables(self) -> dict[str, pd.DataFrame]:
        """All collected years, with subgroup codes replaced by their labels."""
        out = {}
        labels = getattr(self, "_labels", {})
        for k, v in self.frames.items():
            # one DataFrame per table from all years' column arrays (cheap)
            columns = ["year", *(c for c in v[0] if c != "year")]
            df = pd.DataFrame({c: np.concatenate([b[c] for b in v]) for c in columns})
            key = df["by"].astype(str) + "|" + df["group"].astype(str)
            mapping = {f"{by}|{code}": lab for by, m in labels.items() for code, lab in m.items()}
            df["group"] = key.map(mapping).fillna(df["group"].astype(str))
            out[k] = df
        return out


#: MODA measures copied into the tidy ``moda`` table (summary, figures, comparisons).
_TIDY_SUMMARY = ("H", "A", "M0")
_TIDY_INCOME = ("deprived_and_poor", "deprived_only", "poor_only", "neither")


def tidy_moda(detail: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Headline MODA measures in the standard tidy layout (``by, group, measure, value``).

    Measures: ``moda_headcount_rate_<age>`` (H), ``moda_intensity_share_<age>`` (A),
    ``moda_M0_<age>`` (M0) and the income overlap ``moda_deprived_and_poor_share_<age>``
    etc., with ``<age>`` the age group (``0_5``, ``6_17``).
    """
    parts = []
    summ = detail.get("moda_summary")
    if summ is not None:
        s = summ[summ["measure"].isin(_TIDY_SUMMARY)].copy()
        # H is a headcount share; A and M0 are averages of shares
        s["measure"] = ("moda_" + s["measure"].map({"H": "headcount_rate", "A": "intensity_share",
                                                      "M0": "M0"})
                        + "_" + s["age_group"].str.replace("-", "_"))
        parts.append(s)
    inc = detail.get("moda_income")
    if inc is not None and not inc.empty:
        s = inc[inc["measure"].isin(_TIDY_INCOME)].copy()
        s["measure"] = ("moda_" + s["measure"] + "_share_" + s["age_group"].str.replace("-", "_"))
        parts.append(s)
    if not parts:
        return pd.DataFrame(columns=["year", "by", "group", "measure", "numerator",
                                     "denominator", "value"])
    df = pd.concat(parts, ignore_index=True)
    df["numerator"] = df["value"] * df["n"]
    df["denominator"] = df["n"]
    cols = ["year", "by", "group", "measure", "numerator", "denominator", "value"]
    if "replicate" in df.columns:
        cols = ["replicate", *cols]
    return df[cols].reset_index(drop=True)


def child_deprivation(world: World, config: MODAConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-child MODA score: ``(rows, weighted dimension count, poor at k)`` for ages 0-17.

    The same rules as :func:`povsim.moda.moda_tables` (union within a dimension, dimension
    weights, cut-off k per age group); used for targeting ("MODA-deprived") and for
    rationing ("most deprived first").  Cached per year in ``world.scratch``.
    """
    cached = world.scratch.get("_child_deprivation")
    if cached is not None and cached[0] == (world.year, world.P.n):
        return cached[1]
    from povsim.moda import _evaluate_indicator

    frame = child_frame(world)
    age = frame["age"]
    rows = np.flatnonzero(world.age() < 18)
    score = np.zeros(len(rows))
    poor = np.zeros(len(rows), dtype=bool)
    for ag in config.age_groups:
        in_ag = (age >= ag.min_age) & (age <= ag.max_age)
        dims: dict[str, np.ndarray] = {}
        for ind in config.indicators:
            if ind.age_groups is not None and ag.name not in ind.age_groups:
                continue
            dep, _ = _evaluate_indicator(frame[ind.column], ind)
            if ind.min_age is not None:
                dep = dep & (age >= ind.min_age)
            if ind.max_age is not None:
                dep = dep & (age <= ind.max_age)
            dims[ind.dimension] = dims.get(ind.dimension, np.zeros(len(age), bool)) | dep
        s = np.zeros(len(age))
        for d, dep in dims.items():
            s += config.dimensions[d].weight * dep
        k = ag.k if ag.k is not None else config.moda.k
        score[in_ag] = s[in_ag]
        poor[in_ag] = s[in_ag] >= k - 1e-9
    out = (rows, score, poor)
    world.scratch["_child_deprivation"] = ((world.year, world.P.n), out)
    return out
