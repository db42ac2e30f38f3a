"""Kinds of results folder the dashboard reads: how to recognise one, open it, and its views.

Each kind is one module of this package with a ``KIND`` (:class:`Kind`); :data:`KINDS` lists
them in the order they are tried (a sensitivity folder holds a batch folder, a compare
folder holds run tables, a plan's folder holds a plan with tables and a keyspace, so the
more specific kinds come first).  A new kind of folder is one new module and one line here.

Opening a folder reads its manifest and lists its tables; a table is read when a view first
needs it (:class:`povsim.report.LazyTables`), so a batch of thousands of runs opens as fast
as a single run: the run files under ``runs/`` are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from povsim.dashboard.folder import DashboardError, Kind
from povsim.dashboard.kinds import batch, calibration, compare, plan, run, sensitivity, trial
from povsim.report import Results

__all__ = ["KINDS", "combine", "find_folders", "kind_of", "open_folder"]

#: Every kind, in the order they are tried.
KINDS: list[Kind] = [plan.KIND, trial.KIND, compare.KIND, sensitivity.KIND, calibration.KIND, batch.KIND,
                     run.KIND]


def kind_of(folder: str | Path) -> Kind | None:
    """The kind of ``folder``, or ``None`` when it is no povsim results folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    return next((k for k in KINDS if k.detect(folder)), None)


def open_folder(folder: str | Path) -> tuple[Kind, Results]:
    """Recognise and open a results folder.

    Raises
    ------
    DashboardError
        The folder is missing, or is not a folder written by ``povsim run``, ``compare``,
        ``batch``, ``sensitivity``, ``calibrate``, ``plan`` or ``trial``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DashboardError(f"results folder {folder} does not exist; give a folder written by `povsim run`, "
                             "`compare`, `batch`, `sensitivity`, `calibrate`, `plan` or `trial` (or pick one under "
                             "results/)")
    kind = kind_of(folder)
    if kind is None:
        raise DashboardError(f"{folder} is not a povsim results folder (expected tables/*.csv, differences.csv, "
                             "indices.csv, fit_targets.csv, trial_summary.csv, a batch's keyspace.csv or a plan); give "
                             "a folder written by `povsim run`, `compare`, `batch`, `sensitivity`, `calibrate`, `plan` "
                             "or `trial`")
    return kind, kind.load(folder)


def find_folders(root: str | Path, *, limit: int = 500) -> list[Path]:
    """Results folders directly under ``root`` (e.g. ``results/``), newest first.

    Only the folders' marker files are checked, so this stays fast with many folders.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and ".partial-" not in p.name
             and kind_of(p) is not None]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:limit]


def combine(opened: Sequence[tuple[Kind, Results]]) -> tuple[Kind, Results]:
    """Several run (or compare) folders side by side, as one folder of several scenarios.

    A scenario is named after its folder (and its scenario, for a compare folder); the
    provenance footer names them all.
    """
    scenarios = {}
    for _, res in opened:
        for name, tables in res.scenarios.items():
            label = res.folder.name if len(res.scenarios) == 1 else f"{res.folder.name}/{name}"
            scenarios[label] = tables
    if len(scenarios) < 2:
        raise DashboardError("side by side needs at least two run or compare folders")
    manifests = [res.manifest for _, res in opened]
    seeds = list(dict.fromkeys(s for m in manifests for s in (m.get("seeds") or [])))
    created = max((str(m.get("created")) for m in manifests if m.get("created")), default=None)
    versions = sorted({str(m.get("povsim_version")) for m in manifests if m.get("povsim_version")})
    manifest = {"seeds": seeds, "created": created, "povsim_version": " / ".join(versions) or "unknown"}
    res = Results(Path(" + ".join(str(r.folder) for _, r in opened)), "side by side", manifest, scenarios)
    kind = Kind("side by side", "Folders side by side", lambda _p: False, lambda _p: res,
                lambda r: [*compare.scenario_views(r), *run.views(r)])
    return kind, res

