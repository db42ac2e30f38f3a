"""Compiled kernels (Numba) for the hot loops of a simulated year.

Each kernel is a single pass over numpy columns; together they replace chains of
temporary-array numpy expressions.  Random draws use the same SplitMix64 counter scheme as
:mod:`povsim.rng` (bit-identical uniforms), and normals use Wichura's AS 241 inverse
normal CDF (relative error about 1e-16).

References
----------
Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable pseudorandom number
generators. OOPSLA '14. doi:10.1145/2660193.2660195
Wichura, M. J. (1988). Algorithm AS 241: the percentage points of the normal
distribution. Applied Statistics 37(3):477-484. doi:10.2307/2347330
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S12 = np.uint64(12)
_TWO52 = 2.0**-52


@njit(cache=True, inline="always")
def _mix(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _bits(key, pid):
    return _mix(np.uint64(pid) * _GOLDEN + key)


@njit(cache=True, inline="always")
def _uniform(key, pid):
    return (float(_bits(key, pid) >> _S12) + 0.5) * _TWO52


@njit(cache=True)
def bits(key, ids):
    """64 random bits per id."""
    out = np.empty(ids.shape[0], dtype=np.uint64)
    for i in range(ids.shape[0]):
        out[i] = _bits(key, ids[i])
    return out


@njit(cache=True)
def uniform(key, ids):
    """Uniform draws on (0, 1) per id (identical to the numpy reference in rng.py)."""
    out = np.empty(ids.shape[0], dtype=np.float64)
    for i in range(ids.shape[0]):
        out[i] = _uniform(key, ids[i])
    return out


@njit(cache=True, inline="always")
def ppnd16(p):
    """Inverse standard normal CDF, Wichura (1988) AS 241 (PPND16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                         + 67265.770927008700853) * r + 45921.953931549871457) * r
                       + 13731.693765509461125) * r + 1971.5909503065514427) * r
                     + 133.14166789178437745) * r + 3.387132872796366608) / (
            ((((((r * 5226.495278852545925 + 28729.085735721942674) * r
                 + 39307.89580009271061) * r + 21213.794301586595867) * r
               + 5394.1960214247511077) * r + 687.1870074920579083) * r
             + 42.313330701600911252) * r + 1.0)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734) / (
            ((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                 + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
               + 0.68976733498510000455) * r + 1.6763848301838038494) * r
             + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772) / (
            ((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                 + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
               + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
             + 0.59983220655588793769) * r + 1.0)
    return -val if q < 0.0 else val


@njit(cache=True)
def normal(key, ids):
    """Standard normal draws per id (inverse CDF of the uniform draws; see
    :func:`normals_at`)."""
    return normals_at(key, ids, np.arange(ids.shape[0]))


@njit(cache=True)
def less(key, ids, p):
    """Events ``u < p`` with per-id uniforms and per-id probabilities."""
    out = np.empty(ids.shape[0], dtype=np.bool_)
    for i in range(ids.shape[0]):
        out[i] = _uniform(key, ids[i]) < p[i]
    return out


@njit(cache=True)
def compact_inplace(col, keep):
    """Move the kept elements of ``col`` to its front, in order; return their number."""
    j = 0
    for i in range(keep.shape[0]):
        if keep[i]:
            col[j] = col[i]
            j += 1
    return j


@njit(cache=True, inline="always")
def _death_q(sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock, rr_disabled):
    """One person's life-table death probability times health risk ratios, in [0, 1]."""
    a = min(int(age), table.shape[1] - 1)
    rr = 1.0
    if stunted and a < 5:
        rr *= rr_stunted
    if shock:
        rr *= rr_shock
    if disabled:
        rr *= rr_disabled
    v = table[sex, a] * rr
    if a >= 105:
        v = 1.0
    return min(max(v, 0.0), 1.0)


@njit(cache=True)
def death_probability(sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
                      rr_disabled):
    """Life-table death probability times health risk ratios, clipped to [0, 1]."""
    n = sex.shape[0]
    q = np.empty(n, dtype=np.float64)
    for i in range(n):
        q[i] = _death_q(sex[i], age[i], table, stunted[i], shock[i], disabled[i], rr_stunted, rr_shock,
                        rr_disabled)
    return q


@njit(cache=True)
def remap(pointers, mapping):
    """Row pointers through an old->new map; -1 stays -1 (a new array)."""
    out = np.empty_like(pointers)
    for i in range(pointers.shape[0]):
        p = pointers[i]
        out[i] = -1 if p < 0 else mapping[p]
    return out


@njit(cache=True, error_model="numpy")
def normals_at(key, ids, rows):
    """Standard normal draws (AS 241, exactly :func:`normal`'s values) for ``ids[rows]``.

    The central region of AS 241 (85% of draws) is a rational function evaluated in a
    separate loop without branches, which the compiler vectorises; the tails follow in a
    second pass.  ``error_model="numpy"`` drops the division-by-zero checks (the
    denominators are never zero), which would otherwise block vectorisation.
    """
    k = rows.shape[0]
    u = np.empty(k, dtype=np.float64)
    for j in range(k):
        u[j] = _uniform(key, ids[rows[j]])
    z = np.empty(k, dtype=np.float64)
    for j in range(k):
        q = u[j] - 0.5
        r = 0.180625 - q * q
        z[j] = q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                         + 67265.770927008700853) * r + 45921.953931549871457) * r
                       + 13731.693765509461125) * r + 1971.5909503065514427) * r
                     + 133.14166789178437745) * r + 3.387132872796366608) / (
            ((((((r * 5226.495278852545925 + 28729.085735721942674) * r
                 + 39307.89580009271061) * r + 21213.794301586595867) * r
               + 5394.1960214247511077) * r + 687.1870074920579083) * r
             + 42.313330701600911252) * r + 1.0)
    tail = np.empty(k, dtype=np.int64)
    t = 0
    for j in range(k):
        tail[t] = j
        t += abs(u[j] - 0.5) > 0.425
    for m in range(t):
        j = tail[m]
        z[j] = ppnd16(u[j])
    return z


