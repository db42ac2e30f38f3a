"""How many threads the compiled per-row kernels use.

The per-person passes that dominate a year (earnings, development, growth, anaemia,
migration, deaths, the MODA scores, the sort) compute every row independently — draws are
keyed by person id, nothing reads another row's result — so they run their rows on
Numba's threads (``prange``) when they have enough rows (:func:`threaded`).  Sums over rows
stay in serial loops in row order, so the results are the same whatever the number of
threads (``tests/test_threads.py``).

* A run in the main process uses every core Numba sees.
* A run in a worker process (``--workers``, batches, trials, Dask) uses one thread: the
  workers already share the cores.
* ``POVSIM_THREADS=N`` overrides both.

GNU OpenMP, Numba's default threading layer on Linux, does not survive a fork of a
process that has used it: worker pools start their workers with ``spawn``, or fork
them from a fork server that has run no model.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import types
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["PARALLEL_MIN_ROWS", "configure", "count", "over_columns", "pool", "threaded"]

#: Rows below which a :func:`threaded` kernel runs on the calling thread alone.  Waking the
#: kernel threads for a parallel region costs 50-200 us on this machine's virtual CPUs once
#: they have gone to sleep, which is what they do between the passes of a year; that is
#: more than the work of a pass over several ten thousand rows, and the passes of a
#: 100,000-person run were slower on two threads than on one
#: (``benchmarks/estimate_check.py --serial``).
PARALLEL_MIN_ROWS = 200_000


def count(in_worker: bool | None = None) -> int:
    """The kernel thread count :func:`configure` sets in a worker process (``in_worker``)
    or in the main process (default: this process)."""
    import numba

    if in_worker is None:
        in_worker = multiprocessing.parent_process() is not None
    env = os.environ.get("POVSIM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        n = int(env)
    elif in_worker:
        n = 1
    else:
        n = numba.config.NUMBA_NUM_THREADS
    return max(1, min(n, numba.config.NUMBA_NUM_THREADS))


def configure() -> int:
    """Set this thread's kernel thread count (see the module doc); return it."""
    import numba

    n = count()
    numba.set_num_threads(n)
    return n


def threaded(size: int | None = None, **options: Any) -> Callable[[Callable], Callable]:
    """Compile a kernel twice, on the threads (``parallel=True``: its ``prange`` loops are
    split among them) and on the calling thread (``prange`` runs as ``range``), and call
    the first for inputs of at least :data:`PARALLEL_MIN_ROWS` rows.

    The rows are the length of argument ``size`` (default: the first array argument).  Both
    versions compute every row the same way, so the results do not depend on which runs.
    ``options`` go to :func:`numba.njit` (``cache=True`` keeps both on disk: the serial
    version is compiled from a copy of the function named ``<name>_serial``).  The two
    dispatchers are the attributes ``parallel`` and ``serial`` of the returned function
    (compiled code calls one of them).
    """
    from numba import njit

    def wrap(fn: Callable) -> Callable:
        copy = types.FunctionType(fn.__code__, fn.__globals__, f"{fn.__name__}_serial", fn.__defaults__,
                                  fn.__closure__)
        copy.__qualname__ = f"{fn.__qualname__}_serial"
        copy.__module__ = fn.__module__
        par, ser = njit(parallel=True, **options)(fn), njit(**options)(copy)

        @functools.wraps(fn)
        def call(*args: Any) -> Any:
            rows = args[size] if size is not None else next(a for a in args if isinstance(a, np.ndarray))
            return (call.parallel if len(rows) >= PARALLEL_MIN_ROWS else call.serial)(*args)

        call.parallel, call.serial = par, ser
        return call

    return wrap


@functools.cache
def pool() -> ThreadPoolExecutor:
    """Two Python threads (one pool per process) for jobs that release the GIL: the
    collection of the outcome tables, and the column moves of :func:`over_columns`."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="povsim")


def over_columns(job: Callable[[np.ndarray], object], columns: Iterable[np.ndarray], rows: int) -> None:
    """``job(column)`` for every column; with at least :data:`PARALLEL_MIN_ROWS` rows and two
    kernel threads, every other column on a :func:`pool` thread.

    For the moves of rows between places of a table (compaction), which jump about memory:
    one column on each core keeps twice as many reads in flight.  ``job`` must release the
    GIL and touch only its column.
    """
    import numba

    columns = list(columns)
    if rows < PARALLEL_MIN_ROWS or numba.get_num_threads() < 2 or len(columns) < 2:
        for col in columns:
            job(col)
        return
    other = pool().submit(lambda: [job(col) for col in columns[1::2]])
    for col in columns[0::2]:
        job(col)
    other.result()
