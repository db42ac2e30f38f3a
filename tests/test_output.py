"""Tests for povsim.output: atomic writes, results folders, manifest."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from povsim import output
from povsim.errors import OutputError, PovsimError, ResultsError
from povsim.fingerprint import model_fingerprint
from povsim.output import (
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_text,
    file_checksum,
    finalize_results_dir,
    git_commit,
    git_info,
    package_versions,
    prepare_results_dir,
    results_dir,
    save_figure,
    staging_path,
    verify_results,
    write_manifest,
)


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder`` by an atomic write."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    assert atomic_write_text(target, "héllo\n") == target
    assert target.read_text(encoding="utf-8") == "héllo\n"
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert leftovers(target.parent) == []


def test_new_file_gets_umask_permissions_and_old_file_keeps_its_own(tmp_path: Path) -> None:
    # NamedTemporaryFile makes 0o600 files; results are meant to be shared
    target = atomic_write_text(tmp_path / "a.txt", "x")
    assert target.stat().st_mode & 0o777 == 0o666 & ~output._umask()
    target.chmod(0o640)
    atomic_write_text(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640


def test_atomic_write_csv_roundtrip(tmp_path: Path) -> None:
    df = pd.DataFrame({"year": [2015, 2016], "group": ["Yangxin", "阳新"], "v": [0.1, 0.25]})
    target = atomic_write_csv(tmp_path / "t.csv", df)
    back = pd.read_csv(target)
    pd.testing.assert_frame_equal(back, df)
    assert "\r" not in target.read_text(encoding="utf-8")
    assert leftovers(tmp_path) == []


class ExplodingFrame(pd.DataFrame):
    """A DataFrame whose to_csv writes a little, then fails."""

    def to_csv(self, path_or_buf=None, **kwargs):  # type: ignore[override]
        path_or_buf.write("year,value\n2015,")
        raise RuntimeError("boom half-way")


def test_failing_to_csv_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError, match="boom"):
        atomic_write_csv(target, ExplodingFrame({"a": [1]}))
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_failing_replace_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def refuse(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(output.os, "replace", refuse)
    with pytest.raises(OutputError, match=r"a\.txt"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_disk_full_gives_output_error_and_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    with pytest.raises(OutputError) as info:
        atomic_write_text(target, "new" * 1000)
    message = str(info.value)
    assert str(target) in message and "No space left" in message and "disk space" in message
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_permission_denied_gives_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(output.tempfile, "NamedTemporaryFile", denied)
    with pytest.raises(OutputError, match=r"Permission denied.*--out"):
        atomic_write_text(tmp_path / "a.txt", "x")
    assert not (tmp_path / "a.txt").exists()


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="root (or Windows) ignores folder permission bits; covered by the monkeypatch test",
)
def test_read_only_folder_gives_output_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="ro"):
            atomic_write_text(folder / "a.txt", "x")
        with pytest.raises(OutputError, match="ro"):
            prepare_results_dir(folder / "run", "s")
    finally:
        folder.chmod(0o700)


def test_output_error_is_a_povsim_error() -> None:
    assert issubclass(OutputError, PovsimError)


def test_save_figure_writes_png_and_svg(tmp_path: Path) -> None:
    fig = Figure(figsize=(2, 1.5))
    fig.subplots().plot([0, 1], [1, 0])
    paths = save_figure(fig, tmp_path / "figures" / "f.v1", dpi=40)
    assert [p.name for p in paths] == ["f.v1.png", "f.v1.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()
    assert leftovers(tmp_path / "figures") == []


# --------------------------------------------------------------------------------------
# results folders
# --------------------------------------------------------------------------------------


def test_default_folder_name(tmp_path: Path) -> None:
    final = prepare_results_dir(None, "hubei pilot/v2", root=tmp_path, run_id="r1")
    assert final == tmp_path / "hubei_pilot_v2-r1"
    assert not final.exists()
    stamped = prepare_results_dir(None, "base", root=tmp_path)
    assert stamped.name.startswith("base-") and len(stamped.name) == len("base-20260101-000000")


def test_default_folder_avoids_same_second_collision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "_utc_stamp", lambda: "20260101-000000")
    (tmp_path / "base-20260101-000000").mkdir()
    (tmp_path / "base-20260101-000000" / "manifest.json").write_text("{}")
    assert prepare_results_dir(None, "base", root=tmp_path).name == "base-20260101-000000-2"


def test_empty_scenario_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="--out"):
        prepare_results_dir(None, "///", root=tmp_path)


def test_results_dir_creates_folder_atomically(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with results_dir(final, "base") as d:
        assert d == staging_path(final.absolute())
        assert not final.exists()
        atomic_write_text(d / "tables" / "a.csv", "x\n")
    assert (final / "tables" / "a.csv").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_existing_empty_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    with results_dir(tmp_path / "run", "base") as d:
        (d / "a").write_text("new")
    assert (tmp_path / "run" / "a").read_text() == "new"


def make_old_run(tmp_path: Path) -> Path:
    """A complete povsim results folder ``run`` holding ``a.csv`` = "old" (built under
    another name: a sealed folder may be moved)."""
    with results_dir(tmp_path / "old-build", "base") as d:
        (d / "a.csv").write_text("old")
    return (tmp_path / "old-build").rename(tmp_path / "run")


def test_existing_folder_is_refused_without_force(tmp_path: Path) -> None:
    old = make_old_run(tmp_path)
    with pytest.raises(OutputError, match=r"exists; use --force .* --out"):
        with results_dir(old, "base"):
            pytest.fail("the block must not run")
    assert (old / "a.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_force_replaces_only_on_success(tmp_path: Path) -> None:
    old = make_old_run(tmp_path)
    with results_dir(old, "base", force=True) as d:
        assert (old / "a.csv").read_text() == "old"  # untouched while running
        (d / "a.csv").write_text("new")
    assert (old / "a.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no .old / .partial


def test_results_folder_is_typed_sealed_and_verified(tmp_path: Path) -> None:
    """The manifest is written last: format, kind, completeness flag, checksum of every file."""
    with results_dir(tmp_path / "run", "base", kind="report") as d:
        atomic_write_text(d / "tables" / "t.csv", "a,b\n1,2\n")
        assert (d / output.PARTIAL_MARKER).is_file()  # names the process while it is written
    m = verify_results(tmp_path / "run")
    assert m["format"] == output.RESULTS_FORMAT and m["kind"] == "report" and m["complete"] is True
    assert m["files"]["tables/t.csv"]["sha256"] == file_checksum(tmp_path / "run" / "tables" / "t.csv")
    assert not (tmp_path / "run" / output.PARTIAL_MARKER).exists()
    (tmp_path / "run" / "tables" / "t.csv").write_text("a,b\n1,")  # truncated
    with pytest.raises(ResultsError, match=r"tables/t\.csv .*truncated"):
        verify_results(tmp_path / "run")


@pytest.mark.parametrize("what", ["user folder", "file", "changed results", "incomplete results"])
def test_force_never_replaces_anything_but_complete_povsim_results(tmp_path: Path, what: str) -> None:
    """issue 12 item 1: --force refused (exit 2 in the CLI) for anything povsim did not write."""
    target = tmp_path / "precious"
    if what == "user folder":
        target.mkdir()
        (target / "notes.txt").write_text("my notes")
    elif what == "file":
        target.write_text("my notes")
    else:
        make_old_run(tmp_path).rename(target)
        if what == "changed results":
            (target / "notes.txt").write_text("my notes")  # the user added a file
        else:
            m = json.loads((target / "manifest.json").read_text())
            m["complete"] = False
            (target / "manifest.json").write_text(json.dumps(m))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(OutputError, match="never deletes or replaces"):
        with results_dir(target, "base", force=True):
            pytest.fail("the block must not run")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    if what != "incomplete results":
        assert (target / "notes.txt" if target.is_dir() else target).read_text() == "my notes"


def test_force_never_replaces_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = make_old_run(tmp_path)
    monkeypatch.chdir(old)
    with pytest.raises(OutputError, match="current folder"):
        prepare_results_dir(".", "base", force=True)
    assert (old / "a.csv").read_text() == "old"


def test_force_replaces_a_run_with_its_report_inside(tmp_path: Path) -> None:
    old = make_old_run(tmp_path)
    with results_dir(old / "report", "report", kind="report") as d:
        (d / "brief.md").write_text("brief")
    with results_dir(old, "base", force=True) as d:
        (d / "a.csv").write_text("new")
    assert (old / "a.csv").read_text() == "new" and not (old / "report").exists()


def test_unwritable_out_fails_before_the_run() -> None:
    """issue 12 item 9: --out /proc/x fails at once, not after the simulation."""
    with pytest.raises(OutputError, match="/proc/x"):
        prepare_results_dir("/proc/x", "base")


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_partial_of_an_ended_process_is_cleaned(tmp_path: Path, caplog) -> None:
    """issue 12 item 3: a killed run's NAME.partial-PID is removed by the next results folder
    beside it; a partial without povsim's marker is reported and left alone."""
    pid = _dead_pid()
    stale = tmp_path / f"run.partial-{pid}"
    stale.mkdir()
    (stale / output.PARTIAL_MARKER).write_text(json.dumps({"pid": pid, "host": output.platform.node()}))
    (stale / "a.csv").write_text("half")
    foreign = tmp_path / f"mine.partial-{pid}"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with caplog.at_level("WARNING", logger="povsim"), results_dir(tmp_path / "other", "base") as d:
        (d / "a.csv").write_text("new")
    assert not stale.exists()
    assert (foreign / "notes.txt").read_text() == "keep"
    assert "removed" in caplog.text and "left alone" in caplog.text
    with pytest.raises(ResultsError, match="unfinished"):
        verify_results(foreign)


