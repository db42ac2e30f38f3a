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
    """Standard normal draws per id (inverse CDF of the uniform draws)."""
    out = np.empty(ids.shape[0], dtype=np.float64)
    for i in range(ids.shape[0]):
        out[i] = ppnd16(_uniform(key, ids[i]))
    return out


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


@njit(cache=True)
def death_probability(sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
                      rr_disabled):
    """Life-table death probability times health risk ratios, clipped to [0, 1]."""
    n = sex.shape[0]
    q = np.empty(n, dtype=np.float64)
    amax = table.shape[1] - 1
    for i in range(n):
        a = min(int(age[i]), amax)
        rr = 1.0
        if stunted[i] and a < 5:
            rr *= rr_stunted
        if shock[i]:
            rr *= rr_shock
        if disabled[i]:
            rr *= rr_disabled
        v = table[sex[i], a] * rr
        if a >= 105:
            v = 1.0
        q[i] = min(max(v, 0.0), 1.0)
    return q


@njit(cache=True)
def group_sum(codes, weights, n):
    """``np.bincount(codes, weights, minlength=n)`` without temporaries."""
    out = np.zeros(n, dtype=np.float64)
    for i in range(codes.shape[0]):
        out[codes[i]] += weights[i]
    return out


@njit(cache=True)
def remap(pointers, mapping):
    """Row pointers through an old->new map; -1 stays -1 (a new array)."""
    out = np.empty_like(pointers)
    for i in range(pointers.shape[0]):
        p = pointers[i]
        out[i] = -1 if p < 0 else mapping[p]
    return out


@njit(cache=True)
def earnings_pass(key_shock, ids, school, age, sex, skill, migrant, stunted_ever, disabled,
                  earn_z, hh, enrolled, done, young_mother, shock, insured, hh_z, hh_village,
                  village_z, coef, n_h, log_shift):
    """Earnings of every person and their per-household sums, in one pass.

    ``coef`` = [r_school, r_upper, r_skill, exp_lin, exp_quad, female_gap, migrant_premium,
    stunting_penalty, disability_penalty, sd_person, sd_household, sd_village, sd_shock,
    log level + growth, remittance share, pension, medical cost, reimbursement share].

    ``log_shift`` is a per-person additive shift of log earnings (the named value
    ``earnings.log_shift``; zeros in the baseline).

    Returns ``(earnings, contributions, pensions, medical costs)``; the last three are
    household sums (contributions: residents' earnings plus migrants' remittances).
    """
    n = ids.shape[0]
    y = np.empty(n, dtype=np.float64)
    contrib = np.zeros(n_h, dtype=np.float64)
    pens = np.zeros(n_h, dtype=np.float64)
    cost = np.zeros(n_h, dtype=np.float64)
    for i in range(n):
        a = float(age[i])
        h = hh[i]
        yi = 0.0
        if done[i] and not enrolled[i] and a >= 16.0 and a <= 69.0:
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
                   + coef[12] * ppnd16(_uniform(key_shock, ids[i])))
            yi = math.exp(coef[13] + ln + log_shift[i])
            # care of an infant halves a resident mother's earnings; older farmers work less
            if sex[i] == 0 and young_mother[i] and not migrant[i]:
                yi *= 0.5
            yi *= min(max(1.0 - 0.06 * (a - 60.0), 0.1), 1.0)
        y[i] = yi
        contrib[h] += coef[14] * yi if migrant[i] else yi
        if a >= 60.0:
            pens[h] += coef[15]
        if shock[i]:
            cost[h] += coef[16] * ((1.0 - coef[17]) if insured[h] else 1.0)
    return y, contrib, pens, cost


