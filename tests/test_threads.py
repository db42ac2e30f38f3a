"""Results do not depend on the number of threads (see :mod:`povsim._threads`).

The per-row kernels split their rows among Numba's threads and the outcome tables are
collected on two threads; every table must come out identical, value for value and row
for row, to a run on one thread with the tables collected in order.  Kernels run on the
threads only for large inputs (``PARALLEL_MIN_ROWS``): here every input is large enough.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest

from povsim import _threads
from povsim._threads import configure, threaded
from povsim.model import PovertyModel
from povsim.scenario import load_scenario

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                reason="needs two cores to compare one thread with two")


def _tables(threads: int, monkeypatch) -> dict[str, pd.DataFrame]:
    monkeypatch.setenv("POVSIM_THREADS", str(threads))
    monkeypatch.setattr(_threads, "PARALLEL_MIN_ROWS", 0)
    scenario = load_scenario("scenarios/full_package.toml").with_overrides(
        population={"persons": 12_000}, time={"years": 8})
    model = PovertyModel(scenario, seed=3)
    assert model.threads == threads
    model.run()
    return model.tables(lineage=True)


def test_one_thread_and_two_give_the_same_tables(monkeypatch):
    one = _tables(1, monkeypatch)
    two = _tables(2, monkeypatch)
    assert list(one) == list(two)  # the same tables, in the same order
    assert {"income_poverty", "moda_summary", "moda_outcome", "lineage"} <= set(one)
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name], check_exact=True, obj=name)


def test_the_thread_count_follows_the_environment(monkeypatch):
    monkeypatch.setenv("POVSIM_THREADS", "1")
    assert configure() == 1
    assert numba.get_num_threads() == 1
    monkeypatch.setenv("POVSIM_THREADS", "2")
    assert configure() == 2
    monkeypatch.delenv("POVSIM_THREADS")
    assert configure() == numba.config.NUMBA_NUM_THREADS  # the main process: every core


def _uniform_reference(seed: int, name: str, year: int, ids: np.ndarray) -> np.ndarray:
    """Pure-numpy version of :meth:`povsim.rng.Streams.uniform`, to check the kernel."""
    from povsim.rng import _GOLDEN, _TWO52, Streams, _mix_array

    z = ids.astype(np.uint64) * np.uint64(_GOLDEN) + Streams(seed).key(name, year)
    return ((_mix_array(z) >> np.uint64(12)).astype(np.float64) + 0.5) * _TWO52


def test_parallel_draws_equal_the_reference():
    from povsim.rng import Streams, normals_at

    ids = np.arange(0, 200_000, 3, dtype=np.int64)
    s = Streams(11)
    assert np.array_equal(s.uniform("x", 2020, ids), _uniform_reference(11, "x", 2020, ids))
    rows = np.arange(0, len(ids), 2)
    assert np.array_equal(normals_at(s.key("y", 2020), ids, rows), s.normal("y", 2020, ids[rows]))


def test_threaded_kernels_pick_the_version_by_size(monkeypatch):
    """Below PARALLEL_MIN_ROWS a kernel runs its serial version, from then on the threaded
    one, and both give the same values."""
    calls = []

    @threaded(cache=False)
    def double(x):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            out[i] = 2.0 * x[i]
        return out

    assert double.parallel.targetoptions.get("parallel") and not double.serial.targetoptions.get("parallel")
    monkeypatch.setattr(_threads, "PARALLEL_MIN_ROWS", 100)
    for which in ("serial", "parallel"):
        real = getattr(double, which)
        monkeypatch.setattr(double, which, lambda x, real=real, which=which: calls.append(which) or real(x))
    x = np.arange(150.0)
    assert np.array_equal(double(x[:99]), 2 * x[:99]) and np.array_equal(double(x), 2 * x)
    assert calls == ["serial", "parallel"]


def test_kernels_are_sized_by_the_rows_they_loop_over(monkeypatch):
    """A kernel whose first array argument is not its rows (keys, a household mask) names
    its rows' argument: with 12,000 persons (about 4,000 households) and the threshold at
    5,000 rows, the person passes run on the threads.  (Sized by their first array, the
    development passes ran on one thread at any size.)"""
    from povsim.interventions import base
    from povsim.processes import development

    monkeypatch.setenv("POVSIM_THREADS", "2")
    monkeypatch.setattr(_threads, "PARALLEL_MIN_ROWS", 5_000)
    calls: list[str] = []
    kernels = {"development pass": development._development_pass, "development spin-up": development._spin_up,
               "members reached": base._members_of}
    for name, kernel in kernels.items():
        monkeypatch.setattr(kernel, "parallel",
                            lambda *a, real=kernel.parallel, name=name: calls.append(name) or real(*a))
    scenario = load_scenario("scenarios/full_package.toml").with_overrides(
        population={"persons": 12_000, "start": "synthetic"}, time={"years": 3})
    PovertyModel(scenario, seed=3).run()
    assert set(calls) == set(kernels)
