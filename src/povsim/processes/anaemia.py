"""Haemoglobin and anaemia of children 0-17: a latent haemoglobin level with onset and
recovery.

Each child's haemoglobin (g/L) is::

    hb = mu(a, sex) + g(year) + beta' x + u_i + e_t + nutrition input (interventions)
    e_t = rho e_{t-1} + sqrt(1 - rho^2) sd_e eta_t

with a persistent individual term ``u_i`` (SD ``hb_sd_persistent``, a fixed per-child
draw) and a transitory term ``e_t`` that decays at ``rho`` a year, so anaemia comes and
goes: a child is anaemic when ``hb`` is below the WHO threshold of its age and sex (110
g/L under 5, 115 at 5-11, 120 at 12-14 and for girls 15-17, 130 for boys 15-17).  The
mean ``mu`` is set so that a child with no risk factor is anaemic with the declared
prevalence of its age class in the start year (``anaemia_infant`` 0-1,
``anaemia_preschool`` 2-5, ``anaemia_school`` 6-17).  ``g(year)`` is a secular gain
(diet, deworming, national nutrition programmes), linear in calendar time before and after
the start year (``hb_secular_trend``) and bounded by ``hb_secular_gain``;
``x`` is income poverty and a serious illness in the past year.  Interventions add to the
named value ``haemoglobin.shift`` (g/L): micronutrient supplements, school meals.

References
----------
WHO (2011). Haemoglobin concentrations for the diagnosis of anaemia and assessment of
severity. WHO/NMH/NHD/MNM/11.1.
Wang, L., Li, M., Dill, S. E., Hu, Y., & Rozelle, S. (2019). Dynamic anemia status from
infancy to preschool-age: evidence from rural China. IJERPH 16(15):2761.
Wang, L., Huo, J. et al. (2023). Nutrients 15(11):2634 (anaemia 6-23 months in poor
counties, 2015-2020).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy.stats import norm

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import ppnd16, uniform_at
from povsim.state import World

START_YEAR = 2014

PARAMS = (
    Param("anaemia_infant", 0.27, "prevalence (ages 0-1) in 2014", (0.2, 0.48),
          "YYB areas, 6-24 months: 32.9% in 2012 (NHC, Nov 2020); 48% at 6-11 months in "
          "Shaanxi (Luo et al. 2017, BMC Public Health 17); 51% at 6-12 months, Qinba cohort "
          "2013 (Wang L. et al. 2019, IJERPH 16:2761)", "Anaemia prevalence of infants (0-1) "
          "without risk factors in the start year (sets their mean haemoglobin)",
          bounds=(0.0, 1.0)),
    Param("anaemia_preschool", 0.15, "prevalence (ages 2-5) in 2014", (0.08, 0.3),
          "24% at 22-30 months and 19% at 49-65 months, Qinba cohort (Wang L. et al. 2019, "
          "IJERPH 16:2761); Hubei rural 0-5 14.4% in 2013 (Fang H. Y. et al. 2018, Chin J "
          "Public Health 34:1654)", "Anaemia prevalence at ages 2-5 without risk factors in "
          "the start year", bounds=(0.0, 1.0)),
    Param("anaemia_school", 0.16, "prevalence (ages 6-17) in 2014", (0.08, 0.3),
          "Left-behind 6-17 in poor rural areas 11.6% in 2016, 17-21% by single age (Gao C. et "
          "al. 2019, Chin J Epidemiol 40:1548); 34% (Hb<120) in poor western counties, ages "
          "8-12 (REAP, JHPN 2011 29:471)", "Anaemia prevalence at ages 6-17 without risk "
          "factors in the start year", bounds=(0.0, 1.0)),
    Param("hb_sd_persistent", 6.0, "g/L", (3.0, 9.0),
          "Wang L. et al. 2019 (IJERPH 16:2761): 4% anaemic at all of 6-12, 22-30 and 49-65 "
          "months, 67% at some wave [E]", "SD of the persistent individual haemoglobin term",
          bounds=(0.0, 30.0)),
    Param("hb_sd_transitory", 9.0, "g/L", (6.0, 12.0),
          "As hb_sd_persistent; total SD ~11 g/L (Hb 6-24 months, Wang J. et al. 2015, Food "
          "Nutr Bull) [E]", "SD of the transitory haemoglobin term", bounds=(0.0, 30.0)),
    Param("hb_autocorrelation", 0.3, "per year", (0.0, 0.6),
          "As hb_sd_persistent [E]", "Year-to-year correlation of the transitory term",
          bounds=(0.0, 0.99)),
    Param("hb_poverty", -3.5, "g/L", (-6.0, -1.0),
          "Anaemia odds ratio ~1.5 in poor households (assumption on the size; anaemia higher "
          "in poor rural areas, Wu J. et al. 2019, IJERPH 16:1416) [E]",
          "Haemoglobin shift in an income-poor household", bounds=(-30.0, 0.0)),
    Param("hb_illness", -3.0, "g/L", (-6.0, 0.0),
          "Assumption (infection and inflammation lower haemoglobin)",
          "Haemoglobin shift after a serious illness in the past year", bounds=(-30.0, 0.0)),
    Param("hb_secular_gain", 8.0, "g/L", (3.0, 12.0),
          "National 6-17 y Hb 135.2 -> 141.2 g/L 2002-2012 (Wu J. et al. 2019, IJERPH "
          "16:1416); assumption on where the gain stops [E]", "Largest secular change of "
          "children's haemoglobin from the start year, either way (the trend stops there)",
          bounds=(0.0, 40.0)),
    Param("hb_secular_trend", 0.9, "g/L per year", (0.4, 1.6),
          "Anaemia 6-23 months in poor counties 29.7% (2015), 26.9% (2017), 24.1% (2018), "
          "21.2% (2019), 18.1% (2020) (Wang L., Huo J. et al. 2023, Nutrients 15:2634): about "
          "+4 g/L over five years at SD 11, an even fall; 32.9% (2012) in YYB areas (NHC, Nov "
          "2020) [E]; national 6-17 y +0.6 g/L a year 2002-2012 (Wu J. et al. 2019)",
          "Secular rise of children's haemoglobin per calendar year (diet, deworming, "
          "national nutrition programmes), before and after the start year alike",
          bounds=(0.0, 5.0)),
)

COLUMNS = (
    person("hb", np.float32, 0.0, "haemoglobin (g/L), children 0-17"),
    person("hb_resid", np.float32, 0.0, "transitory haemoglobin term (g/L)"),
    person("anaemic", np.bool_, False, "anaemic this year (haemoglobin below the WHO threshold)"),
    person("anaemia_change", np.int8, 0, "+1 anaemia onset this year, -1 recovery, 0 neither"),
)

VALUES = (
    Value("haemoglobin.shift", "g/L", "additive shift of a child's haemoglobin this year "
          "(micronutrients, meals)", kind="shift"),
)

STREAMS = ("anaemia", "anaemia.trait")

_ANAEMIA = (
    Measure("anaemia_prevalence_infant", "anaemic children aged 0-1"),
    Measure("anaemia_prevalence_preschool", "anaemic children aged 2-5"),
    Measure("anaemia_prevalence_school", "anaemic children aged 6-17"),
    Measure("mean_hb_0_1", "mean haemoglobin, ages 0-1", "mean", "g/L"),
    Measure("anaemia_onset_rate", "children 1-17 not anaemic last year who are anaemic now"),
    Measure("anaemia_recovery_rate", "children 1-17 anaemic last year who are not anaemic now"),
)

_BY_AGE = (
    Measure("mean_hb", "mean haemoglobin", "mean", "g/L"),
    Measure("anaemia_prevalence", "anaemic (WHO threshold of the age and sex)"),
)


def _collect_anaemia(world: World, cells) -> None:
    P = world.P
    num, den = _anaemia_sums(world.children(), cells.cell, cells.n_cells, world.age(), P.anaemic,
                             P.hb, P.anaemia_change)
    names = [m.name for m in _ANAEMIA]
    if world.t == 0:  # no year has run: no transitions yet
        num, den, names = num[:4], den[:4], names[:4]
    cells.add_all("anaemia", names, num, den)


def _collect_by_age(world: World, cells) -> None:
    num, den = _hb_by_age(world.age(), world.P.hb, world.P.anaemic)
    labels = [str(a) for a in range(18)]
    for j, m in enumerate(_BY_AGE):
        cells.add_groups("anaemia_by_age", m.name, "age", labels, num[j], den[j])


TABLES = (
    OutcomeTable("anaemia", "anaemia prevalence of infants, preschool and school-age children; "
                 "onset and recovery", _ANAEMIA, _collect_anaemia),
    OutcomeTable("anaemia_by_age", "haemoglobin and anaemia by single year of age 0-17",
                 _BY_AGE, _collect_by_age),
)


def threshold(age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """WHO haemoglobin threshold (g/L) by age (years) and sex (1 male)."""
    a = np.asarray(age)
    return np.where(a <= 4, 110.0, np.where(a <= 11, 115.0, np.where(
        (a <= 14) | (np.asarray(sex) == 0), 120.0, 130.0)))


def mean_table(params) -> np.ndarray:
    """``mu[a, sex]``: mean haemoglobin of a child with no risk factor in the start year."""
    sd = math.hypot(params.hb_sd_persistent, params.hb_sd_transitory)
    a = np.repeat(np.arange(18), 2)
    s = np.tile(np.arange(2), 18)
    p = np.where(a <= 1, params.anaemia_infant,
                 np.where(a <= 5, params.anaemia_preschool, params.anaemia_school))
    mu = threshold(a, s) - sd * norm.ppf(np.clip(p, 1e-6, 1 - 1e-6))
    return np.ascontiguousarray(mu.reshape(18, 2))


def secular_gain(year: int, params) -> float:
    """``g(year)``: secular haemoglobin change since the start year (g/L; negative before).

    Linear in calendar time, as the observed series fell evenly (Wang L. et al. 2023), so
    a run's first years continue its history's trend; bounded by ``hb_secular_gain``."""
    g = params.hb_secular_trend * (year - START_YEAR)
    return float(min(max(g, -params.hb_secular_gain), params.hb_secular_gain))


def _coefficients(params) -> np.ndarray:
    rho = params.hb_autocorrelation
    return np.array([params.hb_sd_persistent, params.hb_sd_transitory, rho,
                     math.sqrt(1.0 - rho * rho), params.hb_poverty, params.hb_illness],
                    dtype=np.float64)


def step(world: World, params, streams) -> None:
    """Haemoglobin and anaemia of every child this year."""
    P, H = world.P, world.H
    _hb_pass(streams.key("anaemia", world.year), streams.key("anaemia.trait", 0), P.id,
             world.age(), P.sex, P.hh, H.income_poor, P.health_shock, mean_table(params),
             secular_gain(world.year, params), _coefficients(params), P.hb, P.hb_resid,
             P.anaemic, P.anaemia_change, world.values.shift("haemoglobin.shift", world, world.children(),
                                                         P.n), False)


def initialise(world: World, params, streams) -> None:
    """Haemoglobin of the initial children: the transitory term at its stationary spread."""
    P, H = world.P, world.H
    _hb_pass(streams.key("anaemia", world.year), streams.key("anaemia.trait", 0), P.id,
             world.age(), P.sex, P.hh, H.income_poor, P.health_shock, mean_table(params),
             secular_gain(world.year, params), _coefficients(params), P.hb, P.hb_resid,
             P.anaemic, P.anaemia_change, np.empty(0), True)


@threaded(cache=True, nogil=True)
def _hb_pass(key, key_trait, ids, age, sex, hh, income_poor, illness, mu, gain, coef, hb,
             hb_resid, anaemic, change, shift, fresh):
    """Haemoglobin, anaemia and its change of every child (in place).

    ``coef`` = [sd persistent, sd transitory, rho, sqrt(1 - rho^2), poverty, illness];
    ``shift`` per person (interventions) or empty; ``fresh``: draw the transitory term
    from its stationary distribution (initial population) instead of updating it.
    Adults keep their last values.
    """
    has_shift = shift.shape[0] > 0
    for i in prange(ids.shape[0]):
        a = age[i]
        if a >= 18:
            if a == 18:
                anaemic[i] = False
                change[i] = 0
            continue
        pid = ids[i]
        eta = ppnd16(uniform_at(key, pid))
        if fresh or a == 0:
            e = coef[1] * eta
        else:
            e = coef[2] * float(hb_resid[i]) + coef[3] * coef[1] * eta
        u = coef[0] * ppnd16(uniform_at(key_trait, pid))
        s = np.int64(sex[i] == 1)
        x = mu[a, s] + gain + u + e
        if income_poor[hh[i]]:
            x += coef[4]
        if illness[i]:
            x += coef[5]
        if has_shift:
            x += shift[i]
        if a <= 4:
            thr = 110.0
        elif a <= 11:
            thr = 115.0
        elif a <= 14 or s == 0:
            thr = 120.0
        else:
            thr = 130.0
        now = x < thr
        before = anaemic[i] and not fresh and a > 0
        change[i] = np.int8(now) - np.int8(before)
        anaemic[i] = now
        hb[i] = np.float32(x)
        hb_resid[i] = np.float32(e)


@njit(cache=True, nogil=True)
def _anaemia_sums(kids, cell, n_cells, age, anaemic, hb, change):
    num = np.zeros((6, n_cells))
    den = np.zeros((6, n_cells))
    for i in kids:
        a = age[i]
        k = 0 if a <= 1 else (1 if a <= 5 else 2)
        c = cell[i]
        now = anaemic[i]
        den[k, c] += 1.0
        num[k, c] += now
        if a <= 1:
            den[3, c] += 1.0
            num[3, c] += float(hb[i])
        if a >= 1:
            before = now if change[i] == 0 else (not now)
            if before:
                den[5, c] += 1.0
                num[5, c] += not now
            else:
                den[4, c] += 1.0
                num[4, c] += now
    return num, den


@njit(cache=True, nogil=True)
def _hb_by_age(age, hb, anaemic):
    num = np.zeros((2, 18))
    den = np.zeros((2, 18))
    for i in range(age.shape[0]):
        a = age[i]
        if a >= 18:
            continue
        den[0, a] += 1.0
        den[1, a] += 1.0
        num[0, a] += float(hb[i])
        num[1, a] += anaemic[i]
    return num, den