@njit(cache=True)
def lifetime_records(age, hh, poor_hh, log_income_hh, child_observed, child_poor, adult_sum,
                     adult_years):
    """Childhood income-poverty years (0-17) and adult log income (30-45), in place."""
    for i in range(age.shape[0]):
        a = age[i]
        if a < 18:
            child_observed[i] += 1
            if poor_hh[hh[i]]:
                child_poor[i] += 1
        elif a >= 30 and a <= 45:
            adult_sum[i] += log_income_hh[hh[i]]
            adult_years[i] += 1


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
    members (not ``away``) and all members."""
    adults = np.zeros(n_h, dtype=np.int32)
    kids = np.zeros(n_h, dtype=np.int32)
    present = np.zeros(n_h, dtype=np.int32)
    size = np.zeros(n_h, dtype=np.int32)
    for i in range(hh.shape[0]):
        h = hh[i]
        a = age[i]
        size[h] += 1
        if not away[i]:
            present[h] += 1
            if 18 <= a <= 75:
                adults[h] += 1
        if a < 18:
            kids[h] += 1
    return adults, kids, present, size


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
    present."""
    n = np.zeros(n_h)
    s = np.zeros(n_h)
    n_all = np.zeros(n_h)
    s_all = np.zeros(n_h)
    for i in range(hh.shape[0]):
        a = age[i]
        if a < 18:
            continue
        h = hh[i]
        n_all[h] += 1.0
        s_all[h] += school[i]
        if a <= 75 and not migrant[i]:
            n[h] += 1.0
            s[h] += school[i]
    out = np.empty(n_h)
    for h in range(n_h):
        out[h] = s[h] / n[h] if n[h] > 0 else s_all[h] / max(n_all[h], 1.0)
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
    children (< 18) per household, in one pass (integer counts, so exact)."""
    by_age = np.zeros((n_cells, 4), dtype=np.int64)
    n_gen = 8
    for i in range(generation.shape[0]):
        n_gen = max(n_gen, int(generation[i]) + 1)
    gen = np.zeros(n_gen, dtype=np.int64)
    kids = np.zeros(n_h, dtype=np.float64)
    for i in range(age.shape[0]):
        a = age[i]
        if a < 6:
            g = 0
        elif a < 18:
            g = 1
        elif a < 65:
            g = 2
        else:
            g = 3
        by_age[cell[i], g] += 1
        gen[generation[i]] += 1
        if a < 18:
            kids[hh[i]] += 1.0
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
def finish_migration(status, leaving, hh, stranded, migrant):
    """Cancel the departures from ``stranded`` households and write the migrant status in
    place; returns the number of departures."""
    n_dep = 0
    for i in range(status.shape[0]):
        st = status[i]
        if leaving[i]:
            if stranded[hh[i]]:
                st = False  # a departing worker was not a migrant before
            else:
                n_dep += 1
        migrant[i] = st
    return n_dep


@njit(cache=True)
def nutrition_pass(k_anaemia, k_checkup, k_shock, k_disability, ids, age, hh, income_poor,
                   anaemic, checkup, health_shock, disabled, p_anaemia, p_checkup, p_shock,
                   p_disability):
    """Anaemia and check-ups (ages 0-17), health shocks and disability after a shock of the
    year, in place, from probability tables (see ``nutrition_health``).

    ``p_anaemia[c, poor, anaemic]`` with ``c`` 0 for ages 0-1, 1 for 2-5, 2 for 6-17;
    ``p_checkup[c]`` with ``c`` 0 for ages 0-5; ``p_shock[age, disabled]``.
    """
    for i in range(ids.shape[0]):
        a = age[i]
        pid = ids[i]
        if a < 18:
            c = 0 if a <= 1 else (1 if a <= 5 else 2)
            pa = p_anaemia[c, 1 if income_poor[hh[i]] else 0, 1 if anaemic[i] else 0]
            anaemic[i] = _uniform(k_anaemia, pid) < pa
            checkup[i] = _uniform(k_checkup, pid) < p_checkup[0 if a <= 5 else 1]
        else:
            anaemic[i] = False
            checkup[i] = False
        shock = _uniform(k_shock, pid) < p_shock[a, 1 if disabled[i] else 0]
        health_shock[i] = shock
        if shock and _uniform(k_disability, pid) < p_disability:
            disabled[i] = True


@njit(cache=True)
def deaths(key, ids, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
           rr_disabled):
    """Deaths of the year: a uniform per person against :func:`death_probability`'s
    probability (the same arithmetic), without the probability array."""
    n = ids.shape[0]
    die = np.empty(n, dtype=np.bool_)
    amax = table.shape[1] - 1
    for i in range(n):
        a = min(int(age[i]), amax)
        rr = 1.0
        if stunted[i] and a < 5:
            rr *= rr_stunted
        if shock[i]:
            rr *= rr_shock
        if disabled[i]:
            rr *= rr_disabled
        v = table[sex[i], a] * rr
        if a >= 105:
            v = 1.0
        die[i] = _uniform(key, ids[i]) < min(max(v, 0.0), 1.0)
    return die


@njit(cache=True)
def remap3_inplace(a, b, c, mapping):
    """:func:`remap_inplace` on three pointer columns of equal length, in one pass."""
    for i in range(a.shape[0]):
        p = a[i]
        if p >= 0:
            a[i] = mapping[p]
        p = b[i]
        if p >= 0:
            b[i] = mapping[p]
        p = c[i]
        if p >= 0:
            c[i] = mapping[p]


@njit(cache=True)
def market_entrants(key, ids, age, sex, partner_row, enrolled, parity, h_table):
    """Rows of singles aged 18-49 out of school who enter the marriage market: a uniform
    each against ``h_table[female, parity > 0, age]``."""
    out = np.empty(ids.shape[0], dtype=np.int64)
    k = 0
    for i in range(ids.shape[0]):
        a = age[i]
        if partner_row[i] < 0 and a >= 18 and a <= 49 and not enrolled[i]:
            female = sex[i] == 0
            h = h_table[1 if female else 0, 1 if (female and parity[i] > 0) else 0, a]
            if _uniform(key, ids[i]) < h:
                out[k] = i
                k += 1
    return out[:k].copy()


@njit(cache=True)
def split_men(key, ids, sex, partner_row, father_row, mother_row, hh, p):
    """Rows of partnered men living with a parent who leave this year (a uniform each
    against ``p``)."""
    out = np.empty(ids.shape[0], dtype=np.int64)
    k = 0
    for i in range(ids.shape[0]):
        if sex[i] != 1 or partner_row[i] < 0:
            continue
        h = hh[i]
        f = father_row[i]
        m = mother_row[i]
        if (f >= 0 and hh[f] == h) or (m >= 0 and hh[m] == h):
            if _uniform(key, ids[i]) < p:
                out[k] = i
                k += 1
    return out[:k].copy()


@njit(cache=True)
def split_children(age, father_row, hh, new_row):
    """Children (< 18) living with a father who leaves follow him to ``new_row[father]``
    (in place; fathers' own rows are updated by the caller afterwards)."""
    for i in range(age.shape[0]):
        if age[i] >= 18:
            continue
        f = father_row[i]
        if f >= 0 and new_row[f] >= 0 and hh[i] == hh[f]:
            hh[i] = new_row[f]


@njit(cache=True)
def birth_mothers(key, ids, age, sex, partner_row, migrant, parity, h_table, absent):
    """Rows of partnered women aged 18-49 who give birth: a uniform each against
    ``h_table[min(parity, 2), age]``, times ``absent`` when only the husband is away."""
    out = np.empty(ids.shape[0], dtype=np.int64)
    k = 0
    for i in range(ids.shape[0]):
        a = age[i]
        pr = partner_row[i]
        if sex[i] != 0 or pr < 0 or a < 18 or a > 49:
            continue
        h = h_table[min(int(parity[i]), 2), a]
        if migrant[pr] and not migrant[i]:
            h = h * absent
        if _uniform(key, ids[i]) < h:
            out[k] = i
            k += 1
    return out[:k].copy()
