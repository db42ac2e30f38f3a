"""What a worker does with one run: simulate, keep the chosen tables, encode them.

:func:`execute` is the only function sent to worker processes (local pool or Dask).  It
never raises for a failure inside the run: the error and its traceback come back in the
:class:`RunOutcome`, so one failing run does not stop the batch.  The result file's bytes
are built in the worker (in parallel) and written by the batch process, the single
writer of the run store.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from povsim.experiment.design import is_tidy
from povsim.experiment.runfile import encode
from povsim.fingerprint import model_fingerprint
from povsim.scenario import Scenario

__all__ = ["RunOutcome", "RunSpec", "current_rss", "execute", "failed_outcome", "peak_rss"]


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run.

    Attributes
    ----------
    key
        The run key.
    scenario
        The scenario, overrides applied, before the parameter point.
    parameters
        The parameter point.
    seed
        The run's seed.
    outputs
        Tables to keep; ``None``: every table but the ``moda_*`` detail tables.
    replicate, point
        Position in the design (stored in the result's metadata).
    """

    key: str
    scenario: Scenario
    parameters: Mapping[str, float]
    seed: int
    outputs: tuple[str, ...] | None
    replicate: int = 0
    point: int = 0


@dataclass(frozen=True)
class RunOutcome:
    """What came back from one run: the result file's bytes, or the error."""

    key: str
    ok: bool
    blob: bytes | None = None
    error: str = ""
    traceback: str = ""
    seconds: float = 0.0
    person_years: int = 0
    rss_before: int = 0
    peak_rss: int = 0
    host: str = ""
    pid: int = 0
    extra: Mapping[str, object] = field(default_factory=dict)


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss() -> int:
    """Resident memory of this process now, in bytes (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss()


def failed_outcome(key: str, exc: Exception, seconds: float, **fields: Any) -> RunOutcome:
    """The outcome of a run that raised ``exc`` (call it in the ``except`` block: the
    traceback is the one being handled): its error line and traceback, and ``fields``."""
    lines = traceback.format_exception_only(exc)
    return RunOutcome(key=key, ok=False, error=lines[-1].strip() if lines else repr(exc),
                      traceback=traceback.format_exc(), seconds=seconds, **fields)


def execute(spec: RunSpec) -> RunOutcome:
    """Run one replicate of one scenario at one parameter point.

    Parameters
    ----------
    spec
        The run.

    Returns
    -------
    RunOutcome
        ``ok`` with ``blob`` the content of ``runs/<key>.run``, or not ``ok`` with the
        error line and traceback.  Never raises for a failure inside the run.
    """
    from povsim.runner import run_replicate

    host, pid = platform.node(), os.getpid()
    rss0 = current_rss()
    t0 = time.perf_counter()
    try:
        scenario = spec.scenario
        if spec.parameters:
            scenario = scenario.with_overrides(parameters=dict(spec.parameters))
        tables, person_years = run_replicate(scenario, spec.seed)
        seconds = time.perf_counter() - t0
        if spec.outputs is None:
            kept = {name: df for name, df in tables.items() if is_tidy(name)}
        else:
            kept = {name: tables[name] for name in spec.outputs if name in tables}
        meta = {
            "key": spec.key, "model": model_fingerprint(), "scenario": spec.scenario.name,
            "parameters": dict(spec.parameters),
            "seed": spec.seed, "replicate": spec.replicate, "point": spec.point,
            "outputs": list(spec.outputs) if spec.outputs is not None else None,
            "absent": [n for n in spec.outputs or () if n not in tables],
            "seconds": round(seconds, 6), "person_years": int(person_years),
            "rss_before": rss0, "peak_rss": peak_rss(), "host": host, "pid": pid,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        blob = encode(kept, meta)
    except Exception as exc:  # any failure of the run is recorded, not raised
        return failed_outcome(spec.key, exc, time.perf_counter() - t0, rss_before=rss0, peak_rss=peak_rss(),
                              host=host, pid=pid)
    return RunOutcome(key=spec.key, ok=True, blob=blob, seconds=seconds, person_years=int(person_years),
                      rss_before=rss0, peak_rss=meta["peak_rss"], host=host, pid=pid)
