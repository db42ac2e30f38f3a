"""The model bridge: MODA in every run.

:func:`child_frame` exposes, for every child aged 0-17, the columns a MODA configuration
may refer to (:data:`CHILD_COLUMNS`; ``src/povsim/data/moda_hubei.toml`` by default, a
scenario may name another with ``[outputs] moda_config``).  :class:`MODACollector` computes
the MODA tables each collected year -- by one compiled pass over persons
(:func:`fast_moda_tables`), or through the frame (:func:`povsim.moda.tables.compute_moda_tables`)
when a configuration or a value needs it -- and keeps them in tidy form with a ``year``
column.  :func:`child_deprivation` gives each child's score for targeting and rationing.
All three score children with the same compiled rules (:mod:`povsim.moda.score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from povsim.moda.config import IndicatorSpec, MODAConfig, default_moda_config_path, load_moda_config
from povsim.moda.measures import _DIRECT_PATTERN_BITS, _pattern_bits, is_poor
from povsim.moda.score import model_counts, model_scores, rule_plan, score_rows
from povsim.moda.tables import (
    TABLE_NAMES,
    Rows,
    _indicator_values,
    add_indicator_rows,
    add_partition_rows,
    compute_moda_tables,
)
from povsim.processes.schooling import overage
from povsim.state import World

__all__ = ["CHILD_COLUMNS", "MODACollector", "child_deprivation", "child_frame", "fast_moda_tables",
           "group_labels", "tidy_moda"]

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



def dibao_gap(H) -> np.ndarray:
    """Households income poor and not receiving Dibao (the ``dibao_gap`` column)."""
    return H.income_poor & ~H.dibao


def child_frame(world: World, kids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-child columns (ages 0-17; or the person rows ``kids``, all children) for MODA
    indicators and subgroups.

    Subgroup columns ``county``, ``arm`` and ``generation`` are integer codes; use
    :func:`group_labels` to name them.
    """
    P, H, geo = world.P, world.H, world.geo
    age = world.age()
    kids = world.children() if kids is None else kids
    hh = P.hh[kids]
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
        "stimulation": P.stimulation[kids].astype(np.float64),
        "preschool": P.preschool[kids],
        "enrolled": P.enrolled[kids],
        "overage": overage(world, kids).astype(np.float64),
        "info_access": H.info_access[hh],
        "safe_water": H.safe_water[hh],
        "sanitation": H.sanitation[hh],
        "housing_poor": H.housing_poor[hh],
        "dibao": dibao,
        "income_poor": income_poor,
        "dibao_gap": dibao_gap(H)[hh],
        "left_behind": P.left_behind[kids],
        "unsupervised": P.unsupervised[kids],
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

    def collect(self, world: World, views: Sequence[MODACollector] = ()) -> None:
        """This year's tables, and those of ``views`` (collectors of views of this
        configuration, :mod:`povsim.moda.views`) from the same scoring of the children."""
        if (world.year - world.start_year) % self.every:
            return
        tabs = shared_moda_tables(world, self.config, tuple(self.groups), [v.config for v in views])
        self._keep(world, tabs[0])
        for view, own in zip(views, tabs[1:], strict=True):
            view._keep(world, own if own is not None else
                       fast_moda_tables(world, view.config, tuple(view.groups)))

    def _keep(self, world: World, tabs: dict | None) -> None:
        if tabs is None:  # a configuration or value the compiled path does not handle
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