@njit(cache=True, error_model="numpy")
def earnings_pass(key_shock, ids, school, age, sex, skill, migrant, stunted_ever, disabled,
                  earn_z, hh, enrolled, done, young_mother, shock, insured, hh_z, hh_village,
                  village_z, coef, n_h, log_shift, has_shift):
    """Earnings of every person and their per-household sums, in one pass.

    ``coef`` = [r_school, r_upper, r_skill, exp_lin, exp_quad, female_gap, migrant_premium,
    stunting_penalty, disability_penalty, sd_person, sd_household, sd_village, sd_shock,
    log level + growth, remittance share, pension, medical cost, reimbursement share].

    ``log_shift`` is a per-person additive shift of log earnings (the named value
    ``earnings.log_shift``), read only when ``has_shift`` (adding zeros changes nothing).

    Returns ``(earnings, contributions, pensions, medical costs)``; earnings in float32
    (the person column's type), the last three household sums in float64
    (contributions: residents' earnings plus migrants' remittances).

    The workers are listed first (a branch-free pass) so that their earnings shocks can be
    drawn in one vectorised batch (:func:`normals_at`, the same values as per person).
    """
    n = ids.shape[0]
    work = np.empty(n, dtype=np.int64)
    other = np.empty(n, dtype=np.int64)  # persons aged 60+ or with a health shock
    k = 0
    m = 0
    for i in range(n):
        a = age[i]
        work[k] = i
        k += done[i] & (not enrolled[i]) & (a >= 16) & (a <= 69)
        other[m] = i
        m += (a >= 60) | shock[i]
    work = work[:k]
    z = normals_at(key_shock, ids, work)
    y = np.zeros(n, dtype=np.float32)
    # a non-worker would add 0.0 to its household's contributions: no-ops, skipped, so the
    # sums (over workers in row order) are the same
    contrib = np.zeros(n_h, dtype=np.float64)
    for j in range(k):
        i = work[j]
        a = float(age[i])
        h = hh[i]
        s = float(school[i])
        ex = max(a - max(s + 6.0, 16.0), 0.0)
        ln = (coef[0] * min(s, 9.0) + coef[1] * max(s - 9.0, 0.0) + coef[2] * skill[i]
              + coef[3] * ex - coef[4] * ex * ex)
        if sex[i] == 0:
            ln += coef[5]
        if migrant[i]:
            ln += coef[6]
        if stunted_ever[i]:
            ln += coef[7]
        if disabled[i]:
            ln += coef[8]
        ln += (coef[9] * earn_z[i] + coef[10] * hh_z[h] + coef[11] * village_z[hh_village[h]]
               + coef[12] * z[j])
        yi = math.exp(coef[13] + ln + log_shift[i] if has_shift else coef[13] + ln)
        # care of an infant halves a resident mother's earnings; older farmers work less
        if sex[i] == 0 and young_mother[i] and not migrant[i]:
            yi *= 0.5
        yi *= min(max(1.0 - 0.06 * (a - 60.0), 0.1), 1.0)
        y[i] = np.float32(yi)
        contrib[h] += coef[14] * yi if migrant[i] else yi
    # pensions and medical costs: the same amount for every such member of a household
    pens = np.zeros(n_h, dtype=np.float64)
    cost = np.zeros(n_h, dtype=np.float64)
    for j in range(m):
        i = other[j]
        h = hh[i]
        if age[i] >= 60:
            pens[h] += coef[15]
        if shock[i]:
            cost[h] += coef[16] * ((1.0 - coef[17]) if insured[h] else 1.0)
    return y, contrib, pens, cost


