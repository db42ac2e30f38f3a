"""The simulated area: counties, townships and villages, and the sample of villages a run
simulates.

Two kinds of area:

* an **area file** (``[population] geography = "hubei_pilot_area"``,
  ``src/povsim/data/hubei_pilot_area.toml``): the project area of the Hubei integrated child
  poverty reduction pilot at 1:1 -- 8 counties with their resident populations, their 104
  townships (66 in the project), about 2,450 villages, 80 of them pilot villages with child
  service centres; the other villages of the project townships are non-pilot project
  villages, the villages of the other townships the comparison area;
* a **synthetic** layout (the default, ``geography = "synthetic"``): ``pilot_villages +
  comparison_villages`` villages of ``village_size`` persons spread over ``townships``
  townships -- small worlds for tests and demonstrations.

``scale`` is a **sampling fraction**: a run simulates a sample of whole villages, each
village of the frame with the same inclusion probability ``scale`` (systematic sampling
within strata of area kind x county, ordered by township, so every stratum keeps its share
to within one village).  Sampled villages keep their full size, so centres, volunteers and
per-village costs behave as at full scale; every count and total a run reports is the
Horvitz-Thompson estimate (sample sum x ``1 / scale``), and every rate is a ratio of such
estimates, i.e. unbiased for the full area (Cochran 1977, *Sampling Techniques*, 3rd ed.,
ch. 8, systematic sampling; Horvitz & Thompson 1952, JASA 47:663).  Equal inclusion
probabilities make the sample self-weighting: one weight for every village.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from povsim.params import Param
from povsim.rng import Streams

#: Fixed key of the project layout of an area file (which townships are project townships,
#: which villages are pilot villages, village sizes): the same area in every run and
#: replicate, whatever the run's seed (the real lists were not available).  Village
#: attributes that vary between replicates (remoteness, water and sanitation coverage)
#: and the sample of villages come from the run's streams.
LAYOUT_SEED = 20140218

#: Kinds of village (``Geography.area_kind``): pilot village, other village of a project
#: township, village of a township outside the project (comparison area).
AREA_KINDS = ("pilot", "project", "non_project")

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
    Param("village_size_dispersion", 0.45, "SD of log village population", (0.25, 0.7),
          "Assumption: administrative villages of the pilot counties range from a few hundred "
          "to several thousand residents (mean ~1,000-2,000 by county, data/hubei_pilot_area."
          "toml)", "Dispersion of village populations within a township (area files only)",
          bounds=(0.0, 2.0)),
)

STREAMS = ("geography.remoteness", "geography.wash", "geography.sample", "geography.layout")


@dataclass
class Geography:
    """Villages of the simulated area (numpy columns, one row per simulated village).

    Attributes
    ----------
    counties
        County names (``county`` indexes them).
    county, township
        County code and township code (index into ``township_names``) of every village.
    pilot
        Pilot village (a village of the programme arm).
    remoteness_km, water_coverage, sanitation_coverage
        Distance to the township seat; initial shares of households with safe water and
        improved sanitation.
    size_weight
        Relative initial population (the synthetic population draws households by it).
    names
        Village labels (``county/township/index``, ``P`` marking pilot villages).
    population
        Initial persons of every village at full size (its population target).
    township_names, project_township
        Township labels and whether they are project townships.
    sampling_fraction
        Inclusion probability of every village of the frame (the scenario's ``scale``):
        1 for a full-scale run.
    frame_villages
        Villages in the full area (before sampling).
    area
        ``"synthetic"`` or the name of the area file.
    """

    counties: tuple[str, ...]
    county: np.ndarray
    township: np.ndarray
    pilot: np.ndarray
    remoteness_km: np.ndarray
    water_coverage: np.ndarray
    sanitation_coverage: np.ndarray
    size_weight: np.ndarray
    names: list[str] = field(default_factory=list)
    population: np.ndarray | None = None
    township_names: tuple[str, ...] = ()
    project_township: np.ndarray | None = None
    sampling_fraction: float = 1.0
    frame_villages: int = 0
    area: str = "synthetic"

    @property
    def n(self) -> int:
        return len(self.county)

    @property
    def weight(self) -> float:
        """Sampling weight of every simulated village (``1 / sampling_fraction``)."""
        return 1.0 / self.sampling_fraction

    @property
    def project(self) -> np.ndarray:
        """Village in a project township (pilot villages included)."""
        if self.project_township is None:
            return self.pilot.copy()
        return self.project_township[self.township] | self.pilot

    @property
    def area_kind(self) -> np.ndarray:
        """Kind of every village: 0 pilot, 1 other project-township village, 2 outside the
        project townships (index into :data:`AREA_KINDS`)."""
        return np.where(self.pilot, 0, np.where(self.project, 1, 2)).astype(np.int8)

    @property
    def persons(self) -> int:
        """Initial persons of the simulated villages."""
        return int(self.population.sum()) if self.population is not None else 0

    def subset(self, rows: np.ndarray, sampling_fraction: float) -> Geography:
        """The villages ``rows`` (ascending) as a geography sampled at ``sampling_fraction``."""
        rows = np.asarray(rows, dtype=np.int64)
        pick = lambda a: None if a is None else a[rows]  # noqa: E731
        return replace(
            self, county=self.county[rows], township=self.township[rows], pilot=self.pilot[rows],
            remoteness_km=self.remoteness_km[rows], water_coverage=self.water_coverage[rows],
            sanitation_coverage=self.sanitation_coverage[rows], size_weight=self.size_weight[rows],
            names=[self.names[i] for i in rows.tolist()], population=pick(self.population),
            sampling_fraction=float(sampling_fraction),
            frame_villages=self.frame_villages or self.n)

# ---------------------------------------------------------------------------------------
# Building a geography
# ---------------------------------------------------------------------------------------


def build_geography(pop, params, streams: Streams) -> Geography:
    """The sampled geography of a run from its ``[population]`` table.

    Parameters
    ----------
    pop
        The scenario's :class:`povsim.scenario.PopulationConfig`.
    params
        Model parameters (WASH coverage, remoteness, village size dispersion).
    streams
        The run's random streams (village attributes and the sample).
    """
    if pop.geography == "synthetic":
        frame = make_geography(tuple(pop.counties), pop.pilot_villages, pop.comparison_villages,
                               pop.townships, params, streams)
        sizes = frame.size_weight / frame.size_weight.sum() * pop.frame_persons
        frame.population = np.round(sizes).astype(np.int64)
        frame.frame_villages = frame.n
    else:
        area = load_area(pop.geography)
        frame = make_area_geography(area, params, streams, counties=_area_counties(pop, area))
    return sample_villages(frame, pop.sampling_fraction, streams)


def sample_villages(frame: Geography, fraction: float, streams: Streams) -> Geography:
    """A systematic equal-probability sample of the frame's villages.

    Villages are ordered by stratum (area kind, then county), then township and village, so
    every stratum and township keeps its share of the sample (implicit stratification); a
    random start in ``[0, 1 / fraction)`` (stream ``geography.sample``) picks every
    ``1 / fraction``-th village.  Each village's inclusion probability is exactly
    ``fraction`` (Cochran 1977, *Sampling Techniques*, sec. 8.2).  ``fraction = 1`` keeps
    every village, in the frame's order.
    """
    if fraction >= 1.0:
        return frame
    order = np.lexsort((np.arange(frame.n), frame.township, frame.county, frame.area_kind))
    step = 1.0 / fraction
    start = float(streams.uniform("geography.sample", 0, np.zeros(1, dtype=np.int64))[0]) * step
    # position k of the ordered list is taken when a point start + j * step falls in [k, k+1)
    points = np.floor(start + step * np.arange(int(np.ceil(frame.n / step)) + 1)).astype(np.int64)
    points = points[points < frame.n]
    rows = np.sort(order[points])
    if len(rows) == 0:  # a frame smaller than 1 / fraction: keep one village (the first point)
        rows = np.sort(order[:1])
    return frame.subset(rows, fraction)


def make_geography(
    counties: tuple[str, ...],
    pilot_villages: int,
    comparison_villages: int,
    townships: int,
    params,
    streams: Streams,
) -> Geography:
    """Lay out a synthetic area: villages over counties and townships, with remoteness and
    WASH coverage.

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
    remote, water, sanit = _village_attributes(vid, params, streams)
    size_weight = np.exp(0.3 * (2 * u - 1))
    names = [
        f"{counties[c]}-{'P' if p else 'C'}{i:03d}"
        for i, (c, p) in enumerate(zip(county.tolist(), pilot.tolist(), strict=True))
    ]
    project_township = np.zeros(len(t_ids), dtype=bool)
    project_township[np.unique(township[pilot])] = True
    return Geography(
        counties=tuple(counties), county=county, township=township, pilot=pilot,
        remoteness_km=remote, water_coverage=water, sanitation_coverage=sanit,
        size_weight=size_weight, names=names,
        township_names=synthetic_township_names(counties, townships),
        project_township=project_township,
        frame_villages=n_v,
    )


def synthetic_township_names(counties: tuple[str, ...], townships: int) -> tuple[str, ...]:
    """Township names of a synthetic area (``County-Tnn``, townships dealt round-robin over
    the counties as in :func:`make_geography`)."""
    return tuple(f"{counties[t % len(counties)]}-T{t:02d}" for t in range(max(townships, len(counties))))


def township_names(pop) -> tuple[str, ...]:
    """Township names of a ``[population]`` table's geography (``County/township`` in an
    area file, ``County-Tnn`` in a synthetic one): what ``targeting.townships`` may name."""
    if pop.geography == "synthetic":
        return synthetic_township_names(tuple(pop.counties), pop.townships)
    area = load_area(pop.geography)
    chosen = _area_counties(pop, area) or area.county_names
    return tuple(f"{c.name}/{t}" for c in area.counties if c.name in chosen for t in c.townships)


def _area_counties(pop, area: Area) -> tuple[str, ...] | None:
    """The counties of ``area`` a ``[population]`` table simulates: its county list when the
    area has all of them, else (``None``) all of the area's.  The default list is the Hubei
    pilot's, so an area file with other counties uses all of its own."""
    return tuple(pop.counties) if set(pop.counties) <= set(area.county_names) else None


def _village_attributes(vid: np.ndarray, params, streams: Streams):
    """Remoteness (km) and initial safe-water and sanitation coverage of villages ``vid``:
    one uniform per village and attribute (CRN-stable whatever the parameters)."""
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
    return remote, water, sanit


# ---------------------------------------------------------------------------------------
# Area files
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    """One ``[[counties]]`` entry of an area file."""

    name: str
    population: int
    villages: int
    townships: tuple[str, ...]
    seat: str
    township_population: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Area:
    """An area file: its counties and the project footprint."""

    name: str
    counties: tuple[County, ...]
    project_townships: int
    pilot_villages_per_county: int
    path: str

    @property
    def county_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.counties)


