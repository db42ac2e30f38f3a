"""The per-child MODA score: the one place where a configuration's rules decide which
indicators, and so which dimensions, a child is deprived in.

A configuration compiles to a :class:`RulePlan` (each rule as the interval of deprived
values, :func:`povsim.moda.config.rule_interval`; each indicator's age window; the
dimension bit each indicator sets in each age group).  :func:`indicator_bits` applies it to
one child's values (:func:`value_problems` names its missing and invalid values) and
:func:`pattern_code` applies the union rule within dimensions.
Every path goes through these two compiled functions: the tables of a frame of children
(:func:`score_rows`, used for surveys, for the model's general path and for targeting by
deprivation) and the model's single pass over persons (:func:`model_scores`).  Whether a
score makes a child poor is :func:`povsim.moda.measures.is_poor`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.moda.config import IndicatorSpec, MODAConfig, rule_interval
from povsim.processes.schooling import years_behind

__all__ = ["RulePlan", "Scores", "indicator_bits", "model_counts", "model_scores", "pattern_code", "rule_plan",
           "score_rows", "value_problems"]


@dataclass(frozen=True, eq=False)
class RulePlan:
    """A configuration's indicators as arrays for the compiled scorer.

    Attributes
    ----------
    indicators
        The indicators that apply to at least one age group, in configuration order
        (indicator ``j`` is bit ``j``).
    col
        Index of each indicator's column in a child's vector of values.
    vlo, vhi, neg
        Deprived when ``vlo <= value <= vhi`` (``neg``: outside it).
    is01
        The indicator has no rule: its column must hold 0 or 1.
    age_lo, age_hi
        The indicator applies at ``age_lo <= age < age_hi``.
    ag_has, ag_bit
        Shape ``(age groups, indicators)``: 1 when the indicator counts in the age group,
        and the bit of its dimension among the age group's dimensions.
    """

    indicators: tuple[IndicatorSpec, ...]
    col: np.ndarray
    vlo: np.ndarray
    vhi: np.ndarray
    neg: np.ndarray
    is01: np.ndarray
    age_lo: np.ndarray
    age_hi: np.ndarray
    ag_has: np.ndarray
    ag_bit: np.ndarray



def rule_plan(config: MODAConfig, column_index: Mapping[str, int], age_groups: Sequence[str] | None = None,
              indicators: Sequence[IndicatorSpec] | None = None) -> RulePlan:
    """Compile ``config`` for children whose values are ordered as ``column_index`` says;
    only the indicators of ``age_groups`` (default: all) are compiled.

    ``indicators`` (default: the configuration's own that apply) are the indicators
    scored, in bit order: those of another configuration of which ``config`` is a view
    (:mod:`povsim.moda.views`), so that one scoring serves both.  Indicators ``config``
    does not have count in none of its age groups.
    """
    ags = config.age_groups
    wanted = [ag.name for ag in ags] if age_groups is None else list(age_groups)
    own = {ind.name: ind for ind in config.indicators}
    inds = tuple(ind for ind in config.indicators
                 if any(ind.age_groups is None or name in ind.age_groups for name in wanted)
                 ) if indicators is None else tuple(indicators)
    rules = [rule_interval(ind.rule) for ind in inds]
    ag_has = np.zeros((len(ags), len(inds)), dtype=np.int64)
    ag_bit = np.zeros((len(ags), len(inds)), dtype=np.int64)
    for q, ag in enumerate(ags):
        dims = config.dimensions_for(ag.name)
        for j, ind in enumerate(inds):
            mine = own.get(ind.name)
            if mine is not None and (mine.age_groups is None or ag.name in mine.age_groups):
                ag_has[q, j], ag_bit[q, j] = 1, dims.index(mine.dimension)
    return RulePlan(
        indicators=inds, col=np.array([column_index[ind.column] for ind in inds], dtype=np.int64),
        vlo=np.array([r[0] for r in rules]), vhi=np.array([r[1] for r in rules]),
        neg=np.array([r[2] for r in rules], dtype=np.bool_),
        is01=np.array([ind.rule is None for ind in inds], dtype=np.bool_),
        age_lo=np.array([-np.inf if ind.min_age is None else ind.min_age for ind in inds], dtype=np.float64),
        age_hi=np.array([np.inf if ind.max_age is None else ind.max_age + 1 for ind in inds], dtype=np.float64),
        ag_has=ag_has, ag_bit=ag_bit)


@njit(cache=True, inline="always")
def indicator_bits(vals, age, col, vlo, vhi, neg, is01, age_lo, age_hi):
    """One child: bit ``j`` set when deprived in indicator ``j`` (its rule holds, its age
    window applies, its value is not missing); and whether any value is missing or, in a
    column without a rule, other than 0 and 1 (then :func:`value_problems` says which).

    Branch-free: the outcomes are random, and mispredicted branches would dominate.
    """
    dbits = 0
    trouble = False
    for j in range(col.shape[0]):
        x = vals[col[j]]
        d = ((x >= vlo[j]) & (x <= vhi[j])) ^ neg[j]
        d = d & (age >= age_lo[j]) & (age < age_hi[j]) & (x == x)
        dbits |= np.int64(d) << j
        trouble |= (x != x) | (is01[j] & (x != 0.0) & (x != 1.0))
    return dbits, trouble


@njit(cache=True, inline="always")
def value_problems(vals, age, col, is01, age_lo, age_hi):
    """Bits of the indicators whose value is missing where they apply, and of those whose
    column (without a rule) holds a value other than 0 and 1."""
    miss = 0
    bad = 0
    for j in range(col.shape[0]):
        x = vals[col[j]]
        miss |= np.int64((x != x) & (age >= age_lo[j]) & (age < age_hi[j])) << j
        bad |= np.int64(is01[j] & (x == x) & (x != 0.0) & (x != 1.0)) << j
    return miss, bad


@njit(cache=True, inline="always")
def pattern_code(dbits, q, ag_has, ag_bit, counts):
    """The union rule: the bits of the dimensions of age group ``q`` the child is deprived
    in; ``counts[j]`` is incremented for each indicator ``j`` of ``q`` it is deprived in."""
    code = 0
    for j in range(ag_has.shape[1]):
        bj = (dbits >> j) & ag_has[q, j]
        code |= bj << ag_bit[q, j]
        counts[j] += bj
    return code


@njit(cache=True, nogil=True)
def _score_rows(values, age, q, drop, col, vlo, vhi, neg, is01, age_lo, age_hi, ag_has, ag_bit):
    n = age.shape[0]
    n_ag, n_ind = ag_has.shape
    ag_mask = np.zeros(n_ag, dtype=np.int64)
    for g in range(n_ag):
        for j in range(n_ind):
            ag_mask[g] |= ag_has[g, j] << j
    codes = np.zeros(n, dtype=np.int64)
    dbits = np.zeros(n, dtype=np.int64)
    used = np.zeros(n, dtype=np.bool_)
    missing = np.zeros((n_ag, n_ind), dtype=np.int64)
    affected = np.zeros(n_ag, dtype=np.int64)
    deprived = np.zeros((n_ag, n_ind), dtype=np.int64)
    first_bad = np.full(n_ind, -1, dtype=np.int64)
    for i in range(n):
        d, trouble = indicator_bits(values[:, i], age[i], col, vlo, vhi, neg, is01, age_lo, age_hi)
        dbits[i] = d
        m = 0
        b = 0
        if trouble:
            m, b = value_problems(values[:, i], age[i], col, is01, age_lo, age_hi)
        if b != 0:
            for j in range(n_ind):
                if (b >> j) & 1 and first_bad[j] < 0:
                    first_bad[j] = i
        g = q[i]
        if g < 0:
            continue
        m &= ag_mask[g]
        hit = m != 0
        affected[g] += hit
        if hit:
            for j in range(n_ind):
                missing[g, j] += (m >> j) & 1
        if hit and drop:
            continue
        used[i] = True
        codes[i] = pattern_code(d, g, ag_has, ag_bit, deprived[g])
    return codes, dbits, used, missing, affected, deprived, first_bad


class Scores(NamedTuple):
    """Scores of a frame of children (see :func:`score_rows`)."""

    codes: np.ndarray  #: dimension pattern code in the child's age group (0 when not used)
    dbits: np.ndarray  #: bit j: deprived in indicator j
    used: np.ndarray  #: in an age group and not dropped for a missing value
    missing: np.ndarray  #: (age groups, indicators): children with a missing value
    affected: np.ndarray  #: (age groups,): children with any missing value
    deprived: np.ndarray  #: (age groups, indicators): used children deprived, unweighted
    first_bad: np.ndarray  #: (indicators,): first child with a value other than 0/1 (-1: none)


def score_rows(values: np.ndarray, age: np.ndarray, q: np.ndarray, plan: RulePlan, drop: bool = True) -> Scores:
    """Score a frame of children.

    Parameters
    ----------
    values
        Shape ``(columns, children)``: the columns the plan refers to, as floats (NaN missing).
    age
        Age of each child.
    q
        Age group of each child (``-1``: none).
    plan
        From :func:`rule_plan`.
    drop
        The ``missing = "drop"`` policy: a child with a missing value in an indicator of
        its age group is not used (else the value counts as not deprived).
    """
    return Scores(*_score_rows(np.asarray(values, dtype=np.float64), np.asarray(age, dtype=np.float64),
                               np.asarray(q, dtype=np.int64), drop, plan.col, plan.vlo, plan.vhi, plan.neg,
                               plan.is01, plan.age_lo, plan.age_hi, plan.ag_has, plan.ag_bit))


@njit(cache=True, inline="always")
def _b(x):
    return 1.0 if x else 0.0


#: Children per block of the scoring pass (each block on one thread, with its own scratch).
_BLOCK = 4096


@threaded(cache=True, nogil=True)
def _model_scores(kids, age, hh, pc, hc, hvillage, vcounty, vpilot, col, vlo, vhi, neg, is01, age_lo,
                  age_hi, inc_col, n_states, grp_col, grp_k):
    """Per child (in ``kids`` order): indicator bits, problem status (0 none; else as
    :func:`model_counts`), income state and subgroup codes.  Children are scored
    independently, in blocks split among the threads."""
    n = kids.shape[0]
    n_g = grp_col.shape[0]
    dbits = np.empty(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    state = np.zeros(n, dtype=np.int8)
    raw = np.zeros((n, max(n_g, 1)), dtype=np.int64)
    for block in prange((n + _BLOCK - 1) // _BLOCK):
        vals = np.empty(24)
        for t in range(block * _BLOCK, min(n, (block + 1) * _BLOCK)):
            i = kids[t]
            a = age[i]
            h = hh[i]
            v = hvillage[h]
            # the child-frame columns of this child, in the order of moda.model.CHILD_COLUMNS
            # (the values child_frame() gives); written out rather than in a helper, because
            # a call with array arguments costs reference counting per child
            vals[0] = float(a)
            vals[1] = float(pc[0][i])  # sex
            vals[2] = _b(pc[1][i])  # stunted
            vals[3] = _b(pc[2][i])  # anaemic
            vals[4] = _b(pc[3][i])  # health_shock
            vals[5] = _b(pc[4][i])  # disabled
            vals[6] = _b(pc[5][i])  # checkup
            vals[7] = _b(hc[0][h])  # insured
            vals[8] = float(pc[10][i])  # stimulation
            vals[9] = _b(pc[6][i])  # preschool
            vals[10] = _b(pc[7][i])  # enrolled
            vals[11] = float(years_behind(a, pc[8][i], pc[7][i]))  # overage (from the grade)
            vals[12] = _b(hc[1][h])  # info_access
            vals[13] = _b(hc[2][h])  # safe_water
            vals[14] = _b(hc[3][h])  # sanitation
            vals[15] = _b(hc[4][h])  # housing_poor
            vals[16] = _b(hc[5][h])  # dibao
            vals[17] = _b(hc[6][h])  # income_poor
            vals[18] = _b(hc[7][h])  # dibao_gap
            vals[19] = _b(pc[11][i])  # left_behind
            vals[20] = _b(pc[12][i])  # unsupervised
            vals[21] = float(vcounty[v])
            vals[22] = _b(vpilot[v])  # arm
            vals[23] = float(pc[9][i])  # generation
            d, trouble = indicator_bits(vals, a, col, vlo, vhi, neg, is01, age_lo, age_hi)
            dbits[t] = d
            st = 1 if trouble else 0
            if n_states == 3:
                x = vals[inc_col]
                if x != x:
                    st = 1
                if x != 0.0 and x != 1.0:
                    st = 2
                state[t] = 1 if x == 1.0 else 0
            for g in range(n_g):
                x = vals[grp_col[g]]
                r = int(x)
                if r < 0 or r >= grp_k[g] or r != x:
                    st = 3
                    break
                raw[t, g] = r
            status[t] = st
    return dbits, status, state, raw


@njit(cache=True, nogil=True)
def _model_counts(kids, age, dbits, status, state, raw, ag_of_age, ag_has, ag_bit, ag_size, ag_off,
                  n_states, grp_k, grp_kmax):
    """The counts of :func:`model_counts` from the children's scores, in ``kids`` order
    (integer counts: the same whatever the threads scored)."""
    n_ag = ag_size.shape[0]
    n_ind = ag_has.shape[1]
    n_g = grp_k.shape[0]
    out = np.zeros(ag_off[n_ag], dtype=np.int64)  # integer adds: short dependency chains
    ind_count = np.zeros((n_ag, n_ind), dtype=np.int64)
    present = np.zeros((n_g, grp_kmax), dtype=np.bool_)
    n_in = np.zeros(n_ag, dtype=np.int64)
    for t in range(kids.shape[0]):
        if status[t] != 0:
            return np.int64(status[t]), out.astype(np.float64), ind_count, present, n_in
        for g in range(n_g):
            present[g, raw[t, g]] = True
        q = ag_of_age[age[kids[t]]]  # age groups do not overlap (checked by the configuration)
        if q < 0:
            continue
        n_in[q] += 1
        base = state[t] * ag_size[q] + pattern_code(dbits[t], q, ag_has, ag_bit, ind_count[q])
        cell = n_states * ag_size[q]
        off = ag_off[q]
        out[off + base] += 1
        off += cell
        for g in range(n_g):
            out[off + raw[t, g] * cell + base] += 1
            off += grp_k[g] * cell
    return np.int64(0), out.astype(np.float64), ind_count, present, n_in


def model_scores(kids: np.ndarray, age: np.ndarray, hh: np.ndarray, pc: tuple, hc: tuple,
                 hvillage: np.ndarray, vcounty: np.ndarray, vpilot: np.ndarray, plan: RulePlan,
                 inc_col: int, n_states: int, grp_col: np.ndarray,
                 grp_k: Sequence[int] | np.ndarray) -> tuple:
    """The model's children ``kids`` (person rows; see :mod:`povsim.moda.model`) scored in
    one pass over persons: ``(indicator bits, status, income state, subgroup codes)``, in
    ``kids`` order, for :func:`model_counts`."""
    return _model_scores(kids, age, hh, pc, hc, hvillage, vcounty, vpilot, plan.col, plan.vlo,
                         plan.vhi, plan.neg, plan.is01, plan.age_lo, plan.age_hi, inc_col, n_states,
                         grp_col, np.asarray(grp_k, dtype=np.int64))


def model_counts(kids: np.ndarray, age: np.ndarray, scores: tuple, plan: RulePlan,
                 ag_of_age: np.ndarray, ag_size: np.ndarray, ag_off: np.ndarray, n_states: int,
                 grp_k: Sequence[int] | np.ndarray) -> tuple:
    """Counts of children by (partition group, income state, deprivation pattern) for each
    age group, from their :func:`model_scores`.  ``plan`` may be another configuration's
    than the one scored, over the same indicators (:func:`rule_plan`'s ``indicators``), and
    ``grp_k`` the first of the scored subgroups.

    Returns ``(status, counts, indicator counts, present, n_in)``; ``status`` is 0, or 1
    for a missing (NaN) value or a non-0/1 value in a column without a rule, 2 for such an
    income-poverty value and 3 for a subgroup value out of range (the caller then takes the
    general path, which reports).
    """
    grp_k = np.asarray(grp_k, dtype=np.int64)
    dbits, status, state, raw = scores
    return _model_counts(kids, age, dbits, status, state, raw, ag_of_age, plan.ag_has, plan.ag_bit,
                         ag_size, ag_off, n_states, grp_k, int(max(grp_k, default=1)))