@pytest.mark.parametrize("force", [False, True])
def test_exception_leaves_earlier_folder_and_no_partial(tmp_path: Path, force: bool) -> None:
    final = tmp_path / "run"
    if force:
        make_old_run(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with results_dir(final, "base", force=force) as d:
            (d / "manifest.json").write_text("new")
            1 / 0  # noqa: B018
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if force else [])
    if force:
        assert (final / "a.csv").read_text() == "old"


def test_folder_appearing_during_run_keeps_new_results(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with pytest.raises(OutputError, match="kept in"):
        with results_dir(final, "base") as d:
            (d / "a").write_text("new")
            make_old_run(tmp_path)  # another process wins the race
    assert (final / "a.csv").read_text() == "old"
    assert (staging_path(final) / "a").read_text() == "new"


def test_failed_final_rename_restores_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = make_old_run(tmp_path)
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "manifest.json").write_text("new")
    real_rename = os.rename

    def flaky(src, dst):
        if Path(src) == staging:
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(src, dst)

    monkeypatch.setattr(output.os, "rename", flaky)
    with pytest.raises(OutputError, match="earlier results are unchanged"):
        finalize_results_dir(staging, old, force=True)
    assert (old / "a.csv").read_text() == "old"
    assert (staging / "manifest.json").read_text() == "new"