@njit(cache=True)
def lifetime_records(age, hh, poor_hh, log_income_hh, child_observed, child_poor, adult_sum,
                     adult_years):
    """Childhood income-poverty years (0-17) and adult log income (30-45), in place.

    Branch-free like :func:`household_counts` (adding zero leaves each value as it was).
    """
    zero = np.float32(0.0)
    for i in range(age.shape[0]):
        a = age[i]
        h = hh[i]
        kid = a < 18
        adult = (a >= 30) & (a <= 45)
        child_observed[i] += kid
        child_poor[i] += kid & poor_hh[h]
        adult_sum[i] += log_income_hh[h] if adult else zero
        adult_years[i] += adult


@njit(cache=True)
def remap_inplace(pointers, mapping):
    """Row pointers through an old->new map, in place; -1 stays -1."""
    for i in range(pointers.shape[0]):
        p = pointers[i]
        if p >= 0:
            pointers[i] = mapping[p]


#: Measures accumulated by :func:`child_measures`, in row order: (table, measure, kind);
#: kind "rate" = numerator / denominator, "mean" = mean of a value over the denominator.
CHILD_MEASURES = (
    ("stunting", "stunting_prevalence", "rate"),
    ("anaemia", "anaemia_prevalence_infant", "rate"),
    ("anaemia", "anaemia_prevalence_preschool", "rate"),
    ("anaemia", "anaemia_prevalence_school", "rate"),
    ("health", "health_shock_rate_children", "rate"),
    ("health", "disability_prevalence_children", "rate"),
    ("health", "checkup_rate_children", "rate"),
    ("health", "uninsured_share_children", "rate"),
    ("enrolment", "enrolment_rate_6_11", "rate"),
    ("enrolment", "enrolment_rate_12_14", "rate"),
    ("enrolment", "enrolment_rate_15_17", "rate"),
    ("enrolment", "enrolment_rate_18_22", "rate"),
    ("enrolment", "preschool_rate_3_5", "rate"),
    ("enrolment", "junior_high_dropout_rate", "rate"),
    ("enrolment", "overage_2plus_share", "rate"),
    ("left_behind", "left_behind_share", "rate"),
    ("left_behind", "both_parents_away_share", "rate"),
    ("left_behind", "unsupervised_share", "rate"),
    ("development", "mean_skill_0_5", "mean"),
    ("development", "low_skill_share_0_5", "rate"),
    ("development", "mean_skill_6_17", "mean"),
    ("development", "low_skill_share_6_17", "rate"),
    ("living_conditions", "no_safe_water_share", "rate"),
    ("living_conditions", "no_sanitation_share", "rate"),
    ("living_conditions", "no_info_access_share", "rate"),
    ("living_conditions", "poor_housing_share", "rate"),
)


@njit(cache=True)
def child_measures(cell, n_cells, age, stunted, anaemic, shock, disabled, checkup, enrolled,
                   preschool, grade, skill, hh, insured, water, sanitation, info, housing,
                   junior, junior_drop, left_behind, both_away, unsupervised):
    """Numerators and denominators of :data:`CHILD_MEASURES` by cell, in one pass."""
    m = len(CHILD_MEASURES)
    num = np.zeros((m, n_cells))
    den = np.zeros((m, n_cells))
    for i in range(age.shape[0]):
        a = age[i]
        c = cell[i]
        if 18 <= a <= 22:
            den[11, c] += 1.0
            num[11, c] += enrolled[i]
        if a >= 18:
            continue
        h = hh[i]
        if a <= 4:
            den[0, c] += 1.0
            num[0, c] += stunted[i]
        k = 1 if a <= 1 else (2 if a <= 5 else 3)
        den[k, c] += 1.0
        num[k, c] += anaemic[i]
        den[4, c] += 1.0
        num[4, c] += shock[i]
        den[5, c] += 1.0
        num[5, c] += disabled[i]
        den[6, c] += 1.0
        num[6, c] += checkup[i]
        den[7, c] += 1.0
        num[7, c] += not insured[h]
        if 6 <= a <= 11:
            den[8, c] += 1.0
            num[8, c] += enrolled[i]
        elif 12 <= a <= 14:
            den[9, c] += 1.0
            num[9, c] += enrolled[i]
        elif a >= 15:
            den[10, c] += 1.0
            num[10, c] += enrolled[i]
        if 3 <= a <= 5:
            den[12, c] += 1.0
            num[12, c] += preschool[i]
        if junior[i]:
            den[13, c] += 1.0
            num[13, c] += junior_drop[i]
        if enrolled[i]:
            den[14, c] += 1.0
            num[14, c] += (a - 6 - (grade[i] - 1)) >= 2
        for j, flag in ((15, left_behind[i]), (16, both_away[i]), (17, unsupervised[i])):
            den[j, c] += 1.0
            num[j, c] += flag
        s = skill[i]
        base = 18 if a <= 5 else 20
        den[base, c] += 1.0
        num[base, c] += s
        den[base + 1, c] += 1.0
        num[base + 1, c] += s < -1.0
        den[22, c] += 1.0
        num[22, c] += not water[h]
        den[23, c] += 1.0
        num[23, c] += not sanitation[h]
        den[24, c] += 1.0
        num[24, c] += not info[h]
        den[25, c] += 1.0
        num[25, c] += housing[h]
    return num, den