def area_path(name: str) -> Path:
    """File of an area: a packaged name (``hubei_pilot_area``) or a path to a TOML file."""
    p = Path(name)
    if p.suffix == ".toml":
        return p
    return Path(__file__).resolve().parent / "data" / f"{name}.toml"


def area_names() -> list[str]:
    """Names of the packaged area files."""
    return sorted(p.stem for p in (Path(__file__).resolve().parent / "data").glob("*_area.toml"))


@functools.cache
def load_area(name: str) -> Area:
    """Read an area file (see ``src/povsim/data/hubei_pilot_area.toml`` for the format).

    Raises
    ------
    ValueError
        When the file is missing or inconsistent (the message names file, key and value).
    """
    path = area_path(name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the area file ({exc.strerror}); "
                         f"packaged areas: {', '.join(area_names())}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    counties = []
    for i, c in enumerate(data.get("counties", [])):
        where = f"{path}: counties[{i}]"
        tp = c.get("township_population")
        if tp is not None and len(tp) != len(c["townships"]):
            raise ValueError(f"{where}.township_population: {len(tp)} values for "
                             f"{len(c['townships'])} townships; give one per township")
        if c["seat"] not in c["townships"]:
            raise ValueError(f"{where}.seat: {c['seat']!r} is not one of its townships")
        if c["villages"] < len(c["townships"]):
            raise ValueError(f"{where}.villages: {c['villages']} villages for "
                             f"{len(c['townships'])} townships; expected at least one each")
        counties.append(County(c["name"], int(c["population"]), int(c["villages"]),
                               tuple(c["townships"]), c["seat"],
                               None if tp is None else tuple(int(x) for x in tp)))
    if not counties:
        raise ValueError(f"{path}: no [[counties]]; expected at least one county")
    proj = data.get("project", {})
    return Area(name=data.get("area", {}).get("name", path.stem), counties=tuple(counties),
                project_townships=int(proj.get("townships", 0)),
                pilot_villages_per_county=int(proj.get("pilot_villages_per_county", 0)),
                path=str(path))


def _largest_remainder(total: int, weights: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainder; ties to
    the first), each at most ``cap``."""
    w = np.asarray(weights, dtype=np.float64)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    quota = total * w / w.sum()
    out = np.minimum(np.floor(quota).astype(np.int64), cap)
    rest = quota - out
    while out.sum() < total:
        free = out < cap
        if not free.any():
            break
        cand = np.flatnonzero(free)
        i = int(cand[np.argmax(rest[cand])])  # the largest remainder among those not capped
        out[i] += 1
        rest[i] = -np.inf
    return out


def make_area_geography(area: Area, params, streams: Streams,
                        counties: tuple[str, ...] | None = None) -> Geography:
    """The full geography (every village) of an area file.

    Villages are spread over a county's townships in proportion to the townships'
    populations where the file gives them, evenly otherwise; village populations scatter
    around their township's mean (log-normal, SD ``village_size_dispersion``) and add up to
    the county population.  Project townships and pilot villages follow the file's
    ``[project]`` footprint (see its comments), drawn from :data:`LAYOUT_SEED`.

    Parameters
    ----------
    counties
        Only these counties of the area (``None`` or the area's own list: all of them).
    """
    layout = Streams(LAYOUT_SEED)
    chosen = area.counties if not counties or set(counties) == set(area.county_names) else \
        tuple(c for c in area.counties if c.name in counties)
    # project townships per county: proportional to the number of townships, never the
    # seat, and no more than the county's pilot villages (each holds at least one)
    n_t = np.array([len(c.townships) for c in area.counties])
    eligible = n_t - 1
    if area.pilot_villages_per_county:
        eligible = np.minimum(eligible, area.pilot_villages_per_county)
    per_county = _largest_remainder(area.project_townships, n_t, eligible) \
        if area.project_townships else np.zeros(len(n_t), dtype=np.int64)
    t_names, t_county, t_project, v_county, v_township, v_pop, v_pilot = [], [], [], [], [], [], []
    keep = {c.name for c in chosen}
    code = 0
    for ci, c in enumerate(area.counties):
        k = len(c.townships)
        tkey = layout.uniform("geography.layout", ci, np.arange(k), sub=0)
        seat = c.townships.index(c.seat)
        tkey[seat] = 2.0  # never drawn
        project = np.zeros(k, dtype=bool)
        project[np.argsort(tkey, kind="stable")[:per_county[ci]]] = True
        tpop = np.array(c.township_population if c.township_population else [1] * k, dtype=np.float64)
        n_vil = _largest_remainder(c.villages, tpop, np.full(k, c.villages))
        n_vil = np.maximum(n_vil, 1)
        t_people = tpop / tpop.sum() * c.population
        for t in range(k):
            m = int(n_vil[t])
            z = layout.normal("geography.layout", ci, np.arange(m) + 1000 * (t + 1), sub=1)
            w = np.exp(params.village_size_dispersion * z)
            pop_t = np.maximum(np.round(t_people[t] * w / w.sum()), 50).astype(np.int64)
            if c.name in keep:
                t_names.append(f"{c.name}/{c.townships[t]}")  # as township_names()
                t_county.append(code)
                t_project.append(bool(project[t]))
                v_county.extend([code] * m)
                v_township.extend([len(t_names) - 1] * m)
                v_pop.extend(pop_t.tolist())
                v_pilot.extend([False] * m)
        if c.name in keep:
            code += 1
    county = np.array(v_county, dtype=np.int32)
    township = np.array(v_township, dtype=np.int32)
    population = np.array(v_pop, dtype=np.int64)
    vid = np.arange(len(county))
    remote, water, sanit = _village_attributes(vid, params, streams)
    # remoteness rank of the villages within their township, from the fixed layout key
    # (pilot villages are the remotest villages of the project townships; see the file)
    lay_remote = layout.uniform("geography.layout", 10_000, vid, sub=2)
    pilot = np.zeros(len(county), dtype=bool)
    t_project = np.array(t_project, dtype=bool)
    t_county_arr = np.array(t_county, dtype=np.int32)
    per_village = area.pilot_villages_per_county
    for c in range(code):
        ts = np.flatnonzero((t_county_arr == c) & t_project)
        if len(ts) == 0 or per_village == 0:
            continue
        # one pilot village per project township, the rest to the largest project townships
        villages = np.array([np.count_nonzero(township == t) for t in ts])
        extra = _largest_remainder(per_village, villages, villages)
        extra = np.maximum(extra, 1)
        while extra.sum() > per_village:  # more project townships than pilot villages
            extra[int(np.argmax(extra))] -= 1
        for t, m in zip(ts.tolist(), extra.tolist(), strict=True):
            rows = np.flatnonzero(township == t)
            pilot[rows[np.argsort(-lay_remote[rows], kind="stable")[:m]]] = True
    # the pilot villages are the remote ones: their remoteness is the larger of the drawn
    # value and the township's median
    if pilot.any():
        remote = np.where(pilot, np.maximum(remote, params.remoteness_median_km), remote)
    county_names = tuple(c.name for c in area.counties if c.name in keep)
    within = np.zeros(len(county), dtype=np.int64)
    for t in np.unique(township):
        rows = np.flatnonzero(township == t)
        within[rows] = np.arange(len(rows))
    names = [f"{t_names[t]}/{'P' if p else 'v'}{w:03d}"
             for t, p, w in zip(township.tolist(), pilot.tolist(), within.tolist(), strict=True)]
    return Geography(
        counties=county_names, county=county, township=township, pilot=pilot,
        remoteness_km=remote, water_coverage=water, sanitation_coverage=sanit,
        size_weight=population.astype(np.float64), names=names, population=population,
        township_names=tuple(t_names),
        project_township=t_project, frame_villages=len(county), area=area.name,
    )