def test_unwritable_parent_is_reported_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.os, "access", lambda *a, **k: False)
    with pytest.raises(OutputError, match=r"permission denied in .*--out"):
        prepare_results_dir(tmp_path / "run", "base")


def test_parent_that_is_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match="f"):
        prepare_results_dir(tmp_path / "f" / "run", "base")


# --------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------


def test_package_versions() -> None:
    versions = package_versions(("numpy", "surely-not-installed-xyz"))
    assert versions == {"numpy": np.__version__, "surely-not-installed-xyz": None}
    assert set(package_versions()) >= {"povsim", "numpy", "pandas", "matplotlib", "SALib"}


def test_git_commit_outside_repo_is_none(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
    assert git_info(tmp_path / "missing") is None


def test_git_missing_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory: 'git'")

    monkeypatch.setattr(output.subprocess, "run", no_git)
    assert git_commit(".") is None


def test_git_commit_reports_dirty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"rev-parse": "a" * 40 + "\n", "status": " M src/x.py\n"}

    class Done:
        def __init__(self, out: str) -> None:
            self.returncode, self.stdout = 0, out

    monkeypatch.setattr(output.subprocess, "run", lambda cmd, **k: Done(answers[cmd[3]]))
    assert git_info(tmp_path) == {"commit": "a" * 40, "dirty": True}
    assert git_commit(tmp_path) == "a" * 40 + "-dirty"
    answers["status"] = ""
    assert git_commit(tmp_path) == "a" * 40


