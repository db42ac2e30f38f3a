"""The keyspace of a batch: every run as (scenario, parameter point, replicate seed).

Each run has a key: the first 16 hex digits of the SHA-256 of its resolved scenario (the
scenario as run, without its free-text description), its parameter point and its seed.
A key depends on nothing else — not on the design method, the number of points or
replicates, nor on the position of the run in the batch — so a changed design
(``--extend``) finds the runs it shares with the earlier one already done.

Runs are ordered replicate first, then point, then scenario: a batch stopped early has
the scenarios of each point side by side (paired comparisons) and whole replicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from povsim.experiment.design import Experiment
from povsim.experiment.runfile import canonical_json
from povsim.scenario import Scenario

__all__ = ["Keyspace", "RunEntry", "expand", "run_key", "scenario_identity"]

KEY_LENGTH = 16


def scenario_identity(scenario: Scenario) -> dict[str, Any]:
    """What of a scenario determines its results: the resolved dict without the description."""
    data = scenario.resolved_dict()
    data["scenario"] = {k: v for k, v in data["scenario"].items() if k != "description"}
    return data


def run_key(scenario: Scenario | Mapping[str, Any], point: Mapping[str, float], seed: int) -> str:
    """The key of one run: ``sha256(scenario identity, point, seed)``, first 16 hex digits.

    Parameters
    ----------
    scenario
        The scenario (before the point is applied), or its :func:`scenario_identity`.
    point
        Parameter values of the point (empty for no varied parameters).
    seed
        The run's seed.
    """
    ident = scenario_identity(scenario) if isinstance(scenario, Scenario) else dict(scenario)
    text = canonical_json({"scenario": ident, "point": {k: float(v) for k, v in point.items()}, "seed": int(seed)})
    return hashlib.sha256(text).hexdigest()[:KEY_LENGTH]


@dataclass(frozen=True)
class RunEntry:
    """One run of a batch."""

    key: str
    scenario: str
    scenario_file: str
    point: int
    parameters: Mapping[str, float]
    replicate: int
    seed: int

    def row(self, names: tuple[str, ...]) -> dict[str, Any]:
        """The run as a flat record (``keyspace.csv``)."""
        return {"run_key": self.key, "scenario": self.scenario, "point": self.point,
                **{n: self.parameters.get(n, float("nan")) for n in names},
                "replicate": self.replicate, "seed": self.seed, "scenario_file": self.scenario_file}


@dataclass(frozen=True)
class Keyspace:
    """All runs of an experiment, in run order.

    Attributes
    ----------
    entries
        One :class:`RunEntry` per run.
    parameters
        Names of the varied parameters (the parameter columns of the results).
    scenarios
        Scenario name -> scenario (overrides applied, point not applied).
    """

    entries: tuple[RunEntry, ...]
    parameters: tuple[str, ...]
    scenarios: Mapping[str, Scenario]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[RunEntry]:
        return iter(self.entries)

    @property
    def keys(self) -> list[str]:
        """Run keys, in run order."""
        return [e.key for e in self.entries]

    def fingerprint(self, outputs: tuple[str, ...] | None) -> str:
        """SHA-256 of the set of keys and the outputs kept (``None``: the default): equal for equal designs."""
        text = canonical_json({"keys": sorted(self.keys), "outputs": sorted(outputs) if outputs is not None else None})
        return hashlib.sha256(text).hexdigest()

    def to_frame(self) -> pd.DataFrame:
        """One row per run: ``run_key, scenario, point, <parameters>, replicate, seed, scenario_file``."""
        cols = ["run_key", "scenario", "point", *self.parameters, "replicate", "seed", "scenario_file"]
        return pd.DataFrame([e.row(self.parameters) for e in self.entries], columns=cols)

    def to_json(self) -> dict[str, Any]:
        """The keyspace as JSON-able data (``keyspace.json``)."""
        return {"parameters": list(self.parameters),
                "runs": [e.row(self.parameters) for e in self.entries]}


def expand(experiment: Experiment) -> Keyspace:
    """Every run of ``experiment``: replicates x points x scenarios.

    Raises
    ------
    ValueError
        Two runs would have the same key (cannot happen for a validated design).
    """
    idents = {sc.name: scenario_identity(sc) for _, sc in experiment.scenarios}
    entries: list[RunEntry] = []
    for r, seed in enumerate(experiment.seeds):
        for i, point in enumerate(experiment.points):
            for file, sc in experiment.scenarios:
                key = run_key(idents[sc.name], point, seed)
                entries.append(RunEntry(key=key, scenario=sc.name, scenario_file=file, point=i,
                                        parameters=dict(point), replicate=r, seed=seed))
    if len({e.key for e in entries}) != len(entries):
        raise ValueError("two runs of the design have the same key")
    return Keyspace(entries=tuple(entries), parameters=experiment.parameters,
                    scenarios={sc.name: sc for _, sc in experiment.scenarios})