@njit(cache=True)
def household_counts(hh, age, away, n_h):
    """Per household: present adults (18-75, not ``away``), children (<18), present
    members (not ``away``) and all members.

    Branch-free: persons come in random order, so per-person branches are mispredicted
    and would cost more than adding zeros (integer counts, exact either way); the four
    counts of a household are side by side (one cache line per person).
    """
    acc = np.zeros((n_h, 4), dtype=np.int32)
    for i in range(hh.shape[0]):
        h = hh[i]
        a = age[i]
        pres = not away[i]
        acc[h, 0] += pres & (a >= 18) & (a <= 75)
        acc[h, 1] += a < 18
        acc[h, 2] += pres
        acc[h, 3] += 1
    return (np.ascontiguousarray(acc[:, 0]), np.ascontiguousarray(acc[:, 1]),
            np.ascontiguousarray(acc[:, 2]), np.ascontiguousarray(acc[:, 3]))


@njit(cache=True)
def family_flags(age, migrant, mother_row, father_row, hh, n_adults, parenting, grandparent):
    """Left-behind, both-parents-away, alone (no present adult), mothers of a child under 3,
    and the stimulation received (``parenting[hh] - grandparent`` when both are away)."""
    n = age.shape[0]
    lb = np.zeros(n, dtype=np.bool_)
    both = np.zeros(n, dtype=np.bool_)
    alone = np.zeros(n, dtype=np.bool_)
    young_mother = np.zeros(n, dtype=np.bool_)
    eff = np.empty(n, dtype=np.float64)
    for i in range(n):
        h = hh[i]
        eff[i] = parenting[h]
        if age[i] >= 18:
            continue
        m, f = mother_row[i], father_row[i]
        if age[i] < 3 and m >= 0:
            young_mother[m] = True
        m_away = m >= 0 and migrant[m]
        f_away = f >= 0 and migrant[f]
        if (m_away or f_away) and not migrant[i]:
            lb[i] = True
            if m_away and f_away:
                both[i] = True
                eff[i] = parenting[h] - grandparent
                if n_adults[h] < 1:
                    alone[i] = True
    return lb, both, alone, young_mother, eff


@njit(cache=True)
def caregiver_school(hh, age, migrant, school, n_h):
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


@njit(cache=True)
def stimulation_received(hh, parenting, both_away, grandparent):
    """Caregiver parenting practice of each person's household, lower by ``grandparent``
    when both parents are away."""
    out = np.empty(hh.shape[0])
    for i in range(hh.shape[0]):
        out[i] = parenting[hh[i]] - (grandparent if both_away[i] else 0.0)
    return out


@njit(cache=True)
def population_counts(cell, n_cells, age, generation, hh, n_h):
    """Persons by (cell, age group 0-5 / 6-17 / 18-64 / 65+), persons by generation and
    children (< 18) per household, in one branch-free pass (integer counts, so exact)."""
    by_age = np.zeros((n_cells, 4), dtype=np.int64)
    n_gen = 8
    for i in range(generation.shape[0]):
        n_gen = max(n_gen, int(generation[i]) + 1)
    gen = np.zeros(n_gen, dtype=np.int64)
    kids = np.zeros(n_h, dtype=np.float64)
    for i in range(age.shape[0]):
        a = age[i]
        g = np.int64(a >= 6) + np.int64(a >= 18) + np.int64(a >= 65)
        by_age[cell[i], g] += 1
        gen[generation[i]] += 1
        kids[hh[i]] += 1.0 if a < 18 else 0.0
    return by_age, gen, kids


@njit(cache=True)
def migration_pass(key, ids, age, school_done, migrant, partner_row, sex, young_mother, hh,
                   income_poor, n_h, ret_under45, ret_45, p_leave):
    """Returns and departures of the year, and the households they would leave stranded.

    ``p_leave[b, y, p]`` is the departure probability of a resident worker: ``b`` 0 man,
    1 woman whose partner is away, 2 other woman; ``y`` 1 for a woman with a child under
    3; ``p`` 1 for an income-poor household.  One uniform per worker or migrant from the
    ``migration`` stream decides both returns and departures.

    Returns ``(status, leaving, returns, adults, kids)``: the migrant status if every
    departure happened, who departs, the number of returns, and per household the present
    adults (18-75) under that status and the children (< 18).
    """
    n = ids.shape[0]
    status = np.empty(n, dtype=np.bool_)
    leaving = np.zeros(n, dtype=np.bool_)
    adults = np.zeros(n_h, dtype=np.int32)
    kids = np.zeros(n_h, dtype=np.int32)
    n_ret = 0
    for i in range(n):
        a = age[i]
        work = a >= 18 and a <= 55 and school_done[i]
        mig = migrant[i]
        st = mig
        h = hh[i]
        if work or mig:
            u = _uniform(key, ids[i])
            ret_p = ret_45 if a >= 45 else ret_under45
            returning = mig and (u < ret_p or not work)
            if returning:
                n_ret += 1
            lv = False
            if work and not mig:
                male = sex[i] == 1
                pr = partner_row[i]
                b = 0 if male else (1 if (pr >= 0 and migrant[pr]) else 2)
                y = 1 if (not male and young_mother[i]) else 0
                p = 1 if income_poor[h] else 0
                lv = u < p_leave[b, y, p]
            leaving[i] = lv
            st = (mig and not returning) or lv
        status[i] = st
        if a < 18:
            kids[h] += 1
        elif a <= 75 and not st:
            adults[h] += 1
    return status, leaving, n_ret, adults, kids


