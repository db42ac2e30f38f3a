"""The initial population of a run: spun up from history (default), or synthetic.

*Spin-up.*  A synthetic population of an early year (``[population] spinup_from``,
default 1980) is drawn from the marginal distributions of that year
(:func:`povsim.population.synthesize`: younger wives with their birth cohorts'
fertility, no labour migrants) and run forward by the model's own yearly processes to
the scenario's start year with their period paths (:mod:`povsim.periods`: life tables,
fertility, marriage ages, migration waves, the expansion of schooling, real income
growth, the rural pension from 2009 and Dibao from 2007, registration of poor
households in 2014).  Each historical year the earnings level is pinned so that mean
income follows the declared growth path.  The state after the start year's step is the
initial state: household composition, cohort schooling, completed fertility, lineages
(grandparents with histories), wealth and left-behind arrangements are the model's own
history.  The population is then trimmed, whole households at random within each
village, to the scenario's size (village sizes from the geography's weights).

*Cache.*  A spin-up is stored on disk (``$POVSIM_CACHE_DIR``, default
``$XDG_CACHE_HOME/povsim`` or ``~/.cache/povsim``; folder ``spinup``; at most 48 entries
and 2 GB, the oldest removed first), keyed by
everything it depends on: the model's code fingerprint, the seed, the geography, the
years, the size and every parameter value.  Interventions are not part of the key (they
act only from the start year), so every scenario of a comparison starts from the same
spun-up world for a given seed, and replicates (different seeds) share nothing but the
cache's folder: common random numbers hold.  A loaded world is bit-identical to a
freshly spun-up one.

The yearly outcome tables of the historical years (whole population) are kept with the
world and returned by the run as ``history_<table>`` tables.

*Synthetic start* (``[population] start = "synthetic"``): the start year's population
drawn directly from that year's marginals; its first years relax towards the model's own
dynamics, which a run reports in its notes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from povsim.geography import Geography
from povsim.outcomes import Collector
from povsim.population import new_household_table, new_person_table, new_village_table, synthesize
from povsim.rng import Streams
from povsim.state import World
from povsim.table import remap_inplace

#: Yearly tables kept for the historical years (whole population)
HISTORY_TABLES = ("population", "demography", "household_composition", "income_poverty",
                  "left_behind", "enrolment", "stunting", "anaemia", "wealth",
                  "poverty_policy")

#: Bump when the cache file layout changes
_CACHE_FORMAT = 1
#: Entries and bytes kept in the cache folder (oldest removed first); only spin-up files
#: are removed
_CACHE_KEEP = 48
_CACHE_BYTES = 2 * 1024**3

#: Persons drawn in the first year beyond the expected need, so that trimming (rather
#: than a second spin-up) reaches the scenario's size
_MARGIN = 1.06


@dataclass
class InitialState:
    """The world at the start year and where it came from."""

    world: World
    start: str  # "spinup" or "synthetic"
    history: dict[str, pd.DataFrame] = field(default_factory=dict)
    key: str = ""
    cached: bool = False


def initial_state(scenario, geo: Geography, params, seed: int, persons: int) -> InitialState:
    """The start year's world of ``scenario`` with ``persons`` initial persons (spun up,
    from the cache when present, or synthetic)."""
    pop, tm = scenario.population, scenario.time
    target = int(persons)
    if pop.start == "synthetic":
        streams = Streams(seed)
        P, H = synthesize(geo, target, tm.start_year, params, streams)
        world = World(P=P, H=H, V=new_village_table(geo), geo=geo, year=tm.start_year,
                      start_year=tm.start_year)
        return InitialState(world, "synthetic")
    first = pop.spinup_from
    key = cache_key(geo, params, seed, first, tm.start_year, target)
    loaded = _load(key, geo)
    if loaded is not None:
        world, history = loaded
        return InitialState(world, "spinup", history, key, True)
    world, history = spin_up(geo, params, seed, first, tm.start_year, target)
    _save(key, world, history)
    return InitialState(world, "spinup", history, key, False)


def spin_up(geo: Geography, params, seed: int, first: int, start_year: int,
            target: int) -> tuple[World, dict[str, pd.DataFrame]]:
    """Run the model's processes from ``first`` to ``start_year`` (its step included) and
    trim to ``target`` persons; returns the world and the history tables."""
    if first >= start_year:
        from povsim.errors import RunError

        raise RunError(f"spin-up year {first} is not before the start year {start_year}")
    need = target * _MARGIN / params.spinup_growth
    world, history = _run_history(geo, params, seed, first, start_year, int(np.ceil(need)))
    if world.P.n < target:
        # the population grew less than assumed: once more, sized from what was seen
        need = need * target / max(world.P.n, 1) * 1.03
        world, history = _run_history(geo, params, seed, first, start_year, int(np.ceil(need)))
    trim(world, target, Streams(seed))
    return world, history


def _run_history(geo: Geography, params, seed: int, first: int, start_year: int,
                 persons: int) -> tuple[World, dict[str, pd.DataFrame]]:
    from povsim import registry
    from povsim.model import PROCESSES
    from povsim.processes.earnings import calibrate_level

    streams = Streams(seed)
    P, H = synthesize(geo, persons, first, params, streams)
    world = World(P=P, H=H, V=new_village_table(geo), geo=geo, year=first,
                  start_year=start_year)
    for init in registry.hooks("initialise"):
        init(world, params, streams)
    collector = Collector(by=(), tables=HISTORY_TABLES)
    collector.collect(world)
    end_hooks = registry.hooks("end_of_year")
    for year in range(first + 1, start_year + 1):
        world.year = year
        world.events = {}
        # mean income follows the declared growth path in history
        world.income_level = calibrate_level(world, params, streams)
        for process in PROCESSES:
            process.step(world, params, streams)
        for hook in end_hooks:
            hook(world, params, streams)
        if year < start_year:
            collector.collect(world)
    world.scratch.clear()
    return world, collector.frames()


def trim(world: World, target: int, streams: Streams) -> None:
    """Keep whole households, at random within each village (a fixed key per household),
    until the villages hold ``target`` persons, each its share (``geo.size_weight``) as
    far as its population allows; the persons of the other households leave the simulated
    area (they and their records are dropped, the links of their relatives to them cut)."""
    P, H, geo = world.P, world.H, world.geo
    excess = P.n - target
    if excess <= 0:
        return
    size = np.bincount(P.hh, minlength=H.n)
    w = geo.size_weight / geo.size_weight.sum()
    # villages below their share keep everyone; the others are cut to c x their share,
    # with c chosen so that the total is the target (water filling, by bisection)
    have = np.bincount(H.village, weights=size, minlength=geo.n)
    lo, hi = 0.0, float(have.max() / max(target * w.min(), 1e-9)) + 1.0
    for _ in range(60):
        c = 0.5 * (lo + hi)
        if np.minimum(have, c * target * w).sum() < target:
            lo = c
        else:
            hi = c
    quota = hi * target * w
    key = streams.uniform("spinup.trim", 0, H.id)
    order = np.lexsort((key, H.village))
    v = H.village[order]
    s_sorted = size[order]
    excl = np.cumsum(s_sorted) - s_sorted  # persons in the households sorted before
    first = np.searchsorted(v, v, side="left")
    before = excl - excl[first]  # ... within the same village
    keep_h = np.zeros(H.n, dtype=bool)
    keep_h[order] = before < quota[v]
    keep_h &= size > 0
    keep_p = keep_h[P.hh]
    pmap = P.compact(keep_p)
    for col in ("mother_row", "father_row", "partner_row"):
        remap_inplace(P[col], pmap)
    hmap = H.compact(keep_h)
    remap_inplace(P.hh, hmap)
    H["size"] = np.bincount(P.hh, minlength=H.n)
    world._age = None
    world._age_key = (-1, -1, -1)


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """The folder of cached spin-ups (``$POVSIM_CACHE_DIR/spinup``, default under
    ``$XDG_CACHE_HOME/povsim`` or ``~/.cache/povsim``)."""
    root = os.environ.get("POVSIM_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(xdg, "povsim")
    return Path(root) / "spinup"


def cache_key(geo: Geography, params, seed: int, first: int, start_year: int,
              target: int) -> str:
    """Hash of everything a spin-up depends on: the model code, the seed, the years, the
    size, the geography and every parameter value."""
    from povsim.fingerprint import model_fingerprint

    h = hashlib.sha256()
    h.update(json.dumps([_CACHE_FORMAT, model_fingerprint(), int(seed), int(first),
                         int(start_year), int(target), list(geo.counties),
                         sorted((k, repr(float(v))) for k, v in params.items())]).encode())
    for arr in (geo.county, geo.township, geo.pilot, geo.remoteness_km, geo.water_coverage,
                geo.sanitation_coverage, geo.size_weight,
                *((geo.population,) if geo.population is not None else ()),
                np.asarray([geo.sampling_fraction], dtype=np.float64)):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:32]


def _path(key: str) -> Path:
    return cache_dir() / f"spinup-{key}.npz"


def _save(key: str, world: World, history: dict[str, pd.DataFrame]) -> None:
    """Write the spun-up world atomically; a failure to write only costs the next run
    a spin-up."""
    from povsim.errors import OutputError
    from povsim.output import atomic_write_bytes

    arrays: dict[str, np.ndarray] = {}
    for prefix, table in (("P", world.P), ("H", world.H), ("V", world.V)):
        for col in table.columns:
            arrays[f"{prefix}.{col}"] = np.asarray(table[col])
    arc = world.archived()
    for col, values in arc.items():
        arrays[f"A.{col}"] = values
    for name, df in history.items():
        for col in df.columns:
            values = df[col].to_numpy()
            arrays[f"T.{name}.{col}"] = values.astype(str) if values.dtype == object else values
    meta = {"year": world.year, "start_year": world.start_year,
            "income_level": world.income_level, "events": world.events,
            "format": _CACHE_FORMAT}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(_path(key), buf.getvalue())
        _prune(folder)
    except (OSError, OutputError):
        return


def _load(key: str, geo: Geography) -> tuple[World, dict[str, pd.DataFrame]] | None:
    f = _path(key)
    if not f.is_file():
        return None
    try:
        with np.load(f, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(bytes(data.pop("meta")).decode())
    except (OSError, ValueError, KeyError, EOFError):
        return None  # a damaged entry is spun up again (and overwritten)
    if meta.get("format") != _CACHE_FORMAT:
        return None
    tables = {}
    for prefix, make in (("P", new_person_table), ("H", new_household_table)):
        cols = {k[2:]: v for k, v in data.items() if k.startswith(prefix + ".")}
        n = len(next(iter(cols.values())))
        t = make(int(n * 1.6) + 64)
        if set(cols) != set(t.columns):
            return None  # written by other model code: not this key's (defensive)
        t.append(n, **cols)
        tables[prefix] = t
    V = new_village_table(geo)
    for k, v in data.items():
        if k.startswith("V."):
            V[k[2:]] = v
    archive = {k[2:]: v for k, v in data.items() if k.startswith("A.")}
    world = World(P=tables["P"], H=tables["H"], V=V, geo=geo, year=int(meta["year"]),
                  start_year=int(meta["start_year"]))
    world.income_level = float(meta["income_level"])
    world.events = {k: float(v) for k, v in meta["events"].items()}
    if archive and len(next(iter(archive.values()))):
        world.archive.append(archive)
    history: dict[str, dict[str, np.ndarray]] = {}
    for k, v in data.items():
        if k.startswith("T."):
            _, name, col = k.split(".", 2)
            history.setdefault(name, {})[col] = v
    frames = {name: pd.DataFrame(cols)[list(cols)] for name, cols in history.items()}
    return world, frames


def _prune(folder: Path) -> None:
    """Remove the oldest spin-up files beyond :data:`_CACHE_KEEP` entries or
    :data:`_CACHE_BYTES` in all (never the newest; nothing but spin-up files)."""
    files = sorted(folder.glob("spinup-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for k, f in enumerate(files):
        try:
            total += f.stat().st_size
            if k > 0 and (k >= _CACHE_KEEP or total > _CACHE_BYTES):
                f.unlink()
        except OSError:
            pass
