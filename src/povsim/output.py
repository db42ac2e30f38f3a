"""Results folders, atomic file writes, figures on disk and the run manifest.

Everything povsim writes goes through this module, so that a run that fails or is
interrupted never leaves a half-written file or folder where a complete one is expected:

* single files are written to a temporary file in the same folder, flushed, ``fsync``-ed
  and moved into place with :func:`os.replace` (atomic on POSIX);
* a run's folder is built under a staging name (``<out>.partial-<pid>``) and renamed to
  its final name only when the ``with`` block of :func:`results_dir` finishes without an
  exception; an earlier folder of the same name is replaced only at that moment
  (``--force``) and is otherwise never touched;
* a results folder is typed: its ``manifest.json`` carries :data:`RESULTS_FORMAT`, the
  kind of folder, and -- written last -- a completeness flag with the checksum of every
  file (:func:`seal_results`).  ``--force`` replaces only such a complete folder (or an
  empty one): never a file, the current folder or a folder of anything else; readers
  refuse incomplete or damaged folders (:func:`verify_results`).

File-system failures (permission denied, disk full, read-only file system, ...) are
raised as :class:`~povsim.errors.OutputError` naming the path, the reason and a fix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.metadata
import io
import json
import logging
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from povsim.errors import OutputError, ResultsError
from povsim.fingerprint import model_fingerprint

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_PACKAGES",
    "FORMAT_VERSION",
    "RESULTS_FORMAT",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_text",
    "claim_workspace",
    "clean_stale_partials",
    "figure_bytes",
    "file_checksum",
    "final_path",
    "finalize_results_dir",
    "git_commit",
    "git_info",
    "package_versions",
    "povsim_version",
    "prepare_results_dir",
    "read_manifest",
    "results_dir",
    "results_problems",
    "save_figure",
    "seal_results",
    "staging_path",
    "verify_results",
    "write_manifest",
]

DEFAULT_PACKAGES: tuple[str, ...] = (
    "povsim",
    "numpy",
    "scipy",
    "pandas",
    "mesa",
    "pydantic",
    "matplotlib",
    "SALib",
)

_HINTS: dict[int, str] = {
    errno.EACCES: "check that you may write there, or choose another folder with --out",
    errno.EPERM: "check that you may write there, or choose another folder with --out",
    errno.ENOSPC: "free some disk space, or choose a folder on another drive with --out",
    errno.EDQUOT: "free some of your disk quota, or choose another folder with --out",
    errno.EROFS: "the file system is read-only; choose another folder with --out",
    errno.ENAMETOOLONG: "use a shorter scenario name or --out path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another --out",
    errno.EISDIR: "a folder of that name is in the way; remove it or choose another --out",
}
_DEFAULT_HINT = "check the path and the file system, or choose another folder with --out"


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


def _output_error(path: str | os.PathLike[str], exc: OSError, action: str) -> OutputError:
    """Turn an :class:`OSError` into an :class:`OutputError` naming path, reason and fix."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = _HINTS.get(exc.errno if exc.errno is not None else -1, _DEFAULT_HINT)
    if isinstance(exc, PermissionError) and exc.errno is None:
        hint = _HINTS[errno.EACCES]
    return OutputError(f"cannot {action} {os.fspath(path)}: {reason}; {hint}")


# --------------------------------------------------------------------------------------
# atomic single-file writes
# --------------------------------------------------------------------------------------