@njit(cache=True)
def finish_migration(status, leaving, hh, stranded, migrant, age, n_h):
    """Cancel the departures from ``stranded`` households and write the migrant status in
    place; returns the number of departures and, per household, the present adults
    (18-75), present members and all members under the final status (what
    :func:`household_counts` would count next, from the same pass)."""
    n_dep = 0
    acc = np.zeros((n_h, 3), dtype=np.int32)  # present adults, present, all: side by side
    for i in range(status.shape[0]):
        st = status[i]
        h = hh[i]
        if leaving[i]:  # few depart: predictable
            if stranded[h]:
                st = False  # a departing worker was not a migrant before
            else:
                n_dep += 1
        migrant[i] = st
        a = age[i]
        pres = not st
        acc[h, 0] += pres & (a >= 18) & (a <= 75)
        acc[h, 1] += pres
        acc[h, 2] += 1
    return (n_dep, np.ascontiguousarray(acc[:, 0]), np.ascontiguousarray(acc[:, 1]),
            np.ascontiguousarray(acc[:, 2]))


@njit(cache=True)
def nutrition_pass(k_anaemia, k_checkup, k_shock, k_disability, ids, age, hh, income_poor,
                   anaemic, checkup, health_shock, disabled, p_anaemia, p_checkup, p_shock,
                   p_disability):
    """Anaemia and check-ups (ages 0-17), health shocks and disability after a shock of the
    year, in place, from probability tables (see ``nutrition_health``).

    ``p_anaemia[c, poor, anaemic]`` with ``c`` 0 for ages 0-1, 1 for 2-5, 2 for 6-17;
    ``p_checkup[c]`` with ``c`` 0 for ages 0-5; ``p_shock[age, disabled]``.  Branch-free
    (persons come in random order): every person draws, adults' child draws are unused.
    """
    for i in range(ids.shape[0]):
        a = age[i]
        pid = ids[i]
        kid = a < 18
        c = min(np.int64(a > 1) + np.int64(a > 5), 2)
        pa = p_anaemia[c, np.int64(income_poor[hh[i]]), np.int64(anaemic[i])]
        anaemic[i] = kid & (_uniform(k_anaemia, pid) < pa)
        checkup[i] = kid & (_uniform(k_checkup, pid) < p_checkup[np.int64(a > 5)])
        shock = _uniform(k_shock, pid) < p_shock[a, np.int64(disabled[i])]
        health_shock[i] = shock
        if shock and _uniform(k_disability, pid) < p_disability:  # rare: predictable
            disabled[i] = True


@njit(cache=True)
def deaths(key, ids, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
           rr_disabled):
    """Deaths of the year: a uniform per person against :func:`death_probability`'s
    probability (the same arithmetic), without the probability array."""
    n = ids.shape[0]
    die = np.empty(n, dtype=np.bool_)
    for i in range(n):
        die[i] = _uniform(key, ids[i]) < _death_q(sex[i], age[i], table, stunted[i], shock[i], disabled[i],
                                                  rr_stunted, rr_shock, rr_disabled)
    return die


@njit(cache=True)
def market_entrants(key, ids, age, sex, partner_row, enrolled, parity, h_table):
    """Rows of singles aged 18-49 out of school who enter the marriage market: a uniform
    each against ``h_table[female, parity > 0, age]``.

    Like the other selection kernels, written without data-dependent branches (persons
    come in random order): candidates are found by a masked count, then drawn.
    """
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        a = age[i]
        cand[k] = i
        k += (partner_row[i] < 0) & (a >= 18) & (a <= 49) & (not enrolled[i])
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        i = cand[j]
        female = sex[i] == 0
        h = h_table[np.int64(female), np.int64(female & (parity[i] > 0)), age[i]]
        out[r] = i
        r += _uniform(key, ids[i]) < h
    return out[:r].copy()


@njit(cache=True)
def split_men(key, ids, sex, partner_row, father_row, mother_row, hh, p):
    """Rows of partnered men living with a parent who leave this year (a uniform each
    against ``p``); branch-free like :func:`market_entrants`."""
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        cand[k] = i
        k += (sex[i] == 1) & (partner_row[i] >= 0)
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        i = cand[j]
        h = hh[i]
        f = father_row[i]
        m = mother_row[i]
        with_parent = ((f >= 0) & (hh[max(f, 0)] == h)) | ((m >= 0) & (hh[max(m, 0)] == h))
        out[r] = i
        r += with_parent & (_uniform(key, ids[i]) < p)
    return out[:r].copy()