def child_deprivation(world: World, config: MODAConfig,
                      rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-child MODA score: ``(rows, weighted dimension count, poor at k)`` for ages 0-17
    (or for the children ``rows``).

    The rules of the tables (:mod:`povsim.moda.score`; union within a dimension, dimension
    weights, cut-off k per age group, :func:`povsim.moda.measures.is_poor`); used for
    targeting ("MODA-deprived"), for rationing ("most deprived first") and by the planner
    (outcome indicators only).  A child with a missing value counts as not deprived in that
    indicator.  Cached per year and configuration (for all children).
    """
    key = (world.year, world.P.n, id(config))
    cached = world.scratch.get("_child_deprivation")
    if rows is None and cached is not None and cached[0] == key:
        return cached[1]
    if rows is None:
        out = child_deprivation(world, config, world.children())
        world.scratch["_child_deprivation"] = (key, out)
        return out
    frame = child_frame(world, rows)
    age = frame["age"].astype(np.float64)
    q = np.full(len(rows), -1, dtype=np.int64)
    for i, ag in enumerate(config.age_groups):
        q[ag.contains(age)] = i
    index, values = _indicator_values(frame, config.indicators)
    plan = rule_plan(config, index)
    codes = score_rows(values, age, q, plan, drop=False).codes
    score = np.zeros(len(rows))
    poor = np.zeros(len(rows), dtype=bool)
    for i, ag in enumerate(config.age_groups):
        here = q == i
        w = config.weights_for(ag.name)
        score[here] = _pattern_bits(codes[here], len(w)).astype(np.float64) @ w
        poor[here] = is_poor(score[here], config.k_for(ag.name), float(w.sum()))
    return rows, score, poor


# ---------------------------------------------------------------------------------------
# Compiled path: the pattern tables straight from the model's columns
# ---------------------------------------------------------------------------------------

#: Position of each child-frame column in the values the compiled pass builds per child.
_COL = {c: i for i, c in enumerate(CHILD_COLUMNS)}
#: Subgroup columns the compiled path can decompose by, with how ``_factorize`` labels
#: their values in the child frame (bool arrays: "False"/"True"; integers: "0", "1"...).
_BOOL_COLUMNS = frozenset({
    "stunted", "anaemic", "health_shock", "disabled", "checkup", "insured", "preschool",
    "enrolled", "info_access", "safe_water", "sanitation", "housing_poor", "dibao",
    "income_poor", "dibao_gap", "left_behind", "unsupervised"})


def _fast_plan(config: MODAConfig, groups: tuple[str, ...], n_generations: int,
               n_counties: int, scored: tuple[IndicatorSpec, ...] | None = None) -> dict | None:
    """Static inputs of the compiled pass for a configuration, or ``None`` when the
    configuration needs the general path (unknown columns, float subgroups, > 12 dimensions).

    ``scored``: the indicators of another configuration's scoring, to count this
    configuration from (``None`` when it has indicators those do not have, or differ).
    """
    ags = config.age_groups
    cols = [ind.column for ind in config.indicators] + list(groups)
    if config.moda.income_poverty is not None:
        cols.append(config.moda.income_poverty)
    if any(c not in _COL for c in cols):
        return None
    if scored is not None:
        have = {ind.name: ind for ind in scored}
        if any(have.get(ind.name) != ind for ind in config.indicators):
            return None
    plan = rule_plan(config, _COL, indicators=scored)
    grp_k, labels = [], []
    for g in groups:
        if g in _BOOL_COLUMNS:
            grp_k.append(2)
            labels.append(["False", "True"])
        elif g in ("sex", "arm"):
            grp_k.append(2)
            labels.append(["0", "1"])
        elif g == "county":
            grp_k.append(n_counties)
            labels.append([str(i) for i in range(n_counties)])
        elif g == "generation":
            grp_k.append(n_generations)
            labels.append([str(i) for i in range(n_generations)])
        elif g == "age":
            grp_k.append(18)
            labels.append([str(i) for i in range(18)])
        else:
            return None
    n_states = 1 if config.moda.income_poverty is None else 3
    ag_size = np.zeros(len(ags), dtype=np.int64)
    ag_off = np.zeros(len(ags) + 1, dtype=np.int64)
    ag_of_age = np.full(18, -1, dtype=np.int64)  # the age group of each age 0-17
    for q, ag in enumerate(ags):
        span = ag_of_age[ag.min_age:ag.max_age + 1]
        if (span >= 0).any():
            return None  # overlapping age groups: the general path reports them
        span[:] = q
        dims = config.dimensions_for(ag.name)
        if len(dims) > _DIRECT_PATTERN_BITS:
            return None
        ag_size[q] = 1 << len(dims)
        ag_off[q + 1] = ag_off[q] + (1 + sum(grp_k)) * n_states * ag_size[q]
    return {"rules": plan, "ag_of_age": ag_of_age, "ag_size": ag_size, "ag_off": ag_off,
            "inc_col": _COL.get(config.moda.income_poverty or "", -1), "n_states": n_states,
            "grp_col": np.array([_COL[g] for g in groups], dtype=np.int64), "grp_k": grp_k, "labels": labels}


def fast_moda_tables(world: World, config: MODAConfig,
                     groups: tuple[str, ...]) -> dict[str, dict | None] | None:
    """The tables of :func:`povsim.moda.tables.compute_moda_tables` (``as_arrays=True``)
    for the world's children, computed by one compiled pass over persons instead of a
    child frame.

    Gives the same rows as the general path (counts are integers, so the sums are exact);
    returns ``None`` when the configuration or the data need the general path (a column it
    does not know, a missing value, a value out of range).
    """
    return shared_moda_tables(world, config, groups)[0]


def shared_moda_tables(world: World, config: MODAConfig, groups: tuple[str, ...],
                       views: Sequence[MODAConfig] = ()) -> list[dict[str, dict | None] | None]:
    """:func:`fast_moda_tables` of ``config``, then of each of ``views`` (without subgroups)
    from the same scoring of the children: a view of ``config`` (:mod:`povsim.moda.views`)
    keeps some of its indicators, so its children's indicator bits are theirs.  ``None``
    for a configuration that needs a pass of its own (``config``: the general path)."""
    P, H, geo = world.P, world.H, world.geo
    n_gen = int(P.generation.max(initial=0)) + 1
    plan = _fast_plan(config, groups, n_gen, len(geo.counties))
    if plan is None:
        return [None] * (1 + len(views))
    age = world.age()
    kids = world.children()
    pc = (P.sex, P.stunted, P.anaemic, P.health_shock, P.disabled, P.checkup, P.preschool,
          P.enrolled, P.grade, P.generation, P.stimulation, P.left_behind, P.unsupervised)
    hc = (H.insured, H.info_access, H.safe_water, H.sanitation, H.housing_poor, H.dibao,
          H.income_poor, dibao_gap(H))
    scores = model_scores(kids, age, P.hh, pc, hc, H.village, geo.county, geo.pilot, plan["rules"],
                          plan["inc_col"], plan["n_states"], plan["grp_col"], plan["grp_k"])
    out = [_tables(config, groups, plan, kids, age, scores)]
    for view in views:
        vplan = _fast_plan(view, (), n_gen, len(geo.counties), plan["rules"].indicators)
        out.append(None if vplan is None or out[0] is None or vplan["inc_col"] != plan["inc_col"] else
                   _tables(view, (), vplan, kids, age, scores))
    return out


def _tables(config: MODAConfig, groups: tuple[str, ...], plan: dict, kids: np.ndarray, age: np.ndarray,
            scores: tuple) -> dict[str, dict | None] | None:
    """The table rows of :func:`fast_moda_tables` of ``config`` (its ``plan``: :func:`_fast_plan`)
    from the children's :func:`povsim.moda.score.model_scores`."""
    status, out, ind_count, present, n_in = model_counts(
        kids, age, scores, plan["rules"], plan["ag_of_age"], plan["ag_size"], plan["ag_off"], plan["n_states"],
        plan["grp_k"])
    if status != 0:
        return None
    rows = {name: Rows() for name in TABLE_NAMES}
    n_states = plan["n_states"]
    policy = config.moda.missing
    index = {ind.name: j for j, ind in enumerate(plan["rules"].indicators)}
    for q, ag in enumerate(config.age_groups):
        if n_in[q] == 0:
            continue
        dims = config.dimensions_for(ag.name)
        w = config.weights_for(ag.name)
        k = config.k_for(ag.name)
        d = len(dims)
        size = 1 << d
        pattern_codes = np.arange(size, dtype=np.int64)
        bits = _pattern_bits(pattern_codes, d)
        cell = n_states * size
        off = int(plan["ag_off"][q])
        t = out[off:off + cell].reshape(1, n_states, size)
        total = add_partition_rows(rows, ag.name, "all", ["all"], t, dims, pattern_codes,
                                   bits, w, k, n_states == 3, None, (policy, int(n_in[q]), 0))
        off += cell
        for g, by in enumerate(groups):
            kg = int(plan["grp_k"][g])
            block = out[off:off + kg * cell].reshape(kg, n_states, size)
            off += kg * cell
            here = present[g, :kg]
            labels = [lab for lab, p in zip(plan["labels"][g], here, strict=True) if p]
            total = add_partition_rows(rows, ag.name, by, labels, block[here], dims,
                                       pattern_codes, bits, w, k, n_states == 3, total,
                                       (policy, int(n_in[q]), 0))
        if total is None or not total.n[0] > 0:
            continue
        inds = config.indicators_for(ag.name)
        ind_vals = [int(ind_count[q, index[ind.name]]) for ind in inds]
        add_indicator_rows(rows, ag.name, inds, ind_vals, total.n[:1])
    return {name: r.arrays() for name, r in rows.items()}
