"""Shared small-scenario fixtures for the simulation-core tests.

Runs are cached per (persons, years, seed, parameter overrides) for the whole session, so
the baseline of a paired (common-random-numbers) comparison is simulated once and shared
by every test that needs it.  Cached models must be treated as read-only: a test that
steps or modifies a model must build its own with ``make_model``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from povsim.model import PovertyModel
from povsim.scenario import Scenario


def small_scenario(persons: int = 5000, years: int = 10, **parameters: float) -> Scenario:
    """The default scenario (Hubei geography) with a small population and few years."""
    return Scenario.default().with_overrides(
        population={"persons": persons}, time={"years": years}, parameters=parameters
    )


def make_model(persons: int = 5000, years: int = 10, seed: int = 1,
               **parameters: float) -> PovertyModel:
    """A fresh, initialised (not yet stepped) model the caller may modify."""
    return PovertyModel(small_scenario(persons, years, **parameters), seed=seed)


@dataclass(frozen=True)
class CachedRun:
    """A finished run: the model (read-only), its tables and per-year event counters."""

    model: PovertyModel
    tables: dict[str, pd.DataFrame]
    events: pd.DataFrame  # one row per simulated year, columns = world.events keys

    def series(self, table: str, measure: str, by: str = "all", group: str = "all",
               column: str = "value") -> pd.Series:
        """One measure of a tidy yearly table as a Series indexed by year."""
        df = self.tables[table]
        sel = df[(df["by"] == by) & (df["group"] == group) & (df["measure"] == measure)]
        if sel.empty:
            raise KeyError(f"no measure {measure!r} ({by}={group}) in table {table!r}")
        return sel.set_index("year")[column]


@functools.lru_cache(maxsize=48)
def _cached(persons: int, years: int, seed: int, params: tuple[tuple[str, float], ...]) -> CachedRun:
    model = make_model(persons, years, seed, **dict(params))
    events = []
    while model.world.year < model.end_year:
        model.step()
        events.append({"year": model.world.year, **model.world.events})
    return CachedRun(model=model, tables=model.tables(),
                     events=pd.DataFrame(events).set_index("year").fillna(0.0))


def run_cached(persons: int = 5000, years: int = 10, seed: int = 1,
               **parameters: float) -> CachedRun:
    """Run (or fetch from the session cache) a small scenario to its end."""
    return _cached(int(persons), int(years), int(seed), tuple(sorted(parameters.items())))


@pytest.fixture(scope="session")
def scenario_factory() -> Callable[..., Scenario]:
    """``scenario_factory(persons, years, **parameters)`` -> a small default scenario."""
    return small_scenario


@pytest.fixture(scope="session")
def model_factory() -> Callable[..., PovertyModel]:
    """``model_factory(persons, years, seed, **parameters)`` -> a fresh initialised model."""
    return make_model


@pytest.fixture(scope="session")
def cached_run() -> Callable[..., CachedRun]:
    """``cached_run(persons, years, seed, **parameters)`` -> a finished, shared run."""
    return run_cached