@njit(cache=True)
def split_children(age, father_row, hh, new_row):
    """Children (< 18) living with a father who leaves follow him to ``new_row[father]``
    (in place; fathers' own rows are updated by the caller afterwards).  Branch-free."""
    for i in range(age.shape[0]):
        f = father_row[i]
        f0 = max(f, 0)
        dest = new_row[f0]
        follow = (age[i] < 18) & (f >= 0) & (dest >= 0) & (hh[i] == hh[f0])
        hh[i] = dest if follow else hh[i]


@njit(cache=True)
def birth_mothers(key, ids, age, sex, partner_row, migrant, parity, h_table, absent):
    """Rows of partnered women aged 18-49 who give birth: a uniform each against
    ``h_table[min(parity, 2), age]``, times ``absent`` when only the husband is away.
    Branch-free like :func:`market_entrants`."""
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        a = age[i]
        cand[k] = i
        k += (sex[i] == 0) & (partner_row[i] >= 0) & (a >= 18) & (a <= 49)
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        i = cand[j]
        h = h_table[min(int(parity[i]), 2), age[i]]
        away = migrant[partner_row[i]] & (not migrant[i])
        h = h * absent if away else h
        out[r] = i
        r += _uniform(key, ids[i]) < h
    return out[:r].copy()


@njit(cache=True)
def development_pass(k_pre, k_skill, ids, age, hh, h_village, p_pre, stim, cs_term, log_inc,
                     log_mean, stunted, anaemic, unsupervised, enrolled, preschool, skill,
                     rho, noise, coef):
    """Preschool attendance (3-5) and one year of skill formation (0-17), in place.

    The arithmetic follows ``development`` term by term: ``cs_term`` (float32, per
    household) and ``log_inc`` (float32 log of income, per household) are computed by numpy
    as there; ``rho`` and ``noise`` (``sqrt(1 - rho**2)``) by age class 0-5, 6-11, 12-17.
    ``coef`` = [parenting, income, stunting, anaemia, unsupervised, preschool, schooling,
    skill SD].
    """
    for i in range(ids.shape[0]):
        a = age[i]
        h = hh[i]
        pre = (a >= 3) & (a <= 5)
        if pre:
            pre = _uniform(k_pre, ids[i]) < p_pre[h_village[h]]
        preschool[i] = pre
        if a >= 18:
            continue
        c = 0 if a <= 5 else (1 if a <= 11 else 2)
        m = coef[0] * stim[i] + float(cs_term[h])
        m = m + coef[1] * (float(log_inc[h]) - log_mean)
        m = m - coef[2] * (1.0 if stunted[i] else 0.0)
        m = m - coef[3] * (1.0 if anaemic[i] else 0.0)
        m = m - coef[4] * (1.0 if unsupervised[i] else 0.0)
        m = m + coef[5] * (1.0 if pre else 0.0)
        m = m + coef[6] * (1.0 if enrolled[i] else 0.0)
        eps = ppnd16(_uniform(k_skill, ids[i]))
        prev = m if a == 0 else float(skill[i])
        r = rho[c]
        skill[i] = np.float32(r * prev + (1 - r) * m + noise[c] * coef[7] * eps)


@njit(cache=True)
def dropout_logits(pupils, age, grade, sex, skill, disabled, left_behind, hh, h_village,
                   income_poor, caregiver_school, remote, logit_level, c):
    """School level (0 primary .. 3 tertiary) and dropout log-odds of each pupil.

    The terms are added in the order of ``schooling``'s expression, with the same
    arithmetic (``caregiver_school - 9`` in float32, as numpy does there), so the values
    are identical.  ``c`` = log odds ratios [poverty, skill, left behind, male,
    remoteness, parent schooling, disabled, over-age].
    """
    k = pupils.shape[0]
    lo = np.empty(k, dtype=np.float64)
    lvl = np.empty(k, dtype=np.int64)
    nine = np.float32(9.0)
    for j in range(k):
        i = pupils[j]
        g = np.int64(grade[i])
        lv = np.int64(g >= 7) + np.int64(g >= 10) + np.int64(g >= 13)
        h = hh[i]
        over = (np.int64(age[i]) - 6 - (g - 1)) >= 2
        x = logit_level[lv]
        x = x + c[0] * (1.0 if income_poor[h] else 0.0)
        x = x + c[1] * float(skill[i])
        x = x + c[2] * (1.0 if left_behind[i] else 0.0)
        x = x + c[3] * (1.0 if sex[i] == 1 else 0.0)
        x = x + c[4] * remote[h_village[h]]
        x = x + c[5] * float(caregiver_school[h] - nine) / 3.0
        x = x + c[6] * (1.0 if disabled[i] else 0.0)
        x = x + c[7] * (1.0 if over else 0.0)
        lo[j] = x
        lvl[j] = lv
    return lo, lvl


