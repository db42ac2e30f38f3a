"""MODA in every run: the run's MODA tables agree with Alkire-Foster on the child frame."""

from __future__ import annotations

import numpy as np
import pytest

from povsim.moda import alkire_foster, default_moda_config_path, load_moda_config
from povsim.moda.model import CHILD_COLUMNS, child_frame
from povsim.model import PovertyModel
from povsim.plots import moda_figures
from povsim.scenario import Scenario


@pytest.fixture(scope="module")
def model() -> PovertyModel:
    s = Scenario.default().with_overrides(population={"persons": 4000, "pilot_villages": 4,
                                                      "comparison_villages": 4, "townships": 8},
                                          time={"years": 3})
    m = PovertyModel(s, seed=3)
    m.run()
    return m


def test_child_frame_has_documented_columns(model) -> None:
    f = child_frame(model.world)
    assert set(f) == set(CHILD_COLUMNS)
    n = len(f["age"])
    assert n > 0 and all(len(v) == n for v in f.values())
    assert f["age"].max() <= 17


def test_run_moda_matches_alkire_foster(model) -> None:
    """Recompute H, A, M0 for ages 6-17 in the last year by hand from the child frame."""
    cfg = load_moda_config(default_moda_config_path())
    f = child_frame(model.world)
    sel = (f["age"] >= 6) & (f["age"] <= 17)
    dims = {}
    for ind in cfg.indicators:
        if ind.age_groups and "6-17" not in ind.age_groups:
            continue
        col = np.asarray(f[ind.column], dtype=float)[sel]
        if ind.rule:
            op, x = ind.rule.split()
            dep = {"<": col < float(x), "<=": col <= float(x), ">": col > float(x),
                   ">=": col >= float(x), "==": col == float(x), "!=": col != float(x)}[op]
        else:
            dep = col == 1
        dims[ind.dimension] = dims.get(ind.dimension, np.zeros(sel.sum(), bool)) | dep
    X = np.column_stack([dims[d] for d in dims])
    r = alkire_foster(X, k=cfg.moda.k)
    tabs = model.tables()
    s = tabs["moda_summary"]
    last = s[(s.year == model.world.year) & (s.by == "all") & (s.age_group == "6-17")]
    got = dict(zip(last.measure, last.value, strict=False))
    assert got["H"] == pytest.approx(r.H, abs=1e-12)
    assert got["M0"] == pytest.approx(r.M0, abs=1e-12)
    assert got["A"] == pytest.approx(r.A, abs=1e-12)


def test_moda_tables_by_year_and_subgroup(model) -> None:
    tabs = model.tables()
    s = tabs["moda_summary"]
    assert sorted(s.year.unique()) == [2014, 2015, 2016, 2017]
    assert {"all", "county", "arm", "sex", "left_behind", "generation"} <= set(s.by)
    # subgroup M0s recompose the total exactly (population-share weighted)
    for (_yr, _ag), d in s[s.by.isin(["all", "arm"])].groupby(["year", "age_group"]):
        total = d[(d.by == "all") & (d.measure == "M0")].value.iloc[0]
        arm = d[d.by == "arm"].pivot(index="group", columns="measure", values="value")
        assert (arm["population_share"] * arm["M0"]).sum() == pytest.approx(total, abs=1e-12)
    tidy = tabs["moda"]
    assert {"moda_headcount_rate_0_5", "moda_M0_6_17", "moda_deprived_and_poor_share_0_5"} <= set(
        tidy.measure)
    figs = moda_figures(tabs)
    assert set(figs) == {"moda_dimensions", "moda_dimensions_censored", "moda_distribution",
                         "moda_income_overlap"}


def _same_tables(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for name in a:
        if a[name] is None or b[name] is None:
            assert a[name] is None and b[name] is None, name
            continue
        assert set(a[name]) == set(b[name]), name
        for col in a[name]:
            x, y = a[name][col], b[name][col]
            if x.dtype.kind == "f":
                np.testing.assert_array_equal(x, y, err_msg=f"{name}.{col}")
            else:
                assert list(x) == list(y), f"{name}.{col}"


@pytest.mark.parametrize("groups", [
    ("sex", "left_behind", "arm", "county", "generation"),
    (),
    ("dibao", "age"),
])
def test_compiled_moda_tables_equal_general_path(model, groups) -> None:
    """The compiled pass gives exactly the rows of compute_moda_tables on the child frame."""
    from povsim.moda import compute_moda_tables
    from povsim.moda.model import fast_moda_tables

    cfg = load_moda_config(default_moda_config_path())
    fast = fast_moda_tables(model.world, cfg, groups)
    assert fast is not None
    general, _ = compute_moda_tables(child_frame(model.world), cfg, groups=list(groups),
                                     as_arrays=True)
    _same_tables(fast, general)


def test_compiled_moda_falls_back_on_unknown_group(model) -> None:
    from povsim.moda.model import fast_moda_tables

    cfg = load_moda_config(default_moda_config_path())
    assert fast_moda_tables(model.world, cfg, ("stimulation",)) is None


def test_outcome_view_counted_from_the_main_scores(model) -> None:
    """The outcome view counted from the main configuration's scoring gives exactly the
    rows of its own compiled pass and of the general path; a view whose indicator differs
    from the main configuration's is left to its own pass."""
    from povsim.moda import compute_moda_tables
    from povsim.moda.model import fast_moda_tables, shared_moda_tables
    from povsim.moda.views import outcome_view

    cfg = load_moda_config(default_moda_config_path())
    view = outcome_view(cfg)
    main, shared = shared_moda_tables(model.world, cfg, ("sex", "county"), [view])
    _same_tables(main, fast_moda_tables(model.world, cfg, ("sex", "county")))
    _same_tables(shared, fast_moda_tables(model.world, view, ()))
    general, _ = compute_moda_tables(child_frame(model.world), view, groups=[], as_arrays=True)
    _same_tables(shared, general)
    # a stricter stimulation rule in the view: its bits are not the main scoring's
    changed = [ind.model_copy(update={"rule": "< 0.5"}) if ind.column == "stimulation" else ind
               for ind in view.indicators]
    other = view.model_copy(update={"indicators": changed})
    assert shared_moda_tables(model.world, cfg, (), [other])[1] is None
