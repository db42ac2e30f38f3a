"""Where runs execute: a local process pool, or a Dask cluster.

Both executors send :func:`povsim.experiment.worker.execute` the same
:class:`~povsim.experiment.worker.RunSpec` objects and hand back
:class:`~povsim.experiment.worker.RunOutcome` objects as runs finish; a run's result
depends only on its spec, so results are identical, bit for bit, whatever the executor
and the number of workers.  At most ``2 x slots`` runs are submitted ahead, so an
interrupted batch leaves no long queue behind and memory stays bounded.

* :class:`LocalPool`: :class:`concurrent.futures.ProcessPoolExecutor` with the
  ``spawn`` start method; each worker imports povsim and warms up once
  (:mod:`povsim.experiment._preload`), and workers ignore SIGINT (the batch process stops
  them).  A worker that dies (killed, out of memory) fails the runs it had in hand; the
  pool is rebuilt and the batch goes on.
* :class:`DaskExecutor`: a ``distributed.Client`` on an existing scheduler
  (``--scheduler tcp://host:8786``) or on a :class:`distributed.LocalCluster` it starts
  (``--dask-local N``: processes, one thread each, on 127.0.0.1 only, without the
  statistical profiler, which slows model runs by ~40%).  Workers must be able to import
  povsim (same environment); they are warmed up (:mod:`povsim.experiment._preload`)
  before the pilot run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from povsim.experiment.errors import BatchError
from povsim.experiment.worker import RunOutcome, RunSpec, execute

__all__ = [
    "DaskExecutor",
    "Executor",
    "LocalPool",
    "SerialExecutor",
    "available_memory",
    "default_workers",
    "make_executor",
]

RunFunction = Callable[[RunSpec], RunOutcome]


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_memory() -> int | None:
    """Memory available to new processes, in bytes, or ``None``: ``MemAvailable``, lowered
    to what a cgroup (v2) memory limit on this process leaves (containers, ``systemd-run
    -p MemoryMax``, batch schedulers) and to the address-space limit (``ulimit -v``)."""
    free: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if free is None:
        try:
            free = int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    limits = [free] if free is not None else []
    try:
        with open("/proc/self/cgroup", encoding="ascii") as fh:
            group = next((line.split(":", 2)[2].strip() for line in fh if line.startswith("0::")), None)
        if group is not None:
            base = Path("/sys/fs/cgroup") / group.lstrip("/")
            cap = (base / "memory.max").read_text().strip()
            if cap != "max":
                limits.append(int(cap) - int((base / "memory.current").read_text()))
    except (OSError, ValueError, IndexError):
        pass
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(int(soft))
    return min(limits) if limits else None


def _failure(spec: RunSpec, message: str) -> RunOutcome:
    return RunOutcome(key=spec.key, ok=False, error=message, traceback="")


class Executor(ABC):
    """Runs :class:`RunSpec` objects and yields their outcomes as they finish."""

    #: Short description for messages and the manifest.
    name: str = ""

    def __enter__(self) -> Executor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    @abstractmethod
    def start(self) -> None:
        """Start the workers."""

    @abstractmethod
    def close(self, cancel: bool = False) -> None:
        """Stop the workers; with ``cancel``, at once (running runs are abandoned)."""

    @property
    @abstractmethod
    def slots(self) -> int:
        """Runs that can execute at the same time."""

    @abstractmethod
    def slot_memory(self) -> tuple[int | None, str]:
        """Bytes one run may use without exceeding the workers' memory, and where that comes from."""

    @abstractmethod
    def imap_unordered(self, specs: Iterable[RunSpec], fn: RunFunction = execute) -> Iterator[RunOutcome]:
        """Run every spec; yield each outcome as soon as it is available."""

    def info(self) -> dict[str, object]:
        """Description for the manifest."""
        return {"executor": self.name, "slots": self.slots}


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back from this thread, and from any worker spawned meanwhile.

    A spawned worker imports povsim before its initializer can ignore SIGINT; a Ctrl-C in
    that window would print the worker's KeyboardInterrupt traceback.  The blocked mask is
    inherited through fork and exec, so a new worker never sees SIGINT; this process gets
    a Ctrl-C that came meanwhile as soon as the block ends, so none is lost.  SIGTERM (which
    stops a batch as Ctrl-C does) must not interrupt a submission half-way either: a worker
    started but not yet listed by the pool is never stopped, and this process would wait
    for it at exit.  Workers unblock SIGTERM in their initializer, so the pool can stop them.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _init_worker() -> None:  # pragma: no cover - runs in worker processes
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch process stops the workers
    if hasattr(signal, "pthread_sigmask"):  # held while the worker was spawned (_signals_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    import povsim.experiment._preload  # noqa: F401  (importing it warms up)