@njit(cache=True)
def household_measures(hcell, n_cells, size, n_kids, income_poor, income_pc, dibao):
    """Grouped sums of the collector's household measures in one pass over households:
    rows 0-4 are mean household size, income poverty rate, child income poverty rate,
    mean income per capita and Dibao share.  Denominators count persons (children for
    row 2); numerators sum ``persons * value`` in household order, as ``np.bincount``
    with those weights does (identical sums)."""
    den = np.zeros((5, n_cells))
    num = np.zeros((5, n_cells))
    for h in range(hcell.shape[0]):
        c = hcell[h]
        s = float(size[h])
        k = n_kids[h]
        poor = 1.0 if income_poor[h] else 0.0
        den[0, c] += s
        num[0, c] += s * s
        den[1, c] += s
        num[1, c] += s * poor
        den[2, c] += k
        num[2, c] += k * poor
        den[3, c] += s
        num[3, c] += s * float(income_pc[h])
        den[4, c] += s
        num[4, c] += s * (1.0 if dibao[h] else 0.0)
    return num, den


@njit(cache=True)
def remap3_count(a, b, c, tail_map, dead, hh, n_h):
    """Row pointers of three columns through the old->new row map of a removal, in place
    (-1 stays -1), and the number of persons per household (``hh``), in one pass.

    :meth:`povsim.table.Table.remove_tail` only moves rows from the old tail
    (``>= len(a)``) into holes, and ``tail_map`` holds their new rows: a pointer below the
    tail stays as it is unless its row was removed (``dead``, the old removal mask).
    """
    new_n = a.shape[0]
    size = np.zeros(n_h, dtype=np.int64)
    for i in range(new_n):
        for col in (a, b, c):
            p = col[i]
            if p >= new_n:  # rare: predictable
                col[i] = tail_map[p - new_n]
            else:
                col[i] = -1 if (p >= 0) & dead[max(p, 0)] else p
        size[hh[i]] += 1
    return size


@njit(cache=True)
def household_income_pass(key, hid, present, contrib, pens, cost, standard, takeup,
                          inclusion, min_transfer):
    """Market income, Dibao and income per capita of every household, in one pass (the
    arithmetic of ``household_income``, which it replaces when no modifier applies).

    Returns ``(market income pc, receives Dibao, Dibao pc, income pc)``.
    """
    n = hid.shape[0]
    market = np.empty(n)
    receives = np.empty(n, dtype=np.bool_)
    dibao = np.empty(n)
    income = np.empty(n)
    for h in range(n):
        pres = float(max(present[h], 1))
        m = (contrib[h] + pens[h]) / pres
        u = _uniform(key, hid[h])
        r = (u < takeup) if m < standard else (u < inclusion)
        d = max(standard - m, min_transfer) if r else 0.0
        market[h] = m
        receives[h] = r
        dibao[h] = d
        income[h] = max(m + d + 0.0 - cost[h] / pres, 0.0)  # + 0.0: no transfers
    return market, receives, dibao, income


@njit(cache=True)
def mothers_of_young(age, mother_row):
    """Mothers of a living child under 3 (one branch-free pass)."""
    n = age.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        m = mother_row[i]
        if age[i] < 3 and m >= 0:  # few children are under 3: predictable
            out[m] = True
    return out


@njit(cache=True)
def children_of(age, hh, flagged):
    """Rows of children (< 18) whose household is ``flagged``."""
    n = age.shape[0]
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        out[k] = i
        k += (age[i] < 18) & flagged[hh[i]]
    return out[:k].copy()


@njit(cache=True)
def school_progress(key, ids, pupils, age, lvl, p_drop, repetition, grade, enrolled,
                    school_done, school_years):
    """Dropout, repetition or promotion of each pupil (one uniform each from the
    ``school.progress`` stream, as in ``schooling``); dropouts leave school in place.

    Returns ``(promoted, junior, junior_dropout)``: a mask over ``pupils`` and two masks
    over persons (junior-high pupils, and those of them who dropped out).
    """
    n = ids.shape[0]
    k = pupils.shape[0]
    promoted = np.empty(k, dtype=np.bool_)
    junior = np.zeros(n, dtype=np.bool_)
    junior_drop = np.zeros(n, dtype=np.bool_)
    for j in range(k):
        i = pupils[j]
        u = _uniform(key, ids[i])
        pd = p_drop[j]
        p_rep = repetition if lvl[j] <= 1 else 0.0
        drop = (u < pd) | (age[i] >= 25)
        repeat = (not drop) & (u < pd + p_rep)
        promoted[j] = (not drop) & (not repeat)
        if lvl[j] == 1:
            junior[i] = True
            junior_drop[i] = drop
        if drop:
            enrolled[i] = False
            school_done[i] = True
            school_years[i] = grade[i] - 1
    return promoted, junior, junior_drop


