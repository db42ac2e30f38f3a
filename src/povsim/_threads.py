"""How many threads the compiled per-row kernels use.

The per-person passes that dominate a year (earnings, development, growth, anaemia,
migration, deaths, the MODA scores, the sort) compute every row independently — draws are
keyed by person id, nothing reads another row's result — so they run their rows on
Numba's threads (``prange``).  Sums over rows stay in serial loops in row order, so the
results are the same whatever the number of threads (``tests/test_threads.py``).

* A run in the main process uses every core Numba sees.
* A run in a worker process (``--workers``, batches, trials, Dask) uses one thread: the
  workers already share the cores.
* ``POVSIM_THREADS=N`` overrides both.

GNU OpenMP, Numba's default threading layer on Linux, does not survive a fork of a
process that has used it: worker pools start their workers with ``spawn``, or fork
them from a fork server that has run no model.
"""

from __future__ import annotations

import multiprocessing
import os

__all__ = ["configure", "count"]


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
