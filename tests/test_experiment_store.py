"""Result files of single runs and the run store (no simulation runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.experiment.errors import BatchError
from povsim.experiment.runfile import CorruptRunFile, RunFile, encode
from povsim.experiment.store import RunStore
from povsim.experiment.worker import RunOutcome
from povsim.fingerprint import model_fingerprint


def frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 50
    tidy = pd.DataFrame({
        "year": np.arange(2014, 2014 + n, dtype=np.int64),
        "by": pd.Series(["all", "county"] * (n // 2), dtype="str"),
        "group": pd.Series(["all", None, "Wufeng", "Xuan'en", "鄂"] * (n // 5), dtype="str"),
        "measure": ["m"] * n,
        "value": rng.random(n),
        "flag": rng.random(n) > 0.5,
        "n": rng.integers(0, 100, n).astype(np.int32),
    })
    tidy.loc[3, "value"] = np.nan
    return {"tidy": tidy, "empty": tidy.iloc[:0].reset_index(drop=True)}


def test_round_trip_is_exact() -> None:
    tabs = frames()
    rf = RunFile.from_bytes(encode(tabs, {"seconds": 1.5}))
    back = rf.tables()
    assert list(back) == ["tidy", "empty"]
    for k in tabs:
        pd.testing.assert_frame_equal(back[k], tabs[k], check_exact=True)
    assert rf.meta == {"seconds": 1.5}
    assert list(rf.tables(["empty"])) == ["empty"]


def test_checksum_ignores_meta() -> None:
    a = RunFile.from_bytes(encode(frames(), {"host": "a", "seconds": 1.0}))
    b = RunFile.from_bytes(encode(frames(), {"host": "b", "seconds": 2.0}))
    assert a.sha256 == b.sha256


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "header"])
def test_damage_is_detected(tmp_path: Path, damage: str) -> None:
    blob = bytearray(encode(frames()))
    if damage == "truncate":
        blob = blob[: len(blob) - 7]
    elif damage == "flip":
        blob[-20] ^= 0x01
    elif damage == "magic":
        blob[0:2] = b"XX"
    else:
        blob = blob[:30]
    path = tmp_path / "x.run"
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptRunFile):
        RunFile(path)


def test_scan_classifies_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "b")
    store.create()
    ok = encode({"income_poverty": frames()["tidy"]}, {"model": model_fingerprint(), "scenario": "s", "absent": []})
    store.write_outcome(RunOutcome(key="a" * 16, ok=True, blob=ok))
    store.write_outcome(RunOutcome(key="b" * 16, ok=False, error="ValueError: boom", traceback="Traceback..."))
    store.write_outcome(RunOutcome(key="c" * 16, ok=True, blob=ok))
    store.result_path("c" * 16).write_bytes(ok[:-5])
    state = store.scan(["a" * 16, "b" * 16, "c" * 16, "d" * 16], ["income_poverty"])
    assert list(state.done) == ["a" * 16]
    assert state.failed["b" * 16]["error"] == "ValueError: boom"
    assert json.loads(store.failed_path("b" * 16).read_text())["traceback"] == "Traceback..."
    assert set(state.corrupt) == {"c" * 16} and "truncated" in state.corrupt["c" * 16]
    assert state.pending == ["c" * 16, "d" * 16]
    # a design keeping another table makes the finished run stale (run again)
    state = store.scan(["a" * 16], ["income_poverty", "stunting"])
    assert state.stale == ["a" * 16] and state.pending == ["a" * 16]
    # a later success replaces the failure record
    store.write_outcome(RunOutcome(key="b" * 16, ok=True, blob=ok))
    assert not store.failed_path("b" * 16).exists()
    # a result of another model version, or one that does not say which, is run again
    for meta in ({"model": "0123456789abcdef", "absent": []}, {"absent": []}):
        store.write_outcome(RunOutcome(key="f" * 16, ok=True,
                                       blob=encode({"income_poverty": frames()["tidy"]}, meta)))
        state = store.scan(["a" * 16, "f" * 16], ["income_poverty"])
        assert list(state.done) == ["a" * 16]
        assert state.other_model == ["f" * 16] and state.pending == ["f" * 16] and not state.stale


def test_damaged_blob_from_worker_is_recorded_as_failure(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "b")
    store.create()
    store.write_outcome(RunOutcome(key="e" * 16, ok=True, blob=encode(frames())[:-3]))
    assert not store.result_path("e" * 16).exists()
    assert "damaged result" in json.loads(store.failed_path("e" * 16).read_text())["error"]


def test_lock_is_exclusive_and_cleans_temporary_files(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "b")
    store.create()
    (store.runs / ".abc.run.x1.tmp").write_bytes(b"partial")
    with store.locked():
        assert store.clean_temporary() == 1
        with pytest.raises(BatchError, match="another povsim process"), RunStore(tmp_path / "b").locked():
            pass
    with store.locked():  # released
        pass
