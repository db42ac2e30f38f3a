"""MODA tables for a frame of children (the model's children, or a survey's).

:func:`moda_tables` scores every child (:mod:`povsim.moda.score`), counts children by
subgroup, income-poverty state and deprivation pattern, and turns the counts into the
long-format tables of :data:`TABLE_NAMES` (:mod:`povsim.moda.measures`).  The model's
compiled path (:mod:`povsim.moda.model`) builds the same counts in one pass over persons
and shares the table building here (:func:`add_partition_rows`, :func:`add_indicator_rows`).

References
----------
de Neubourg et al. (2012), MODA Step-by-Step Guidelines, UNICEF Office of Research
WP-2012-10 (overlap analysis; overlap of monetary poverty and deprivation). Alkire and
Foster (2011), doi:10.1016/j.jpubeco.2010.11.006 (section 4: decomposability by subgroup,
``M0 = sum_g (n_g / n) M0_g``).  Lex, A., Gehlenborg, N., Strobelt, H., Vuillemot, R. and
Pfister, H. (2014). UpSet: visualization of intersecting sets. IEEE TVCG 20(12):
1983-1992. doi:10.1109/TVCG.2014.2346248 (the ``patterns`` table).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from povsim.errors import did_you_mean
from povsim.moda.config import IndicatorSpec, MODAConfig
from povsim.moda.measures import (
    _DIRECT_PATTERN_BITS,
    _MAX_PATTERN_BITS,
    _as_sample_weights,
    _factorize,
    _grouped_table,
    _Measures,
    _pattern_bits,
    _pattern_names,
    measures_from_table,
)
from povsim.moda.score import rule_plan, score_rows

__all__ = ["TABLE_COLUMNS", "TABLE_NAMES", "Rows", "add_indicator_rows", "add_partition_rows",
           "compute_moda_tables", "moda_tables"]

#: Columns of every table returned by :func:`moda_tables`.
TABLE_COLUMNS: tuple[str, ...] = (
    "age_group",
    "by",
    "group",
    "measure",
    "dimension",
    "indicator",
    "value",
    "n",
)

#: Names of the tables returned by :func:`moda_tables`.
TABLE_NAMES: tuple[str, ...] = (
    "summary",
    "dimensions",
    "distribution",
    "indicators",
    "income",
    "overlaps",
    "patterns",
)


def _get_column(frame: Any, name: str, purpose: str) -> Any:
    try:
        col = frame[name]
    except (KeyError, IndexError, ValueError):
        available = list(frame.keys()) if hasattr(frame, "keys") else []
        raise ValueError(
            f"child frame has no column {name!r} (needed for {purpose}); "
            f"{did_you_mean(name, [str(a) for a in available])}"
        ) from None
    return col



class Rows:
    """Accumulates blocks of long-format rows for one table.

    Blocks keep their labels as Python lists; the object columns are built once, in
    :meth:`arrays` (building small object arrays per block cost more than the measures).
    """

    def __init__(self) -> None:
        self.blocks: list[tuple] = []

    def add(
        self,
        age_group: str,
        by: str,
        groups: Sequence[str],
        n: NDArray[np.float64],
        measures: Sequence[str],
        dimensions: Sequence[str],
        values: NDArray[np.float64],
        indicators: Sequence[str] | None = None,
    ) -> None:
        """Add ``values[g, m]`` for groups ``g`` and items ``m`` (measure, dimension)."""
        g = len(groups)
        m = len(measures)
        if g == 0 or m == 0:
            return
        self.blocks.append((
            age_group, by, list(groups), list(measures), list(dimensions),
            list(indicators) if indicators is not None else [""] * m,
            np.asarray(values, dtype=np.float64).reshape(g * m),
            np.repeat(np.asarray(n, dtype=np.float64), m),
        ))

    def arrays(self) -> dict[str, NDArray[Any]] | None:
        """The rows as one array per column (``None`` when empty)."""
        if not self.blocks:
            return None
        age_group: list[str] = []
        by: list[str] = []
        group: list[str] = []
        measure: list[str] = []
        dimension: list[str] = []
        indicator: list[str] = []
        for ag, b, groups, measures, dims, inds, _, _ in self.blocks:
            g, m = len(groups), len(measures)
            age_group += [ag] * (g * m)
            by += [b] * (g * m)
            for label in groups:
                group += [label] * m
            measure += measures * g
            dimension += dims * g
            indicator += inds * g
        cols = {"age_group": age_group, "by": by, "group": group, "measure": measure,
                "dimension": dimension, "indicator": indicator}
        out: dict[str, NDArray[Any]] = {}
        for c in TABLE_COLUMNS:
            if c in cols:
                arr = np.empty(len(cols[c]), dtype=object)
                arr[:] = cols[c]
                out[c] = arr
            else:
                out[c] = np.concatenate([blk[6 if c == "value" else 7] for blk in self.blocks])
        return out

    def frame(self) -> pd.DataFrame:
        cols = self.arrays()
        if cols is None:
            return pd.DataFrame(
                {c: pd.Series([], dtype=float if c in ("value", "n") else object)
                 for c in TABLE_COLUMNS}
            )
        return pd.DataFrame(cols)



def _numeric_column(frame: Any, name: str, purpose: str) -> NDArray[np.float64]:
    col = np.asarray(_get_column(frame, name, purpose))
    try:
        return col.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise ValueError(f"column {name!r} ({purpose}) must be numeric; got {col.dtype}") from None



def moda_tables(
    child_frame: Any,
    config: MODAConfig,
    groups: Sequence[str] | None = None,
    sample_weights: ArrayLike | None = None,
) -> dict[str, pd.DataFrame]:
    """MODA tables for a frame of children, per age group.

    Parameters
    ----------
    child_frame
        Mapping of column name to per-child array (a dict of numpy arrays or a pandas
        DataFrame). Needs ``age`` (years), every indicator column of the age groups
        present, the ``income_poverty`` column if configured, and the subgroup columns.
    config
        MODA configuration (:func:`load_moda_config`).
    groups
        Subgroup columns to decompose by (e.g. ``["sex", "county", "arm"]``);
        default ``config.moda.groups``.
    sample_weights
        Population weight per child; default 1 each.

    Returns
    -------
    dict of str to pandas.DataFrame
        Long-format tables with columns :data:`TABLE_COLUMNS` (``age_group, by, group,
        measure, dimension, indicator, value, n``). ``by`` is ``"all"`` (with group
        ``"all"``) or a subgroup column; ``n`` is the population weight of the cell.

        ``summary``
            ``H``, ``A``, ``M0``, ``population_share`` and ``contribution_to_M0`` (the
            subgroup's share of the age group's M0) per group; for ``by == "all"``
            also ``k``, ``n_dimensions``, ``n_children`` (unweighted count of the
            children measured) and the number of children with a missing indicator
            value (``missing_drop`` or ``missing_not_deprived``, after the policy).
        ``dimensions``
            ``uncensored_headcount``, ``censored_headcount`` and ``contribution`` per
            dimension (contributions are NaN when M0 is 0).
        ``distribution``
            ``deprivation_count_share`` (deprived in exactly j dimensions) and
            ``deprived_in_at_least`` (in j or more); ``dimension`` holds j.
        ``indicators``
            ``indicator_headcount`` per indicator (``by == "all"``).
        ``income``
            ``deprived_and_poor``, ``deprived_only``, ``poor_only``, ``neither``,
            ``income_poor`` (empty when no ``income_poverty`` column is configured).
            Children with a missing income status are left out under
            ``missing = "drop"`` and counted as not income poor otherwise.
        ``overlaps``
            ``overlap_2`` / ``overlap_3``: share deprived in all dimensions of each pair
            and triple (``dimension`` holds ``"a & b"``).
        ``patterns``
            ``pattern_share`` per observed dimension pattern (``dimension`` holds the
            deprived dimensions joined by ``"+"``, or ``"none"``), largest first.

    Raises
    ------
    ValueError
        A missing column, a non-0/1 value in an indicator column without a rule, bad
        sample weights or a subgroup column with missing labels.

    References
    ----------
    de Neubourg et al. (2012), MODA Step-by-Step Guidelines, UNICEF Office of Research
    WP-2012-10. Alkire and Foster (2011), doi:10.1016/j.jpubeco.2010.11.006.
    """
    tables, _notes = compute_moda_tables(child_frame, config, groups, sample_weights)
    return tables



def _indicator_values(frame: Any, inds: Sequence[IndicatorSpec]) -> tuple[dict[str, int], np.ndarray]:
    """The columns the indicators read, as a ``(columns, children)`` float array (NaN
    missing); each must be numeric."""
    index: dict[str, int] = {}
    for ind in inds:
        index.setdefault(ind.column, len(index))
    values: np.ndarray | None = None
    for column, c in index.items():
        users = [ind for ind in inds if ind.column == column]
        purpose = f"indicator {users[0].name!r}"
        x = np.asarray(_get_column(frame, column, purpose))
        if x.ndim != 1:
            raise ValueError(f"column {column!r} ({purpose}) must be 1-D; got shape {x.shape}")
        if x.dtype.kind not in "biuf":
            try:
                x = x.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"column {column!r} ({purpose}) must be numeric; got dtype {x.dtype}") from None
        if values is None:
            values = np.empty((len(index), x.size))
        values[c] = x
    return index, values if values is not None else np.empty((0, 0))


def compute_moda_tables(
    child_frame: Any,
    config: MODAConfig,
    groups: Sequence[str] | None = None,
    sample_weights: ArrayLike | None = None,
    as_arrays: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """:func:`moda_tables` plus human-readable notes (missing values, empty age groups).

    With ``as_arrays=True`` each table is a dict of column arrays (or ``None`` when empty)
    instead of a DataFrame -- cheaper when many years are collected and concatenated.
    """
    if not isinstance(config, MODAConfig):
        raise TypeError(
            f"config must be a MODAConfig (use load_moda_config(path)); got {type(config).__name__}"
        )
    age = _numeric_column(child_frame, "age", "assigning children to age groups")
    if age.ndim != 1:
        raise ValueError(f"column 'age' must be 1-D; got shape {age.shape}")
    n_total = age.size
    sw = _as_sample_weights(sample_weights, n_total)
    policy = config.moda.missing
    group_cols = list(config.moda.groups if groups is None else groups)
    group_codes: dict[str, tuple[NDArray[np.intp], list[str]]] = {}
    if "all" in group_cols or len(set(group_cols)) != len(group_cols):
        raise ValueError(f"subgroup columns must be unique and not 'all'; got {group_cols}")
    for col in group_cols:
        codes, labels = _factorize(
            _get_column(child_frame, col, "subgroup decomposition"), f"column {col!r}"
        )
        if codes.shape != (n_total,):
            raise ValueError(f"column {col!r} must have one value per child ({n_total})")
        group_codes[col] = (codes, [str(lab) for lab in labels])

    income_state: NDArray[np.intp] | None = None
    n_income_missing = 0
    if config.moda.income_poverty is not None:
        inc_name = config.moda.income_poverty
        inc = _numeric_column(child_frame, inc_name, "the income-poverty overlap")
        inc_missing = np.isnan(inc)
        ok = (inc == 0) | (inc == 1) | inc_missing
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ValueError(
                f"column {inc_name!r}: value {inc[i].item()!r} at index {i}; expected 0 or 1"
            )
        income_state = (inc == 1).astype(np.intp)
        if inc_missing.any():
            n_income_missing = int(np.count_nonzero(inc_missing))
            income_state[inc_missing] = 2 if policy == "drop" else 0
    n_states = 1 if income_state is None else 3

    rows = {name: Rows() for name in TABLE_NAMES}
    notes: list[str] = []
    q = np.full(n_total, -1, dtype=np.int64)
    for i, ag in enumerate(config.age_groups):
        q[ag.contains(age)] = i  # age groups do not overlap (checked by the configuration)
    present = [ag.name for i, ag in enumerate(config.age_groups) if (q == i).any()]
    inds = [ind for name in present for ind in config.indicators_for(name)]
    index, values = _indicator_values(child_frame, list({ind.name: ind for ind in inds}.values()))
    plan = rule_plan(config, index, present)
    sc = score_rows(values if index else np.zeros((0, n_total)), age, q, plan, drop=policy == "drop")
    pos = {ind.name: j for j, ind in enumerate(plan.indicators)}
    for j in np.flatnonzero(sc.first_bad >= 0)[:1]:
        ind, i = plan.indicators[j], int(sc.first_bad[j])
        raise ValueError(f"column {ind.column!r} (indicator {ind.name!r}): value "
                         f"{np.asarray(child_frame[ind.column])[i].item()!r} at index {i}; expected 0 or 1 (or NaN "
                         "for missing) because the indicator has no rule")

    for qi, ag in enumerate(config.age_groups):
        in_ag = q == qi
        n_in = int(np.count_nonzero(in_ag))
        if n_in == 0:
            notes.append(f"age group {ag.name}: no children in the frame; no tables")
            continue
        dims = config.dimensions_for(ag.name)
        w = config.weights_for(ag.name)
        k = config.k_for(ag.name)
        d = len(dims)
        if d > _MAX_PATTERN_BITS:
            raise ValueError(f"at most {_MAX_PATTERN_BITS} dimensions per age group; got {d}")
        ag_inds = config.indicators_for(ag.name)
        for ind in ag_inds:
            n_miss = int(sc.missing[qi, pos[ind.name]])
            if n_miss:
                notes.append(
                    f"age group {ag.name}: {n_miss} missing value(s) in column "
                    f"{ind.column!r} (indicator {ind.name!r}); policy {policy!r}"
                )
        n_affected = int(sc.affected[qi])
        used = sc.used & in_ag
        n_used = n_in - n_affected if policy == "drop" else n_in
        if n_affected:
            what = "dropped" if policy == "drop" else "counted as not deprived where missing"
            notes.append(
                f"age group {ag.name}: {n_affected} of {n_in} children with missing "
                f"indicator values {what} (missing = {policy!r})"
            )
        if n_used == 0:
            notes.append(f"age group {ag.name}: no children left after missing values; no tables")
            continue

        # pattern code per child over this age group's dimensions (0 for the children not used)
        code = sc.codes
        if d <= _DIRECT_PATTERN_BITS:
            pattern_codes = np.arange(1 << d, dtype=np.int64)
        else:
            pattern_codes, inverse = np.unique(code[used], return_inverse=True)
            code = np.zeros(n_total, dtype=np.int64)
            code[used] = inverse
        size = len(pattern_codes)
        bits = _pattern_bits(pattern_codes, d)
        base = code if income_state is None else income_state * size + code
        cell = n_states * size

        partitions = {"all": (None, ["all"])} | group_codes
        total: _Measures | None = None
        for by, (gcodes, labels) in partitions.items():
            n_groups = len(labels)
            index_g = base if gcodes is None else gcodes * cell + base
            t = _grouped_table(index_g, n_groups * cell, sw, keep=used)
            t = t.reshape(n_groups, n_states, size)
            total = add_partition_rows(rows, ag.name, by, labels, t, dims, pattern_codes, bits,
                                       w, k, income_state is not None, total,
                                       (policy, n_used, n_affected))

        if total is None or not total.n[0] > 0:
            notes.append(f"age group {ag.name}: the sample weights sum to zero; no tables")
            continue
        # indicator headcounts among the children used
        if sw is None:
            ind_vals = [sc.deprived[qi, pos[ind.name]] for ind in ag_inds]
        else:
            ind_vals = [float(sw[((sc.dbits >> pos[ind.name]) & 1).astype(bool) & used].sum()) for ind in ag_inds]
        add_indicator_rows(rows, ag.name, ag_inds, ind_vals, total.n[:1])

    n_out = int(np.count_nonzero(q < 0))
    if n_out:
        spans = ", ".join(f"{ag.name!r}: ages {ag.min_age}-{ag.max_age}"
                          for ag in config.age_groups)
        notes.append(
            f"{n_out} of {n_total} children are outside every age group ({spans}) "
            "and were left out"
        )
    if n_income_missing:
        notes.append(
            f"{n_income_missing} missing value(s) in income column "
            f"{config.moda.income_poverty!r}; "
            + ("left out of the income overlap" if policy == "drop"
               else "counted as not income poor")
        )
    if as_arrays:
        return {name: r.arrays() for name, r in rows.items()}, notes
    return {name: r.frame() for name, r in rows.items()}, notes


def add_partition_rows(
    rows: dict[str, Rows],
    age_group: str,
    by: str,
    labels: list[str],
    t: NDArray[np.float64],
    dims: list[str],
    pattern_codes: NDArray[np.int64],
    bits: NDArray[np.bool_],
    w: NDArray[np.float64],
    k: float,
    has_income: bool,
    total: _Measures | None,
    counts: tuple[str, int, int],
) -> _Measures | None:
    """Summary, dimension, distribution, income and (for ``by == "all"``) overlap rows of
    one partition of an age group, from its ``(groups, income states, patterns)`` table
    ``t``.  Returns the measures of the whole age group (``total``, set by "all").

    Shared by :func:`compute_moda_tables` and the compiled path of the model
    (:mod:`povsim.moda.model`), so that both give the same rows from the same table.
    """
    d = len(dims)
    t_pat = t.sum(axis=1)
    m = measures_from_table(t_pat, bits, w, k)
    if by == "all":
        total = m
    present = m.n > 0
    if not present.any():
        return total
    glabels = [lab for lab, p in zip(labels, present, strict=True) if p]
    n = m.n[present]
    tot_n = total.n[0]
    tot_m0 = total.M0[0]
    share = n / tot_n
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = share * m.M0[present] / tot_m0 if tot_m0 > 0 else np.full(n.size, np.nan)
    rows["summary"].add(
        age_group, by, glabels, n,
        ["H", "A", "M0", "population_share", "contribution_to_M0"],
        [""] * 5,
        np.column_stack([m.H[present], m.A[present], m.M0[present], share, contrib]),
    )
    measures = (["uncensored_headcount"] * d + ["censored_headcount"] * d
                + ["contribution"] * d)
    rows["dimensions"].add(
        age_group, by, glabels, n, measures, dims * 3,
        np.hstack([m.uncensored[present], m.censored[present],
                   m.contributions[present]]),
    )
    dist = m.distribution[present]
    at_least = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]
    count_labels = [str(j) for j in range(d + 1)]
    rows["distribution"].add(
        age_group, by, glabels, n,
        ["deprivation_count_share"] * (d + 1) + ["deprived_in_at_least"] * (d + 1),
        count_labels * 2, np.hstack([dist, at_least]),
    )
    if has_income:
        poor = m.poor_pattern
        known = t[present][:, :2, :]
        dp = known[:, 1, poor].sum(axis=1)
        donly = known[:, 0, poor].sum(axis=1)
        ponly = known[:, 1, ~poor].sum(axis=1)
        neither = known[:, 0, ~poor].sum(axis=1)
        n_known = dp + donly + ponly + neither
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.column_stack([dp, donly, ponly, neither, dp + ponly]) / n_known[
                :, None
            ]
        keep = n_known > 0
        rows["income"].add(
            age_group, by, [g for g, kp in zip(glabels, keep, strict=True) if kp],
            n_known[keep],
            ["deprived_and_poor", "deprived_only", "poor_only", "neither",
             "income_poor"],
            [""] * 5, vals[keep],
        )
    if by == "all":
        policy, n_used, n_affected = counts
        extra = {
            "k": k,
            "n_dimensions": float(d),
            "n_children": float(n_used),
            f"missing_{policy}": float(n_affected),
        }
        rows["summary"].add(
            age_group, "all", ["all"], n, list(extra), [""] * len(extra),
            np.array([list(extra.values())]),
        )
        _add_overlap_rows(rows, age_group, dims, pattern_codes, t_pat[0], n[0])
    return total


def add_indicator_rows(
    rows: dict[str, Rows],
    age_group: str,
    inds: Sequence[IndicatorSpec],
    ind_vals: Sequence[float],
    n_all: NDArray[np.float64],
) -> None:
    """Indicator headcounts (among the children used) of an age group."""
    rows["indicators"].add(
        age_group, "all", ["all"], n_all,
        ["indicator_headcount"] * len(inds), [ind.dimension for ind in inds],
        np.array([ind_vals], dtype=np.float64) / n_all[0],
        indicators=[ind.name for ind in inds],
    )


def _add_overlap_rows(
    rows: dict[str, Rows],
    age_group: str,
    dims: list[str],
    pattern_codes: NDArray[np.int64],
    pattern_weight: NDArray[np.float64],
    n: float,
) -> None:
    """Pair/triple overlaps and pattern shares for the whole age group."""
    d = len(dims)
    combos = [c for r in (2, 3) if r <= d for c in itertools.combinations(range(d), r)]
    if combos:
        masks = np.array([sum(1 << j for j in c) for c in combos], dtype=np.int64)
        contains = (pattern_codes[None, :] & masks[:, None]) == masks[:, None]
        w_all = contains.astype(np.float64) @ pattern_weight
        rows["overlaps"].add(
            age_group, "all", ["all"], np.array([n]),
            [f"overlap_{len(c)}" for c in combos],
            [" & ".join(dims[j] for j in c) for c in combos],
            (w_all / n)[None, :],
        )
    seen = pattern_weight > 0
    codes = pattern_codes[seen]
    share = pattern_weight[seen] / n
    order = np.lexsort((codes, -share))
    if d <= _DIRECT_PATTERN_BITS:
        names = _pattern_names(tuple(dims))
        labels = [names[c] for c in codes[order].tolist()]
    else:
        labels = ["+".join(dims[j] for j in np.flatnonzero(b)) or "none"
                  for b in _pattern_bits(codes[order], d)]
    rows["patterns"].add(
        age_group, "all", ["all"], np.array([n]), ["pattern_share"] * len(labels), labels,
        share[order][None, :],
    )
