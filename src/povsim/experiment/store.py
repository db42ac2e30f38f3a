"""The run store: a batch folder that never loses finished work.

Layout of a batch folder::

    <out>/
      experiment.toml        copy of the design file the batch was last started with
      design.json            resolved design, scenarios as run, fingerprint of the keyspace
      keyspace.csv/.json     every run: run_key, scenario, point, parameters, replicate, seed
      manifest.json          provenance of the last invocation (history/ keeps every one)
      runs/<key>.run         result of a finished run (see runfile.py; self-checking)
      runs/<key>.failed.json error and traceback of a failed run
      tables/<output>.csv    collected tables (and .parquet)
      .lock                  held (flock) by the batch process while it runs

Every file is written atomically (temporary file in the same folder, ``fsync``,
``os.replace``), and the design and keyspace are saved before any run starts.  A run
is done when its result file exists, verifies, holds the tables the design keeps and
was made by the current model code (:func:`povsim.fingerprint.model_fingerprint`, recorded
in the result); anything else (missing, truncated, altered, stale, another model) is
pending and is run again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from povsim import output as _output
from povsim.errors import OutputError
from povsim.experiment.errors import BatchError
from povsim.experiment.runfile import CorruptRunFile, RunFile
from povsim.experiment.worker import RunOutcome
from povsim.fingerprint import model_fingerprint

__all__ = ["RunStore", "StoreState"]


@dataclass
class StoreState:
    """Where each run of a keyspace stands.

    Attributes
    ----------
    done
        Key -> metadata of the verified result (seconds, peak_rss, ...).
    failed
        Key -> failure record (``error``, ``traceback``, ...), for runs without a result.
    pending
        Keys with neither a result nor a failure record, in run order.
    corrupt
        Key -> reason, for result files that did not verify (they are pending too).
    stale
        Keys whose result lacks a table the design now keeps (pending too).
    other_model
        Keys whose result was made by another version of the model code, or does not say
        which (pending too: a result of one model never stands in for another's).
    """

    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    corrupt: dict[str, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    other_model: list[str] = field(default_factory=list)

    def other_model_message(self) -> str:
        """What a command says about finished runs of another model version (run again)."""
        return (f"{len(self.other_model)} finished run(s) were made by another version of the model code and "
                "are run again (a result of one model never stands in for another's)")


class RunStore:
    """A batch folder (see the module docstring).

    Parameters
    ----------
    folder
        The batch folder (``--out``).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).absolute()
        self.runs = self.folder / "runs"

    # -- paths ----------------------------------------------------------------
    def result_path(self, key: str) -> Path:
        """``runs/<key>.run``."""
        return self.runs / f"{key}.run"

    def failed_path(self, key: str) -> Path:
        """``runs/<key>.failed.json``."""
        return self.runs / f"{key}.failed.json"

    def exists(self) -> bool:
        """Whether a batch was started in this folder (its design was saved)."""
        return (self.folder / "design.json").is_file()

    # -- set-up ---------------------------------------------------------------
    def create(self) -> None:
        """Create the folder and ``runs/``; check that they can be written.

        Raises
        ------
        OutputError
            The folder cannot be created or written (with the reason and a fix).
        """
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not os.access(existing, os.W_OK | os.X_OK):  # before anything is created
            raise OutputError(f"cannot write the batch folder {self.folder}: permission denied in {existing}; check "
                              "that you may write there, or choose another folder with --out")
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _output._output_error(self.runs, exc, "create the batch folder") from exc
        for d in (self.folder, self.runs):
            if not os.access(d, os.W_OK | os.X_OK):
                raise OutputError(f"cannot write the batch folder {d}: permission denied; check that you may "
                                  "write there, or choose another folder with --out")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: one batch process per folder at a time.

        The lock (``flock``) is released by the operating system when the process ends,
        however it ends (even ``SIGKILL``), so it never needs cleaning up.

        Raises
        ------
        BatchError
            Another process holds the lock.
        """
        import fcntl

        path = self.folder / ".lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _output._output_error(path, exc, "create the lock file") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                other = path.read_text(encoding="utf-8", errors="replace").strip() or "?"
                raise BatchError(f"another povsim process (pid {other}) is working in {self.folder}; wait for "
                                 "it to finish, or use another --out") from None
            raise _output._output_error(path, exc, "lock") from exc
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def clean_temporary(self) -> int:
        """Remove temporary files left by writes that were interrupted (call under the lock)."""
        n = 0
        for d in (self.folder, self.runs, self.folder / "tables"):
            if not d.is_dir():
                continue
            for p in d.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
        return n

    # -- design ----------------------------------------------------------------
    def load_design(self) -> dict[str, Any] | None:
        """``design.json`` of the batch in this folder, or ``None`` when there is none."""
        path = self.folder / "design.json"
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BatchError(f"cannot read {path}: {exc}; the batch folder is damaged, use another --out") from exc

    def save_design(self, design: dict[str, Any], keyspace_json: dict[str, Any], keyspace_csv: str,
                    experiment_text: str) -> None:
        """Save the design, the keyspace and a copy of the design file (atomically)."""
        previous = self.folder / "design.json"
        if previous.is_file():
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            old = self.load_design() or {}
            if old.get("fingerprint") != design.get("fingerprint"):
                hist = self.folder / "history"
                _output.atomic_write_text(hist / f"design-{stamp}.json", previous.read_text(encoding="utf-8"))
        _output.atomic_write_text(self.folder / "keyspace.json", _dumps(keyspace_json))
        _output.atomic_write_text(self.folder / "keyspace.csv", keyspace_csv)
        _output.atomic_write_text(self.folder / "experiment.toml", experiment_text)
        _output.atomic_write_text(self.folder / "design.json", _dumps(design))

    # -- runs ------------------------------------------------------------------
    def scan(self, keys: Iterable[str], outputs: Iterable[str] | None) -> StoreState:
        """Check the result of every key: done, failed, pending, corrupt, stale or made by
        another model.

        Every result file is read and its checksum verified.  ``outputs`` are the tables
        the design keeps (``None``: the default set); a result kept for another set is stale.
        """
        need = set(outputs) if outputs is not None else None
        model = model_fingerprint()
        state = StoreState()
        for key in keys:
            path = self.result_path(key)
            has_result = path.exists()
            if has_result:
                try:
                    rf = RunFile(path)
                except CorruptRunFile as exc:
                    state.corrupt[key] = str(exc).removeprefix(f"{path}: ")
                except OSError as exc:
                    state.corrupt[key] = f"unreadable ({exc.strerror or exc})"
                else:
                    meta = rf.meta
                    have = set(rf.table_names) | set(meta.get("absent", ()))
                    if meta.get("model") != model:
                        state.other_model.append(key)
                    elif (meta.get("outputs", ()) is None) if need is None else need <= have:
                        state.done[key] = meta
                        continue
                    else:
                        state.stale.append(key)
            fpath = self.failed_path(key)
            if not has_result and fpath.exists():
                try:
                    state.failed[key] = json.loads(fpath.read_text(encoding="utf-8"))
                    continue
                except (OSError, json.JSONDecodeError):
                    pass
            state.pending.append(key)
        return state

    def write_outcome(self, outcome: RunOutcome) -> None:
        """Store a finished run: its result file, or its failure record.

        A result is verified before it is written and replaces any earlier failure record.

        Raises
        ------
        OutputError
            The file cannot be written (disk full, permission, ...); earlier runs are untouched.
        """
        if outcome.ok and outcome.blob is not None:
            try:
                RunFile.from_bytes(outcome.blob, f"result of run {outcome.key}")
            except CorruptRunFile as exc:  # damaged on the way from the worker
                outcome = RunOutcome(key=outcome.key, ok=False, error=f"damaged result: {exc}",
                                     seconds=outcome.seconds, host=outcome.host, pid=outcome.pid)
            else:
                _output.atomic_write_bytes(self.result_path(outcome.key), outcome.blob)
                with contextlib.suppress(FileNotFoundError):
                    self.failed_path(outcome.key).unlink()
                return
        record = {"key": outcome.key, "error": outcome.error, "traceback": outcome.traceback,
                  "seconds": round(outcome.seconds, 6), "host": outcome.host, "pid": outcome.pid,
                  "failed": datetime.now(UTC).isoformat(timespec="seconds")}
        _output.atomic_write_text(self.failed_path(outcome.key), _dumps(record))

    def read(self, key: str, names: Iterable[str] | None = None):
        """The tables of a finished run (verified).  See :meth:`RunFile.tables`."""
        return RunFile(self.result_path(key)).tables(names)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False, default=str) + "\n"