@njit(cache=True)
def living_pass(k_water, k_sanitation, k_info, k_insurance, hid, upgrade, water, sanitation,
                info, insured, p_water, p_sanitation, p_info, p_insured, size, village, n_v):
    """Amenity upgrades (when ``upgrade``) and insurance of every household, in place, and
    per village the occupied households and those with water, sanitation and information
    (integer counts, as float64)."""
    counts = np.zeros((4, n_v))
    for h in range(hid.shape[0]):
        pid = hid[h]
        if upgrade:
            water[h] = water[h] | (_uniform(k_water, pid) < p_water)
            sanitation[h] = sanitation[h] | (_uniform(k_sanitation, pid) < p_sanitation)
            info[h] = info[h] | (_uniform(k_info, pid) < p_info)
        insured[h] = _uniform(k_insurance, pid) < p_insured
        if size[h] > 0:
            v = village[h]
            counts[0, v] += 1.0
            counts[1, v] += water[h]
            counts[2, v] += sanitation[h]
            counts[3, v] += info[h]
    return counts


@njit(cache=True)
def move_rows(col, holes, sources):
    """``col[holes] = col[sources]`` without temporaries (holes and sources are disjoint)."""
    for j in range(holes.shape[0]):
        col[holes[j]] = col[sources[j]]


@njit(cache=True)
def household_cells(h_village, v_cell, hh):
    """Cell of every household (``v_cell[village]``) and of every person (its
    household's), as int32."""
    hcell = np.empty(h_village.shape[0], dtype=np.int32)
    for h in range(h_village.shape[0]):
        hcell[h] = v_cell[h_village[h]]
    cell = np.empty(hh.shape[0], dtype=np.int32)
    for i in range(hh.shape[0]):
        cell[i] = hcell[hh[i]]
    return hcell, cell


@njit(cache=True)
def deaths_apply(die, year, alive, death_year):
    """Record this year's deaths in place (``alive``, ``death_year``); returns the rows of
    the dead, ascending."""
    n = die.shape[0]
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        d = die[i]
        alive[i] = not d
        rows[k] = i
        k += d
    for j in range(k):
        death_year[rows[j]] = year
    return rows[:k].copy()


@njit(cache=True)
def stunting_rows(age, stunted):
    """Rows of children 0-2 not stunted (onset candidates) and of stunted children 1-5
    (recovery candidates), ascending."""
    n = age.shape[0]
    young = np.empty(n, dtype=np.int64)
    rec = np.empty(n, dtype=np.int64)
    k = 0
    r = 0
    for i in range(n):
        a = age[i]
        s = stunted[i]
        young[k] = i
        k += (a <= 2) & (not s)
        rec[r] = i
        r += s & (a >= 1) & (a <= 5)
    return young[:k].copy(), rec[:r].copy()


@njit(cache=True)
def school_rows(age, enrolled, school_done):
    """Rows of school-entry candidates (6-8, never enrolled) and of pupils (enrolled),
    ascending, in one pass."""
    n = age.shape[0]
    cand = np.empty(n, dtype=np.int64)
    pupils = np.empty(n, dtype=np.int64)
    k = 0
    m = 0
    for i in range(n):
        a = age[i]
        e = enrolled[i]
        cand[k] = i
        k += (a >= 6) & (a <= 8) & (not e) & (not school_done[i])
        pupils[m] = i
        m += e
    return cand[:k].copy(), pupils[:m].copy()


@njit(cache=True)
def lineage_generation(mother_row, father_row, rounds):
    """Generation by lineage: ``rounds`` synchronous updates of ``gen = max(gen[mother],
    gen[father]) + 1`` (0 without a parent), each from the previous round's values."""
    n = mother_row.shape[0]
    gen = np.zeros(n, dtype=np.int64)
    new = np.zeros(n, dtype=np.int64)
    for _ in range(rounds):
        for i in range(n):
            m = mother_row[i]
            f = father_row[i]
            gm = gen[m] + 1 if m >= 0 else 0
            gf = gen[f] + 1 if f >= 0 else 0
            new[i] = max(gm, gf)
        gen, new = new, gen
    return gen


@njit(cache=True)
def household_order(hh, n_h):
    """New row of every person when persons are sorted by household, stable within a
    household (a counting sort: two passes, no comparison sort).

    Returns ``dest`` (int32, ``old row -> new row``).
    """
    n = hh.shape[0]
    start = np.zeros(n_h + 1, dtype=np.int64)
    for i in range(n):
        start[hh[i] + 1] += 1
    for h in range(n_h):
        start[h + 1] += start[h]
    dest = np.empty(n, dtype=np.int32)
    for i in range(n):
        h = hh[i]
        dest[i] = start[h]
        start[h] += 1
    return dest


@njit(cache=True)
def permute_inplace(col, dest, buf):
    """``col[dest[i]] = col[i]`` for every row, through ``buf`` (at least as long as
    ``col``, same dtype), so one buffer serves every column of a table."""
    n = col.shape[0]
    for i in range(n):
        buf[dest[i]] = col[i]
    for i in range(n):
        col[i] = buf[i]
