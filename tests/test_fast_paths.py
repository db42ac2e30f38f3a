"""Modifiers that change nothing change nothing: identity modifiers on every named value,
or on any one of them, give tables bit-identical to the run without modifiers.

Every process runs one implementation; a modifier reaches its compiled pass as per-row
inputs (ratios, shifts or probabilities), so a placebo must reproduce the baseline's
arithmetic exactly.  Also table operations (row removal) agree with their reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.model import PovertyModel
from povsim.scenario import Scenario
from povsim.state import VALUE_NAMES
from povsim.table import Table


def _run(names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    s = Scenario.default().with_overrides(
        population={"persons": 3000, "pilot_villages": 4, "comparison_villages": 4,
                    "townships": 8},
        time={"years": 8})
    m = PovertyModel(s, seed=11)
    for name in names:
        m.world.values.register(name, lambda world, rows, value: value)
    m.run()
    return m.tables(lineage=True)


@pytest.fixture(scope="module")
def baseline() -> dict[str, pd.DataFrame]:
    return _run(())


def _assert_same(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_identity_modifiers_on_every_value_change_nothing(baseline) -> None:
    _assert_same(baseline, _run(tuple(VALUE_NAMES)))


@pytest.mark.parametrize("name", sorted(VALUE_NAMES))
def test_identity_modifier_on_one_value_changes_nothing(baseline, name: str) -> None:
    _assert_same(baseline, _run((name,)))


@pytest.mark.parametrize("seed", range(20))
def test_remove_tail_agrees_with_remove(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    schema = {"a": (np.int64, 0), "b": (np.float32, 0.0)}
    t1, t2 = Table(schema), Table(schema)
    for t in (t1, t2):
        t.append(n, a=np.arange(n), b=np.arange(n, dtype=np.float32))
    rows = np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False))
    mapping = t1.remove(rows)
    tail_map = t2.remove_tail(rows)
    assert t1.n == t2.n == n - len(rows)
    np.testing.assert_array_equal(t1.a, t2.a)
    np.testing.assert_array_equal(mapping[t2.n:], tail_map)
    keep = np.setdiff1d(np.arange(t2.n), rows)
    np.testing.assert_array_equal(mapping[keep], keep)
    assert (mapping[rows] == -1).all()
    # the moved rows hold the values they had
    np.testing.assert_array_equal(t1.a[mapping[mapping >= 0]], np.arange(n)[mapping >= 0])


def test_whole_table_rows_are_recognised_and_read_only():
    from povsim.state import all_rows, is_all_rows

    rows = all_rows(1000)
    assert np.array_equal(rows, np.arange(1000))
    assert is_all_rows(rows, 1000)
    # a copy, a shorter view or another length is not the whole table
    assert not is_all_rows(np.arange(1000), 1000)
    assert not is_all_rows(rows[1:], 999)
    assert not is_all_rows(rows, 1001)
    with pytest.raises(ValueError):
        rows[0] = 5


def test_reach_of_the_whole_table_equals_the_gathered_reach():
    from povsim.scenario import load_scenario
    from povsim.state import all_rows

    s = load_scenario("scenarios/full_package.toml").with_overrides(
        population={"persons": 4000}, time={"years": 3})
    m = PovertyModel(s, seed=5)
    m.run()
    checked = 0
    for iv in m.interventions:
        n = len(iv.reached)
        if n and iv.effective(m.world.year):
            whole = iv.mask_rows(all_rows(n))
            assert np.array_equal(whole, iv.mask_rows(np.arange(n)))
            checked += 1
    assert checked >= 3
