"""Checks that fail on a transient: the first simulated years against history and trend.

A run that starts from a population the model's own processes do not sustain spends its
first years relaxing towards them, and those are the years policy researchers read.  For
each headline series this module compares the first five simulated years with

* the largest year-on-year change of the **observed** 2010-2020 series cited for it
  (plus twice the sampling error of a simulated change): no simulated change may be
  larger (the *jump* check; the change into the start year is included when the tables
  carry the spin-up's last historical year);
* the series' **own later trend** (years 6-15 of the run): the mean yearly change of the
  first five years may differ from it by at most that largest observed change (the
  *trend* check: a relaxing series changes fast first, then settles);
* the **direction** of the observed series over 2014-2020 where the sources give one
  (enrolment rising, stunting and poverty falling), and for income poverty the pace:
  the simulated fall 2014-2019 within half to twice the observed one.

:func:`check` returns one row per series and check; ``docs/validation.md`` prints them
(:mod:`povsim.validation`) and ``tests/test_transients.py`` requires every one to pass on
the shipped baseline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Headline:
    """A headline series, its observed counterpart and what the sources say of it."""

    table: str
    measure: str
    label: str
    observed: tuple[tuple[int, float], ...]
    source: str
    direction: int = 0  # +1 rising, -1 falling over 2014-2020, 0: not stated
    pace: bool = False  # the observed values are on the model's scale: check the pace too
    #: a largest yearly change stated by a source outside the series (0: none)
    stated_change: float = 0.0
    #: a largest yearly change stated as a share of the level (0: none): for a source in
    #: another age band, whose relative change transfers but whose levels do not
    stated_relative: float = 0.0

    @property
    def max_change(self) -> float:
        """Largest absolute yearly change of the observed series (per year between
        observations further apart), or the change a source states, if larger."""
        ys = self.observed
        return max(self.stated_change,
                   max(abs(b - a) / (y2 - y1) for (y1, a), (y2, b) in itertools.pairwise(ys)))


#: Poverty-block path (2.25 x the NBS central-region estimate; calibration targets)
_POVERTY = ((2014, 0.1755), (2015, 0.1395), (2016, 0.1103), (2017, 0.0788), (2018, 0.0428),
            (2019, 0.0135))

HEADLINES = (
    Headline("enrolment", "enrolment_rate_15_17", "enrolment, ages 15-17",
             ((2012, 0.85), (2015, 0.87), (2016, 0.875), (2017, 0.883), (2018, 0.888),
              (2019, 0.895), (2021, 0.914)),
             "MoE senior-secondary gross enrolment ratio (national): 85.0% (2012), 87.0% "
             "(2015), 87.5%, 88.3%, 88.8%, 89.5% (2016-2019), 91.4% (2021) [S]; the ten lowest "
             "central and western provinces gained 17 points over 2012-2022, 1.7 a year "
             "(Xinhua 2022) [S], the largest change allowed", +1, stated_change=0.017),
    Headline("stunting", "stunting_prevalence", "stunting, under 5",
             ((2005, 0.163), (2009, 0.126), (2010, 0.121)),
             "Rural under-5 stunting 16.3% (2005) [M], 12.6% (2009), 12.1% (2010) (Chen C. et "
             "al. 2011, BES 24:321) [S]; in the 116 poorest counties stunting at 6-23 months "
             "fell 10.44% (95% CI 7.56-13.22) a year in 2016-2021 (Huo J. et al. 2024, BMJ "
             "387:e079499) [S]: the upper limit, 13.22% of the start year's level, is the "
             "largest change allowed (the calibration target's source)", -1,
             stated_relative=0.1322),
    Headline("anaemia", "anaemia_prevalence_infant", "anaemia, ages 0-1",
             ((2015, 0.297), (2017, 0.269), (2018, 0.241), (2019, 0.212), (2020, 0.181)),
             "Anaemia of children 6-23 months in poor counties: 29.7% (2015), 26.9% (2017), "
             "24.1% (2018), 21.2% (2019), 18.1% (2020) (Wang L., Huo J. et al. 2023, Nutrients "
             "15:2634; the calibration target's source) [S]; 32.9% (2012) in Ying Yang Bao "
             "areas (NHC press conference, Nov 2020) [S]", -1),
    Headline("left_behind", "left_behind_share", "left-behind children",
             ((2005, 0.283), (2010, 0.377)),
             "Left-behind children 28.29% (2005) and 37.7% (2010) of rural children (ACWF "
             "2008, 2013) [S]", 0),
    Headline("income_poverty", "income_poverty_rate", "income poverty, all persons", _POVERTY,
             "NBS rural poverty monitoring, central region (4.9% in 2016; 11.12, 5.97, 1.81 "
             "million poor in 2017-2019) times 2.25 for the poverty blocks [S/E]; national "
             "10.2% (2012) -> 0.6% (2019) [S]", -1, pace=True),
)


def _series(tables: Mapping[str, pd.DataFrame], h: Headline) -> pd.DataFrame:
    """Replicate-mean value and the binomial SE of one headline series by year."""
    df = tables[h.table]
    df = df[(df["measure"] == h.measure) & (df["by"] == "all") & (df["group"] == "all")]
    g = df.groupby("year")
    out = pd.DataFrame({"value": g["value"].mean(), "den": g["denominator"].sum()})
    p = out["value"].clip(0, 1)
    out["se"] = np.sqrt(p * (1 - p) / out["den"].clip(lower=1))
    return out


def check(tables: Mapping[str, pd.DataFrame], start_year: int) -> pd.DataFrame:
    """The transient checks of a run's tables (``columns``: series, check, simulated,
    allowed, passes, detail)."""
    rows = []
    for h in HEADLINES:
        if h.table not in tables:
            continue
        s = _series(tables, h)
        years = [start_year + k for k in range(0, 16)]
        if not all(y in s.index for y in years[:6]):
            continue
        v = s["value"]
        # the year before the start (a spun-up run's last history year) joins the jumps
        steps = [y for y in range(start_year - 1, start_year + 5) if y in s.index and y + 1 in s.index]
        change = np.array([v[y + 1] - v[y] for y in steps])
        se = np.array([math.hypot(s["se"][y + 1], s["se"][y]) for y in steps])
        worst = int(np.argmax(np.abs(change) - 2 * se))
        largest = max(h.max_change, h.stated_relative * float(v[start_year]))
        allowed = largest + 2 * se[worst]
        rows.append((h.label, "jump", float(change[worst]), float(allowed),
                     bool(abs(change[worst]) <= allowed),
                     f"largest change in {steps[0]}-{start_year + 5}: "
                     f"{steps[worst]}->{steps[worst] + 1}; observed at most {largest:.4f} "
                     "a year"))
        later = [y for y in years[5:] if y in s.index]
        if len(later) >= 4:
            first = (v[years[5]] - v[years[0]]) / 5
            trend = (v[later[-1]] - v[later[0]]) / (later[-1] - later[0])
            noise = 2 * math.hypot(s["se"][years[5]], s["se"][years[0]]) / 5
            rows.append((h.label, "trend", float(first - trend), float(largest + noise),
                         bool(abs(first - trend) <= largest + noise),
                         f"mean yearly change {first:+.4f} in the first five years against "
                         f"{trend:+.4f} in {later[0]}-{later[-1]}"))
        if h.direction and start_year <= 2014 and 2020 in s.index:
            d = v[2020] - v[max(start_year, 2014)]
            rows.append((h.label, "direction", float(d), float(h.direction),
                         bool(np.sign(d) == h.direction),
                         f"change {max(start_year, 2014)}-2020 {d:+.4f}; observed "
                         f"{'rising' if h.direction > 0 else 'falling'}"))
        if h.pace and 2014 in s.index and 2019 in s.index:
            obs = dict(h.observed)
            want = obs[2019] - obs[2014]
            d = v[2019] - v[2014]
            rows.append((h.label, "pace", float(d), float(want), bool(0.5 <= d / want <= 2.0),
                         f"change 2014-2019 {d:+.4f} against the observed {want:+.4f} (within "
                         "half to twice)"))
    return pd.DataFrame(rows, columns=["series", "check", "simulated", "allowed", "passes",
                                       "detail"])


def first_years(tables: Mapping[str, pd.DataFrame], years: list[int]) -> pd.DataFrame:
    """Replicate-mean values of the headline series in ``years`` (rows: series)."""
    out = {}
    for h in HEADLINES:
        if h.table in tables:
            s = _series(tables, h)["value"]
            out[h.label] = [float(s.get(y, np.nan)) for y in years]
    return pd.DataFrame(out, index=years).T
