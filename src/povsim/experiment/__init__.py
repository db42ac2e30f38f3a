"""Batch experiments: designs, a resumable run store, local and Dask executors.

An experiment is scenarios x parameter points x seeds (``experiments/*.toml``):

* :mod:`~povsim.experiment.design` — design files, grid / Latin hypercube / draws;
* :mod:`~povsim.experiment.keyspace` — every run and its key (hash of scenario, point, seed);
* :mod:`~povsim.experiment.runfile` — the self-checking result file of one run;
* :mod:`~povsim.experiment.store` — the batch folder: design, keyspace, runs, lock;
* :mod:`~povsim.experiment.worker` — what a worker does with one run;
* :mod:`~povsim.experiment.executors` — local process pool, Dask;
* :mod:`~povsim.experiment.estimate` — runtime and memory estimate, memory guard;
* :mod:`~povsim.experiment.collect` — one tidy table per output across runs;
* :mod:`~povsim.experiment.batch` — run / status / collect (``povsim batch``).
"""

from __future__ import annotations

from povsim.experiment.batch import BatchResult, BatchStatus, batch_folder, batch_status, collect_batch, run_batch
from povsim.experiment.design import Experiment, load_experiment
from povsim.experiment.errors import BatchError, BatchInterrupted
from povsim.experiment.keyspace import Keyspace, expand, run_key

__all__ = [
    "BatchError",
    "BatchInterrupted",
    "BatchResult",
    "BatchStatus",
    "Experiment",
    "Keyspace",
    "batch_folder",
    "batch_status",
    "collect_batch",
    "expand",
    "load_experiment",
    "run_batch",
    "run_key",
]
