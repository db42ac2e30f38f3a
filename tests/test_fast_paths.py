"""The compiled fast paths of the processes give exactly what the general paths give.

Processes take a compiled pass when no modifier is registered on their named values and
the general numpy path otherwise; registering identity modifiers on every value forces the
general paths, so the two runs must give bit-identical tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.model import PovertyModel
from povsim.scenario import Scenario
from povsim.state import VALUE_NAMES
from povsim.table import Table


def _run(identity_modifiers: bool) -> dict[str, pd.DataFrame]:
    s = Scenario.default().with_overrides(
        population={"persons": 3000, "pilot_villages": 4, "comparison_villages": 4,
                    "townships": 8},
        time={"years": 8})
    m = PovertyModel(s, seed=11)
    if identity_modifiers:
        for name in VALUE_NAMES:
            m.world.values.register(name, lambda world, rows, value: value)
    m.run()
    return m.tables(lineage=True)


def test_compiled_paths_equal_general_paths() -> None:
    fast, general = _run(False), _run(True)
    assert set(fast) == set(general)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], general[name], check_exact=True, obj=name)


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