class SerialExecutor(Executor):
    """Runs in this process, one run at a time (debugging, tests, ``--workers 0``)."""

    name = "serial"

    def start(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass

    @property
    def slots(self) -> int:
        return 1

    def slot_memory(self) -> tuple[int | None, str]:
        avail = available_memory()
        return avail, "available memory on this machine (MemAvailable)" if avail else "available memory unknown"

    def imap_unordered(self, specs: Iterable[RunSpec], fn: RunFunction = execute) -> Iterator[RunOutcome]:
        for spec in specs:
            yield fn(spec)


def _dask_warm_up() -> None:  # pragma: no cover - runs in Dask workers
    import povsim.experiment._preload  # noqa: F401  (importing it warms up)


class LocalPool(Executor):
    """A pool of local worker processes.

    Parameters
    ----------
    workers
        Number of processes (default: the cores available).
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        n = default_workers() if workers is None else int(workers)
        if n < 1:
            raise BatchError(f"--workers must be at least 1, got {n}")
        self.workers = n
        self._pool: ProcessPoolExecutor | None = None
        self.max_breaks = 3

    def start(self) -> None:
        # spawned, not forked from a warmed-up fork server: the warm-up runs the compiled
        # kernels on their threads (povsim._threads), and GNU OpenMP does not survive a
        # fork of a process that has used it; each worker warms itself up
        self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_worker)

    def close(self, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            self._terminate(pool)
        else:
            pool.shutdown(wait=True)

    @staticmethod
    def _terminate(pool: ProcessPoolExecutor) -> None:
        terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
        if terminate is not None:
            terminate()
            return
        processes = dict(getattr(pool, "_processes", None) or {})
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes.values():
            if proc.is_alive():
                proc.terminate()
        for proc in processes.values():
            proc.join(timeout=5)

    @property
    def slots(self) -> int:
        return self.workers

    def slot_memory(self) -> tuple[int | None, str]:
        avail = available_memory()
        if avail is None:
            return None, "available memory unknown"
        return avail // self.workers, f"{avail / 2**20:,.0f} MB available on this machine (MemAvailable)"

    def info(self) -> dict[str, object]:
        return {"executor": self.name, "workers": self.workers, "slots": self.slots}

    def imap_unordered(self, specs: Iterable[RunSpec], fn: RunFunction = execute) -> Iterator[RunOutcome]:
        if self._pool is None:
            raise BatchError("the local pool is not started")
        window = 2 * self.workers
        todo = iter(specs)
        running: dict[Future[RunOutcome], RunSpec] = {}

        def fill() -> None:
            while len(running) < window:
                spec = next(todo, None)
                if spec is None:
                    return
                pool = self._pool
                if pool is None:
                    raise BatchError("the local pool stopped")
                with _signals_held():  # submit may spawn a worker
                    running[pool.submit(fn, spec)] = spec

        fill()
        breaks = 0  # pool breakdowns since the last run that came back
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                spec = running.pop(fut)
                try:
                    outcome = fut.result()
                    breaks = 0
                except BrokenProcessPool:
                    broken = True
                    outcome = _failure(spec, "the worker process running this run died (killed, or out of "
                                             "memory?); rerun the batch to retry it")
                except Exception as exc:  # e.g. a spec that cannot be pickled
                    outcome = _failure(spec, f"{type(exc).__name__}: {exc}")
                yield outcome
            if broken:
                for fut, spec in list(running.items()):
                    running.pop(fut)
                    yield _failure(spec, "a worker process died while this run was in progress; rerun the "
                                         "batch to retry it")
                if self._pool is not None:
                    self._terminate(self._pool)
                breaks += 1
                if breaks >= self.max_breaks:
                    self._pool = None
                    raise BatchError(
                        f"the worker processes died {breaks} times in a row without finishing a run; they "
                        "may be unable to start (is povsim importable there? if you call povsim from a script, "
                        "guard it with `if __name__ == \"__main__\":`) or be killed for lack of memory (try "
                        "fewer --workers); the finished runs are kept")
                self.start()
            fill()


class DaskExecutor(Executor):
    """Runs on a Dask cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``), or ``None`` with ``local``.
    local
        Start a :class:`distributed.LocalCluster` with this many worker processes (one
        thread each, bound to 127.0.0.1, no dashboard).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, local: int | None = None) -> None:
        if (scheduler is None) == (local is None):
            raise BatchError("give either a scheduler address or a number of local Dask workers")
        if local is not None and local < 1:
            raise BatchError(f"--dask-local must be at least 1, got {local}")
        self.scheduler = scheduler
        self.local = local
        self._client = None
        self._cluster = None

    def start(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise BatchError("Dask is not installed; install it with: pip install 'povsim[dask]' "
                             "(or pip install 'dask[distributed]')") from exc
        import dask

        try:
            if self.local is not None:
                # the statistical profiler samples the task thread every 10 ms: a model run is
                # pure Python and numpy under the GIL, and runs ~40% slower with it on
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self._cluster = LocalCluster(n_workers=self.local, threads_per_worker=1, processes=True,
                                                 host="127.0.0.1", dashboard_address=None)
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler, timeout="30s")
        except OSError as exc:
            self.close()
            raise BatchError(f"cannot connect to the Dask scheduler {self.scheduler}: {exc}; check the "
                             "address (tcp://host:8786) and that the scheduler is running") from exc
        try:  # load povsim and its compiled kernels in every worker before the pilot run
            self._client.run(_dask_warm_up)
        except Exception:  # only an optimisation; a worker that cannot import povsim fails its runs
            pass

    def close(self, cancel: bool = False) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            try:
                if cancel and client.futures:
                    client.cancel(list(client.futures.values()), force=True)
            finally:
                client.close()
        if cluster is not None:
            cluster.close()

    def _workers(self) -> dict[str, dict]:
        if self._client is None:
            return {}
        try:
            info = self._client.scheduler_info(n_workers=-1)  # distributed >= 2025: all workers
        except TypeError:
            info = self._client.scheduler_info()
        return dict(info.get("workers", {}))

    @property
    def slots(self) -> int:
        if self._client is None:
            return self.local or 1
        n = sum(int(w.get("nthreads", 1)) for w in self._workers().values())
        return max(n, 1)

    def slot_memory(self) -> tuple[int | None, str]:
        limits = [int(w.get("memory_limit") or 0) // max(int(w.get("nthreads", 1)), 1)
                  for w in self._workers().values()]
        limits = [x for x in limits if x > 0]
        if not limits:
            return None, "the Dask workers have no memory limit"
        return min(limits), f"Dask worker memory limit {min(limits) / 2**20:,.0f} MB per thread"

    def info(self) -> dict[str, object]:
        out: dict[str, object] = {"executor": self.name, "slots": self.slots}
        out["scheduler"] = self.scheduler if self.scheduler else f"LocalCluster({self.local} workers, 127.0.0.1)"
        return out

    def imap_unordered(self, specs: Iterable[RunSpec], fn: RunFunction = execute) -> Iterator[RunOutcome]:
        from distributed import as_completed

        client = self._client
        if client is None:
            raise BatchError("the Dask client is not started")
        window = 2 * self.slots
        todo = iter(specs)
        owner: dict[str, RunSpec] = {}

        def submit(spec: RunSpec):
            fut = client.submit(fn, spec, pure=False, key=f"povsim-run-{spec.key}-{os.urandom(4).hex()}")
            owner[fut.key] = spec
            return fut

        first = [submit(s) for s in (next(todo, None) for _ in range(window)) if s is not None]
        if not first:
            return
        queue = as_completed(first)
        for fut in queue:
            spec = owner.pop(fut.key)
            try:
                outcome = fut.result()
            except Exception as exc:  # KilledWorker, CommClosedError, ...
                outcome = _failure(spec, f"the Dask task failed: {type(exc).__name__}: {exc}; rerun the batch to "
                                         "retry it")
            fut.release()
            yield outcome
            nxt = next(todo, None)
            if nxt is not None:
                queue.add(submit(nxt))


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None) -> Executor:
    """The executor the command-line options ask for.

    Parameters
    ----------
    workers
        Local processes (default: all cores; 0 runs in this process); ignored with Dask.
    scheduler
        Dask scheduler address.
    dask_local
        Start a local Dask cluster with this many workers.

    Raises
    ------
    BatchError
        Both ``scheduler`` and ``dask_local`` given, or a count below 1.
    """
    if scheduler is not None and dask_local is not None:
        raise BatchError("give --scheduler or --dask-local, not both")
    if scheduler is not None or dask_local is not None:
        return DaskExecutor(scheduler=scheduler, local=dask_local)
    if workers == 0:
        return SerialExecutor()
    return LocalPool(workers)