def test_file_checksum(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_bytes(b"name = 'x'\n")
    assert file_checksum(f) == "sha256:" + hashlib.sha256(b"name = 'x'\n").hexdigest()
    with pytest.raises(OutputError, match=r"missing\.toml"):
        file_checksum(tmp_path / "missing.toml")


def test_manifest(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("[population]\nsize = 1000\n")
    resolved = {
        "name": "base",
        "population": {"size": np.int64(1000), "start": 2015},
        "file": Path("s.toml"),
        "bound": float("inf"),
    }
    path = write_manifest(
        tmp_path,
        kind="run",
        scenario_dict=resolved,
        seeds=[1, np.int64(2)],
        input_files=[str(scenario)],
        command_line=["povsim", "run", "s.toml"],
        extra={"replicates": 2},
    )
    assert path == tmp_path / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {
        "format",
        "format_version",
        "kind",
        "complete",
        "host",
        "povsim_version",
        "created",
        "python_version",
        "platform",
        "package_versions",
        "git",
        "model_fingerprint",
        "command_line",
        "seeds",
        "input_files",
        "scenario",
        "extra",
    }
    assert data["seeds"] == [1, 2]
    assert data["command_line"] == ["povsim", "run", "s.toml"]
    assert data["scenario"]["population"] == {"size": 1000, "start": 2015}
    assert data["scenario"]["file"] == "s.toml" and data["scenario"]["bound"] == "inf"
    assert data["input_files"] == [
        {
            "path": str(scenario),
            "checksum": "sha256:" + hashlib.sha256(scenario.read_bytes()).hexdigest(),
            "bytes": scenario.stat().st_size,
        }
    ]
    assert data["created"].endswith("+00:00")
    assert data["package_versions"]["numpy"] == np.__version__
    assert data["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert data["extra"] == {"replicates": 2}
    assert data["model_fingerprint"] == model_fingerprint() and len(data["model_fingerprint"]) == 16
    assert leftovers(tmp_path) == []


def test_manifest_refuses_unserialisable_value(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"manifest\.json"):
        write_manifest(
            tmp_path, kind="run", scenario_dict={"x": object()}, seeds=[1], input_files=[], command_line=[]
        )
    assert not (tmp_path / "manifest.json").exists()


def test_temporary_file_is_made_in_the_target_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the temporary file must be on the same file system as the target for os.replace
    seen: list[str] = []
    real = tempfile.NamedTemporaryFile

    def spy(*args, **kwargs):
        seen.append(str(kwargs["dir"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(output.tempfile, "NamedTemporaryFile", spy)
    atomic_write_text(tmp_path / "x.txt", "x")
    assert seen == [str(tmp_path)]


def test_save_figure_closes_pyplot_figures(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    assert fig.number in plt.get_fignums()
    save_figure(fig, tmp_path / "p", formats=("png",), dpi=20)
    assert fig.number not in plt.get_fignums()