def _umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_file_mode(path: Path) -> int:
    """Permissions for a replacement file: the old file's, or ``0o666 & ~umask``."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _fsync_dir(folder: Path) -> None:
    """Best-effort ``fsync`` of a folder so that a rename inside it is durable."""
    flags = getattr(os, "O_DIRECTORY", 0) | os.O_RDONLY
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file atomically: temp file in the same folder, fsync, :func:`os.replace`.

    The parent folder is created when missing. On any exception the temporary file is
    removed and an existing file at ``path`` is left as it was; :class:`OSError` becomes
    :class:`OutputError`, anything else is re-raised unchanged.
    """
    target = Path(path)
    folder = target.parent
    tmp_name: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = _new_file_mode(target)
        with tempfile.NamedTemporaryFile(
            dir=folder, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as fh:
            tmp_name = fh.name
            write(fh)
            fh.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise _output_error(target, exc, "write") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    _fsync_dir(folder)
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path
        Destination file; its folder is created when missing.
    data
        The complete new content.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        The file could not be written (permission, disk full, ...); an earlier file at
        ``path`` is unchanged and no temporary file is left behind.
    """
    return _atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation).

    Parameters
    ----------
    path
        Destination file; its folder is created when missing.
    text
        The complete new content.
    encoding
        Text encoding, UTF-8 by default.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        As for :func:`atomic_write_bytes`.
    """
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_csv(
    path: str | os.PathLike[str], df: pd.DataFrame, *, index: bool = False
) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically (streamed into the temporary file).

    Parameters
    ----------
    path
        Destination file; its folder is created when missing.
    df
        The table. Tidy tables have a plain ``RangeIndex``, hence ``index=False``.
    index
        Also write the index (passed to :meth:`pandas.DataFrame.to_csv`).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputError
        As for :func:`atomic_write_bytes`. An exception raised by ``df.to_csv`` itself
        is re-raised unchanged; in every case the earlier file is left intact.
    """

    def write(fh: IO[bytes]) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
        try:
            df.to_csv(text, index=index, lineterminator="\n")
            text.flush()
        finally:
            text.detach()

    return _atomic_write(path, write)


def figure_bytes(fig: Figure, fmt: str = "png", dpi: int = 300) -> bytes:
    """``fig`` rendered in one format (``png``, ``svg``, ``pdf``...), as :func:`save_figure`
    writes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def save_figure(
    fig: Figure,
    path_stem: str | os.PathLike[str],
    formats: Iterable[str] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Save a figure in several formats, each file written atomically, then close it.

    Parameters
    ----------
    fig
        A :class:`matplotlib.figure.Figure` (from :mod:`povsim.plots`).
    path_stem
        Destination without extension, e.g. ``results/run/figures/stunting``; the
        extension of each format is appended (``stunting.png``, ``stunting.svg``).
    formats
        Output formats understood by :meth:`~matplotlib.figure.Figure.savefig`.
    dpi
        Resolution of raster formats.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    OutputError
        A file could not be written.

    Notes
    -----
    A figure made with ``Figure()`` (the object-oriented API used by povsim) is not
    registered with pyplot and is released when no longer referenced; a figure made
    with ``pyplot`` is closed with :func:`matplotlib.pyplot.close`.
    """
    stem = os.fspath(path_stem)
    paths: list[Path] = []
    try:
        for fmt in formats:
            paths.append(atomic_write_bytes(f"{stem}.{fmt}", figure_bytes(fig, fmt, dpi)))
    finally:
        if getattr(fig.canvas, "manager", None) is not None:
            import matplotlib.pyplot as plt

            plt.close(fig)
    return paths


# --------------------------------------------------------------------------------------
# results folders: typed, sealed, never replacing anything povsim did not write
# --------------------------------------------------------------------------------------

#: ``format`` of every manifest povsim writes; readers and ``--force`` look for it.
RESULTS_FORMAT = "povsim-results"
#: Layout version of a results folder (manifest keys, checksums).
FORMAT_VERSION = 1
#: Written into a staging folder when it is created: the process building it.
PARTIAL_MARKER = ".povsim-partial.json"
_PARTIAL_NAME = re.compile(r"(?P<name>.+)\.(?P<what>partial|old)-(?P<pid>\d+)")

log = logging.getLogger("povsim")


def _safe_name(name: str, what: str) -> str:
    """A folder-name-safe version of ``name`` (letters, digits, ``.``, ``_``, ``-``)."""
    cleaned = re.sub(r"[^\w.-]+", "_", str(name).strip()).strip("._")
    if not cleaned:
        raise OutputError(
            f"cannot name a results folder after {what} {name!r}: it has no letters or "
            "digits; give the scenario a name or choose a folder with --out"
        )
    return cleaned


def _utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _is_nonempty(path: Path) -> bool:
    """True when ``path`` is a file, or a folder with anything in it."""
    if not os.path.lexists(path):
        return False
    if path.is_dir() and not path.is_symlink():
        with os.scandir(path) as entries:
            return any(True for _ in entries)
    return True


def _remove(path: Path) -> None:
    """Remove a file, link or folder tree; missing is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def staging_path(final: str | os.PathLike[str]) -> Path:
    """The sibling folder a run is built in before it is renamed to ``final``."""
    final = Path(final)
    return final.with_name(f"{final.name}.partial-{os.getpid()}")


def final_path(staging: str | os.PathLike[str]) -> Path:
    """The final folder of a staging folder (the inverse of :func:`staging_path`)."""
    staging = Path(staging)
    m = _PARTIAL_NAME.fullmatch(staging.name)
    return staging.with_name(m["name"]) if m else staging


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """``manifest.json`` of a folder as a dict, or ``None`` when absent or unreadable."""
    try:
        data = json.loads((Path(folder) / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_povsim(manifest: Mapping[str, Any] | None) -> bool:
    return manifest is not None and manifest.get("format") == RESULTS_FORMAT


def _files(folder: Path, skip: Iterable[str] = ()) -> Iterator[tuple[str, Path]]:
    """Every file of a results folder as (relative path, path), sorted; the manifest, the
    partial marker, the top-level entries in ``skip`` and nested povsim folders (a report
    inside a run folder) left out."""
    skip = set(skip)
    for here, dirs, names in os.walk(folder):
        rel_dir = Path(here).relative_to(folder)
        keep = []
        for d in sorted(dirs):
            sub = Path(here) / d
            if (rel_dir == Path(".") and d in skip) or _is_povsim(read_manifest(sub)):
                continue
            keep.append(d)
        dirs[:] = keep
        for n in sorted(names):
            rel = (rel_dir / n).as_posix()
            if rel in ("manifest.json", PARTIAL_MARKER) or (rel_dir == Path(".") and n in skip):
                continue
            yield rel, Path(here) / n


def seal_results(folder: str | os.PathLike[str], *, kind: str, skip: Iterable[str] = ()) -> Path:
    """Record the checksum of every file of a results folder and mark it complete.

    The manifest is rewritten last, with ``complete: true`` and ``files`` (relative path
    -> bytes and SHA-256), so a folder whose writing stopped early never claims to be
    complete, and a file changed or truncated later is detected by :func:`verify_results`.

    Parameters
    ----------
    folder
        The results folder (a staging folder, or a resumable folder at the end of a command).
    kind
        What wrote it (``run``, ``compare``, ``moda``, ``report``, ``sensitivity``,
        ``calibration``); used when the folder has no manifest yet.
    skip
        Top-level entries that are not part of the result (a resumable cache).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not _is_povsim(manifest):
        manifest = _manifest_head(kind)
    manifest["files"] = {rel: {"bytes": p.stat().st_size, "sha256": file_checksum(p)}
                         for rel, p in _files(folder, skip)}
    manifest["complete"] = True
    manifest["sealed"] = datetime.now(UTC).isoformat(timespec="seconds")
    return atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def results_problems(folder: str | os.PathLike[str], *, own_only: bool = False) -> list[str]:
    """Why ``folder`` is not a complete, intact povsim results folder (``[]``: it is).

    Parameters
    ----------
    folder
        The folder.
    own_only
        Also report files and folders the manifest does not list (anything povsim did
        not write there); used before a folder is replaced.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        return ["it has no readable manifest.json"]
    if not _is_povsim(manifest):
        return ["its manifest.json was not written by this povsim (an older version, or another program)"]
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        return [f"it was written by a newer povsim (format {manifest['format_version']})"]
    if manifest.get("complete") is not True:
        return ["it is incomplete: the command writing it stopped before it finished"]
    problems = []
    listed = manifest.get("files") or {}
    for rel, rec in listed.items():
        p = folder / rel
        if not p.is_file():
            problems.append(f"{rel} is missing")
        elif p.stat().st_size != rec.get("bytes"):
            problems.append(f"{rel} has {p.stat().st_size:,} bytes where povsim wrote {rec.get('bytes'):,} "
                            "(truncated or edited)")
        elif file_checksum(p) != rec.get("sha256"):
            problems.append(f"{rel} differs from what povsim wrote (checksum)")
    if own_only:
        problems += [f"{rel} was not written by povsim" for rel, _ in _files(folder) if rel not in listed]
        for here, _dirs, _names in os.walk(folder):  # nested povsim folders must be povsim's too
            sub = Path(here)
            if sub != folder and _is_povsim(read_manifest(sub)):
                problems += [f"{sub.relative_to(folder)}: {p}" for p in results_problems(sub, own_only=True)]
    return problems


def verify_results(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a complete, intact results folder; refuse anything else.

    Readers (``povsim report``, a dashboard) call this before reading a table.

    Raises
    ------
    ResultsError
        The folder is a staging folder of a command that did not finish, has no povsim
        manifest, is incomplete, or a file is missing, truncated or changed.
    """
    folder = Path(folder)
    m = _PARTIAL_NAME.fullmatch(folder.name)
    if m and m["what"] == "partial":
        raise ResultsError(f"{folder} is the unfinished folder of povsim process {m['pid']}, which stopped "
                           f"before its results were complete; rerun the command that writes {m['name']}")
    problems = results_problems(folder)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ResultsError(f"{folder} is not a complete povsim results folder: {problems[0]}{more}; rerun the "
                           "command that wrote it")
    return read_manifest(folder) or {}


def _why_not_replaceable(final: Path) -> str | None:
    """Why ``final`` may not be replaced by new results (``None``: it may)."""
    if final.is_symlink():
        return "it is a symbolic link"
    if not final.is_dir():
        return "it is a file, not a results folder"
    here = Path.cwd().resolve()
    if final.resolve() in (here, *here.parents):
        return "it is the current folder or contains it"
    if not _is_nonempty(final):
        return None
    problems = results_problems(final, own_only=True)
    return problems[0] if problems else None


def claim_workspace(folder: str | os.PathLike[str], kind: str, markers: Iterable[str] = ()) -> Path:
    """Check that a resumable folder (batch, sensitivity, calibration) may be written into.

    A missing or empty folder, or one that povsim wrote for the same ``kind`` (its
    manifest says so, or one of ``markers`` of an older povsim is there) may be used;
    anything else is refused, so that povsim never writes over a user's files.

    Raises
    ------
    OutputError
        ``folder`` is a file, or a folder with other content.
    """
    folder = Path(folder).absolute()
    if not os.path.lexists(folder):
        return folder
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file; choose a folder with --out")
    if not _is_nonempty(folder):
        return folder
    manifest = read_manifest(folder)
    if (_is_povsim(manifest) and manifest.get("kind") == kind) or any((folder / m).exists() for m in markers):
        return folder
    names = sorted(p.name for p in folder.iterdir())
    listing = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    raise OutputError(f"{folder} holds files that are not a povsim {kind} folder ({listing}); povsim never writes "
                      "over them: choose another folder with --out")


def _check_writable(final: Path) -> None:
    """Fail now, not after the run, when the results folder cannot be created."""
    parent = final.parent
    existing = parent
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise _output_error(final, OSError(errno.ENOTDIR, "a part of the path is a file"),
                            "create the results folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write the results folder {final}: permission denied in {existing}; "
                          f"{_HINTS[errno.EACCES]}")
    try:  # a real probe: access() says yes to root everywhere, even in /proc
        os.rmdir(tempfile.mkdtemp(prefix=".povsim-probe-", dir=existing))
    except OSError as exc:
        raise _output_error(final, exc, "create the results folder") from exc


def prepare_results_dir(
    out: str | os.PathLike[str] | None,
    scenario_name: str,
    *,
    root: str | os.PathLike[str] = "results",
    force: bool = False,
    run_id: str | None = None,
) -> Path:
    """Choose and check the final folder of a run (nothing is created).

    Parameters
    ----------
    out
        The folder the user asked for (``--out``), or ``None`` for the default
        ``<root>/<scenario_name>-<run_id>``.
    scenario_name
        Name of the scenario; characters other than letters, digits, ``.``, ``_`` and
        ``-`` are replaced by ``_``.
    root
        Parent of default folders.
    force
        Allow an existing complete povsim results folder to be replaced (when the run
        completes).  Anything else -- a file, a folder of other files, an incomplete
        or changed results folder, the current folder -- is never replaced.
    run_id
        Suffix of the default folder; defaults to the UTC time ``YYYYmmdd-HHMMSS``.
        When neither ``out`` nor ``run_id`` is given and that folder already exists
        (two runs in the same second), ``-2``, ``-3``, ... is appended.

    Returns
    -------
    Path
        Absolute path of the final folder; it (or its nearest existing parent) can be
        written.

    Raises
    ------
    OutputError
        The folder exists and may not (or, without ``force``, shall not) be replaced, or
        it cannot be written.
    """
    if out is None:
        name = _safe_name(scenario_name, "scenario")
        stamp = _utc_stamp() if run_id is None else _safe_name(run_id, "run id")
        final = Path(root).absolute() / f"{name}-{stamp}"
        if run_id is None:
            n = 2
            while _is_nonempty(final):
                final = final.with_name(f"{name}-{stamp}-{n}")
                n += 1
    else:
        final = Path(out).absolute()

    if _is_nonempty(final):
        why = _why_not_replaceable(final)
        if why is not None:
            raise OutputError(f"{final} exists and is not a complete povsim results folder ({why}); povsim never "
                              "deletes or replaces anything else: choose another folder with --out")
        if not force:
            raise OutputError(f"results folder {final} exists; use --force to replace it (only once the new "
                              "results are complete) or --out to choose another folder")
    _check_writable(final)
    return final


def finalize_results_dir(
    tmp: str | os.PathLike[str], final: str | os.PathLike[str], force: bool = False
) -> Path:
    """Move a completed staging folder to its final name.

    Parameters
    ----------
    tmp
        The completed staging folder (see :func:`staging_path`).
    final
        The final folder.
    force
        Replace an existing complete povsim results folder at ``final`` (checked again
        here: it may have changed during the run).  The old folder is first renamed to
        ``<final>.old-<pid>``, the new one renamed into place, and only then is the old
        one deleted; if the second rename fails the old folder is put back.

    Returns
    -------
    Path
        ``final``.

    Raises
    ------
    OutputError
        ``final`` is not empty and may not be replaced (for instance another run created
        it meanwhile), or a rename failed.  The completed results are then left in
        ``tmp`` and the message says so.
    """
    tmp, final = Path(tmp), Path(final)
    kept = f"the new results are kept in {tmp}"
    if _is_nonempty(final):
        why = _why_not_replaceable(final)
        if not force or why is not None:
            raise OutputError(
                f"results folder {final} exists (it appeared or changed while the run was going"
                f"{'; ' + why if why else ''}); {kept}; move them by hand, or rerun with another --out"
                + ("" if why else " or --force")
            )
        old = final.with_name(f"{final.name}.old-{os.getpid()}")
        try:
            if os.path.lexists(old):
                _remove(old)
            os.rename(final, old)
        except OSError as exc:
            raise OutputError(
                f"cannot move the earlier results {final} aside: {exc.strerror or exc}; {kept}"
            ) from exc
        try:
            os.rename(tmp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.rename(old, final)
            raise OutputError(
                f"cannot rename {tmp} to {final}: {exc.strerror or exc}; {kept} and the "
                "earlier results are unchanged"
            ) from exc
        try:
            _remove(old)
        except OSError as exc:
            warnings.warn(
                f"the earlier results were replaced but {old} could not be deleted "
                f"({exc.strerror or exc}); delete it by hand",
                stacklevel=2,
            )
    else:
        try:
            os.replace(tmp, final)  # an empty folder at `final` is replaced atomically
        except OSError as exc:
            raise OutputError(
                f"cannot rename {tmp} to {final}: {exc.strerror or exc}; {kept}"
            ) from exc
    _fsync_dir(final.parent)
    return final


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_partials(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the unfinished staging folders in ``folder`` whose povsim process has ended.

    A ``<name>.partial-<pid>`` folder is removed only when it holds povsim's partial
    marker written on this host and process ``pid`` is gone; any other partial or
    ``.old-<pid>`` folder is reported (logger ``povsim``) and left alone.

    Returns
    -------
    list of Path
        The folders removed.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    host = platform.node()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        m = _PARTIAL_NAME.fullmatch(entry.name)
        if m is None or not entry.is_dir(follow_symlinks=False) or _pid_alive(int(m["pid"])):
            continue
        path = Path(entry.path)
        try:
            marker = json.loads((path / PARTIAL_MARKER).read_text("utf-8"))
        except (OSError, ValueError):
            marker = None
        if m["what"] == "partial" and isinstance(marker, dict) and marker.get("host") == host:
            try:
                _remove(path)
            except OSError as exc:
                log.warning("cannot remove the unfinished results folder %s: %s", path, exc.strerror or exc)
                continue
            log.warning("removed %s: the unfinished results folder of povsim process %s, which has ended",
                        path, m["pid"])
            removed.append(path)
        else:
            what = "unfinished results" if m["what"] == "partial" else "earlier results moved aside"
            log.warning("left alone: %s looks like %s of a povsim process (%s) that has ended; delete it, or "
                        "rename it to %s, by hand", path, what, m["pid"], m["name"])
    return removed


@contextlib.contextmanager
def results_dir(
    out: str | os.PathLike[str] | None,
    scenario_name: str,
    *,
    kind: str = "run",
    root: str | os.PathLike[str] = "results",
    force: bool = False,
    run_id: str | None = None,
) -> Iterator[Path]:
    """Build a results folder atomically, typed and sealed.

    ``with results_dir(out, "baseline") as d:`` yields an empty staging folder ``d``
    (``<final>.partial-<pid>``, holding :data:`PARTIAL_MARKER`) to write into.  When
    the block ends normally, the folder is sealed (:func:`seal_results`: checksums and
    the completeness flag, written last) and renamed to its final name (see
    :func:`finalize_results_dir`); when it raises, the staging folder (and any parent
    folder created for it) is deleted and an earlier folder at the final path is
    untouched.  Stale staging folders of ended processes beside it are cleaned first
    (:func:`clean_stale_partials`).

    Parameters
    ----------
    out, scenario_name, root, force, run_id
        As for :func:`prepare_results_dir`.
    kind
        What is written (recorded in the manifest).

    Yields
    ------
    Path
        The staging folder. Record paths inside it relative to it (``tables/x.csv``):
        its name changes when the run completes (:func:`final_path`).

    Raises
    ------
    OutputError
        From :func:`prepare_results_dir` (before the block runs) or
        :func:`finalize_results_dir` (after it).
    """
    final = prepare_results_dir(out, scenario_name, root=root, force=force, run_id=run_id)
    created = []
    parent = final.parent
    while not os.path.lexists(parent) and parent != parent.parent:
        created.append(parent)
        parent = parent.parent
    clean_stale_partials(final.parent)
    staging = staging_path(final)

    def undo() -> None:
        with contextlib.suppress(OSError):
            _remove(staging)
        for p in created:  # deepest first; only folders made for this run, if still empty
            with contextlib.suppress(OSError):
                p.rmdir()

    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(staging):  # left over by a crashed run with the same pid
            _remove(staging)
        staging.mkdir()
        atomic_write_text(staging / PARTIAL_MARKER, json.dumps(
            {"pid": os.getpid(), "host": platform.node(), "final": str(final),
             "started": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")
    except OSError as exc:
        undo()
        raise _output_error(staging, exc, "create the results folder") from exc
    except BaseException:
        undo()
        raise
    try:
        yield staging
        (staging / PARTIAL_MARKER).unlink()
        seal_results(staging, kind=kind)
    except BaseException:
        undo()
        raise
    finalize_results_dir(staging, final, force=force)


# --------------------------------------------------------------------------------------
# provenance: versions, git, checksums, manifest
# --------------------------------------------------------------------------------------


def povsim_version() -> str | None:
    """Installed povsim version, else ``povsim.__version__`` when defined, else ``None``."""
    try:
        return importlib.metadata.version("povsim")
    except importlib.metadata.PackageNotFoundError:
        pkg = sys.modules.get("povsim")
        version = getattr(pkg, "__version__", None)
        return str(version) if version is not None else None


def package_versions(names: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    """Installed versions of ``names`` (``None`` for a package that is not installed).

    Parameters
    ----------
    names
        Distribution names as on PyPI.

    Returns
    -------
    dict
        ``{name: version or None}`` in the order of ``names``.
    """
    versions: dict[str, str | None] = {}
    for name in names:
        if name == "povsim":
            versions[name] = povsim_version()
            continue
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(path: str | os.PathLike[str], *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", os.fspath(path), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout


def git_info(path: str | os.PathLike[str] = ".") -> dict[str, Any] | None:
    """The commit checked out at ``path`` and whether the work tree has changes.

    Parameters
    ----------
    path
        Any folder inside the repository.

    Returns
    -------
    dict or None
        ``{"commit": "<40 hex>", "dirty": bool | None}`` (``dirty`` is ``None`` when
        ``git status`` failed), or ``None`` when ``path`` is not in a repository with a
        commit, or git is missing. Never raises.
    """
    head = _git(path, "rev-parse", "HEAD")
    if head is None or not head.strip():
        return None
    status = _git(path, "status", "--porcelain")
    return {"commit": head.strip(), "dirty": None if status is None else bool(status.strip())}


def git_commit(path: str | os.PathLike[str] = ".") -> str | None:
    """The commit at ``path`` as a string, with ``-dirty`` appended for uncommitted changes.

    Parameters
    ----------
    path
        Any folder inside the repository.

    Returns
    -------
    str or None
        ``"<40 hex>"`` or ``"<40 hex>-dirty"`` (as ``git describe --dirty``), or ``None``
        when not in a repository or git is missing. Never raises.
    """
    info = git_info(path)
    if info is None:
        return None
    return info["commit"] + ("-dirty" if info["dirty"] else "")


def file_checksum(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes as ``"sha256:<64 hex>"``.

    Raises
    ------
    OutputError
        The file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise _output_error(path, exc, "read (for its checksum)") from exc
    return f"sha256:{digest.hexdigest()}"


def _json_default(obj: object) -> Any:
    """Convert what TOML, numpy and pathlib put in a scenario dict to JSON values."""
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if hasattr(obj, "model_dump"):  # pydantic models
        return obj.model_dump(mode="json")
    raise TypeError(f"cannot store a {type(obj).__name__} in manifest.json: {obj!r}")


def _finite(obj: Any) -> Any:
    """Replace non-finite floats by strings (JSON has no NaN/Infinity)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, Mapping):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _manifest_head(kind: str) -> dict[str, Any]:
    """The keys that make a manifest a povsim results manifest (``complete`` is set last)."""
    return {"format": RESULTS_FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "complete": False,
            "povsim_version": povsim_version(), "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": platform.node()}


def write_manifest(
    folder: str | os.PathLike[str],
    *,
    kind: str,
    scenario_dict: Mapping[str, Any],
    seeds: Iterable[int],
    input_files: Iterable[str | os.PathLike[str]],
    command_line: Iterable[str],
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json``: everything needed to know how a result was produced.

    Parameters
    ----------
    folder
        The results folder (usually the staging folder of :func:`results_dir`).
    kind
        What writes the folder: ``run``, ``compare``, ``moda``, ``report``,
        ``sensitivity``, ``calibration`` or ``batch``.
    scenario_dict
        The resolved scenario, as run.
    seeds
        Root seed of every replicate.
    input_files
        Files read by the run (scenario files, calibration files, ...); each is stored
        with its SHA-256 checksum.
    command_line
        The command as typed (``sys.argv``).
    extra
        Anything else worth keeping (run time, replicate count, ...).

    Returns
    -------
    Path
        The manifest file.

    Raises
    ------
    OutputError
        An input file cannot be read, a value cannot be stored as JSON, or the file
        cannot be written.

    Notes
    -----
    Keys: ``format`` (:data:`RESULTS_FORMAT`), ``format_version``, ``kind``,
    ``complete`` (``false`` here; :func:`seal_results` sets it, with the checksums of
    the folder's files under ``files``), ``host``, ``povsim_version``, ``created`` (UTC, ISO 8601), ``python_version``,
    ``platform``, ``package_versions``, ``git`` (``{"commit", "dirty"}`` of the
    repository povsim was imported from, or ``null``), ``model_fingerprint`` (a hash of
    the model's source files, :func:`povsim.fingerprint.model_fingerprint`: which model made
    the results, also without git), ``command_line``, ``seeds``,
    ``input_files`` (list of ``{"path", "checksum", "bytes"}``), ``scenario``,
    ``extra``. Non-finite floats are stored as the strings ``"nan"``, ``"inf"``.
    """
    inputs = []
    for file in input_files:
        checksum = file_checksum(file)
        inputs.append(
            {"path": os.fspath(file), "checksum": checksum, "bytes": os.path.getsize(file)}
        )
    manifest = {
        **_manifest_head(kind),
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "package_versions": package_versions(),
        "git": git_info(Path(__file__).resolve().parent),
        "model_fingerprint": model_fingerprint(),
        "command_line": [str(arg) for arg in command_line],
        "seeds": [int(seed) for seed in seeds],
        "input_files": inputs,
        "scenario": dict(scenario_dict),
        "extra": dict(extra) if extra is not None else {},
    }
    try:
        text = json.dumps(
            _finite(json.loads(json.dumps(manifest, default=_json_default))),
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError) as exc:
        raise OutputError(f"cannot write {Path(folder) / 'manifest.json'}: {exc}") from exc
    return atomic_write_text(Path(folder) / "manifest.json", text + "\n")
