"""The population table (persons by age group, households, demographic events) and the
generations alive, yearly; childhood income poverty by generation at the end of a run."""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable
from povsim.outcomes import AGE_GROUPS, Cells, tidy
from povsim.state import World

_AGE_NAMES = [lab.replace("-", "_").replace("+", "plus") for _, _, lab in AGE_GROUPS]
_EVENTS = ("births", "deaths", "infant_deaths", "marriages", "new_households")


def _collect_population(world: World, cells: Cells) -> None:
    P, H = world.P, world.H
    by_age, size_sum = _population_sums(cells.cell, cells.n_cells, world.age(), P.hh, H.size)
    by_age = by_age.astype(np.float64)
    total = by_age.sum(axis=1)
    cells.add("population", "persons", total, total, count=True)
    for i, name in enumerate(_AGE_NAMES):
        cells.add("population", f"persons_{name}", by_age[:, i], total, count=True)
        cells.add("population", f"share_{name}", by_age[:, i], total)
    cells.add("population", "mean_household_size", size_sum, total)
    cells.count("population", "households", float((H.size > 0).sum()))
    for ev in _EVENTS:
        cells.count("population", ev, world.events.get(ev, 0.0))
    # every table of a sampled run states its scale here: counts are the sample's x 1 / scale
    cells.count("population", "sampling_fraction", world.geo.sampling_fraction, weighted=False)


def _collect_generations(world: World, cells: Cells) -> None:
    n = np.bincount(world.P.generation.astype(np.int64))
    for g in np.flatnonzero(n):
        cells.count("generations", "persons", float(n[g]), by="generation", group=str(g))


def _generations_final(world: World) -> dict:
    """Childhood income poverty by generation, of persons with a full childhood observed."""
    P = world.P
    arc = world.archived()
    gen = np.concatenate([P.generation, arc["generation"]]).astype(np.int64)
    cpy = np.concatenate([P.child_poor_years, arc["child_poor_years"]]).astype(np.float64)
    cyo = np.concatenate([P.child_years_observed, arc["child_years_observed"]]).astype(np.float64)
    full = cyo >= 18
    recs = []
    if full.any():
        keys, inv = np.unique(gen[full], return_inverse=True)
        n = np.bincount(inv).astype(np.float64)
        share = np.bincount(inv, weights=cpy[full] / cyo[full])
        ever = np.bincount(inv, weights=(cpy[full] > 0).astype(np.float64))
        for i, k in enumerate(keys):
            recs.append((world.year, "generation", str(k), "childhood_poverty_years_share",
                         share[i], n[i], share[i] / n[i]))
            recs.append((world.year, "generation", str(k), "ever_poor_in_childhood_share",
                         ever[i], n[i], ever[i] / n[i]))
    return {"generations_final": tidy(recs)}


TABLES = (
    OutcomeTable(
        "population", "persons by age group, households, births and deaths",
        (Measure("persons", "persons", "count", "persons"),
         *(Measure(f"persons_{a}", f"persons aged {lab}", "count", "persons")
           for a, (_, _, lab) in zip(_AGE_NAMES, AGE_GROUPS, strict=True)),
         *(Measure(f"share_{a}", f"share of persons aged {lab}")
           for a, (_, _, lab) in zip(_AGE_NAMES, AGE_GROUPS, strict=True)),
         Measure("mean_household_size", "mean size of a person's household", "mean", "persons"),
         Measure("households", "occupied households", "count", "households"),
         *(Measure(ev, ev.replace("_", " ") + " this year", "count", "events") for ev in _EVENTS),
         Measure("sampling_fraction", "share of the area's villages simulated ([population] "
                 "scale); counts are full-area estimates (sample x 1 / scale)", "count",
                 "share of villages")),
        _collect_population),
    OutcomeTable(
        "generations", "persons by generation and childhood income poverty by generation",
        (Measure("persons", "persons alive by generation", "count", "persons"),
         Measure("childhood_poverty_years_share", "share of childhood years in income poverty"),
         Measure("ever_poor_in_childhood_share", "ever income-poor in childhood")),
        _collect_generations, _generations_final),
)


@njit(cache=True, nogil=True)
def _population_sums(cell, n_cells, age, hh, size):
    """Persons by (cell, age group 0-5 / 6-17 / 18-64 / 65+) and the sum of each person's
    household size by cell, in one branch-free pass (integer sums, exact)."""
    by_age = np.zeros((n_cells, 4), dtype=np.int64)
    size_sum = np.zeros(n_cells)
    for i in range(age.shape[0]):
        a = age[i]
        g = np.int64(a >= 6) + np.int64(a >= 18) + np.int64(a >= 65)
        c = cell[i]
        by_age[c, g] += 1
        size_sum[c] += size[hh[i]]
    return by_age, size_sum
