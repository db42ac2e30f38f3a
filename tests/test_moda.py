"""Tests for povsim.moda: Alkire–Foster measures, configuration, tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from povsim.errors import PovsimError
from povsim.moda import (
    TABLE_COLUMNS,
    TABLE_NAMES,
    MODAConfig,
    MODAConfigError,
    alkire_foster,
    compute_moda_tables,
    default_moda_config_path,
    load_moda_config,
    moda_tables,
    parse_moda_config,
    parse_rule,
)

# Alkire & Foster (2011), J. Public Econ. 95: 476-487, worked example (section 3).
AF_ACHIEVEMENTS = np.array(
    [[13.1, 14, 4, 1], [15.2, 7, 5, 0], [12.5, 10, 1, 0], [20, 11, 3, 1]]
)
AF_CUTOFFS = np.array([13, 12, 3, 1])
AF_G0 = AF_ACHIEVEMENTS < AF_CUTOFFS  # deprived when strictly below the cut-off

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------


def test_af2011_deprivation_matrix():
    expected = np.array([[0, 0, 0, 0], [0, 1, 0, 1], [1, 1, 1, 1], [0, 1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(AF_G0, expected)


def test_af2011_worked_example_k2():
    r = alkire_foster(AF_G0, k=2)
    assert r.H == pytest.approx(0.5)
    assert r.A == pytest.approx(0.75)
    assert r.M0 == pytest.approx(0.375)
    # by hand: persons 2 and 3 are poor (2 and 4 deprivations)
    np.testing.assert_array_equal(r.poor, [False, True, True, False])
    np.testing.assert_allclose(r.scores, [0, 2, 4, 1])
    np.testing.assert_allclose(r.uncensored_headcounts, [1 / 4, 3 / 4, 1 / 4, 2 / 4])
    # censored: person 4's deprivation in dimension 2 is censored away
    np.testing.assert_allclose(r.censored_headcounts, [1 / 4, 2 / 4, 1 / 4, 2 / 4])
    # contributions = (1/4) * censored_j / M0 = censored_j / 1.5
    np.testing.assert_allclose(r.contributions, [1 / 6, 1 / 3, 1 / 6, 1 / 3])
    assert r.contributions.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(r.deprivation_count_distribution, [0.25, 0.25, 0.25, 0, 0.25])
    assert r.n == 4 and r.k == 2
    # M0 is the mean of the censored headcounts under equal weights
    assert r.M0 == pytest.approx(r.censored_headcounts.mean())


@pytest.mark.parametrize(
    ("k", "h", "a", "m0"),
    [
        (1, 3 / 4, 7 / 12, 7 / 16),  # union: anyone with a deprivation
        (3, 1 / 4, 1.0, 1 / 4),
        (4, 1 / 4, 1.0, 1 / 4),  # intersection
    ],
)
def test_af2011_example_other_cutoffs(k, h, a, m0):
    r = alkire_foster(AF_G0, k=k)
    assert (r.H, r.A, r.M0) == pytest.approx((h, a, m0))
    assert r.M0 == pytest.approx(r.H * r.A)


def test_union_and_intersection_with_unequal_weights():
    rng = np.random.default_rng(1)
    x = rng.random((200, 5)) < 0.3
    w = np.array([0.1, 0.3, 0.2, 0.25, 0.15])
    union = alkire_foster(x, w, k=w.min())
    np.testing.assert_array_equal(union.poor, x.any(axis=1))
    inter = alkire_foster(x, w, k=w.sum())
    np.testing.assert_array_equal(inter.poor, x.all(axis=1))
    assert inter.A == pytest.approx(1.0) or not inter.poor.any()


def test_all_deprived_and_none_deprived():
    r = alkire_foster(np.ones((7, 3), dtype=int), k=3)
    assert (r.H, r.A, r.M0) == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(r.contributions, [1 / 3] * 3)
    r0 = alkire_foster(np.zeros((5, 3)), k=1)
    assert r0.H == 0 and r0.M0 == 0
    assert math.isnan(r0.A)
    assert np.isnan(r0.contributions).all()


def test_fractional_k_with_tolerance():
    x = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    w = np.full(3, 1 / 3)
    assert alkire_foster(x, w, k=1 / 3).poor.tolist() == [True, True, False]
    assert alkire_foster(x, w, k=2 / 3).poor.tolist() == [False, True, False]
    assert alkire_foster(x, w, k=1.0).poor.tolist() == [False, False, False]


def test_sample_weights_known_answer():
    # person 3 (4 deprivations) counts double
    r = alkire_foster(AF_G0, k=2, sample_weights=[1, 1, 2, 1])
    assert r.n == 5
    assert r.H == pytest.approx(3 / 5)
    assert r.M0 == pytest.approx((0.5 + 2 * 1.0) / 5)
    assert r.A == pytest.approx(r.M0 / r.H)


def test_result_is_frozen():
    r = alkire_foster(AF_G0)
    with pytest.raises(AttributeError):
        r.H = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.poor[0] = True


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"deprivations": [[0, 2], [1, 0]]}, r"\[0, 1\] = 2; expected 0 or 1"),
        ({"deprivations": [[0, np.nan], [1, 0]]}, "NaN"),
        ({"deprivations": [0, 1, 1]}, "2-D"),
        ({"deprivations": [["a", "b"]]}, "0/1"),
        ({"weights": [1, -1]}, "weights must be >= 0"),
        ({"weights": [1, 1, 1]}, "one value per indicator"),
        ({"weights": [1, np.inf]}, "finite"),
        ({"sample_weights": [1, 1, 1]}, "one value per unit"),
        ({"sample_weights": [1, -2]}, r"sample_weights\[1\]"),
        ({"k": 0}, r"outside \(0, 2\]"),
        ({"k": 2.5}, r"outside \(0, 2\]"),
        ({"k": -1}, "outside"),
        ({"k": "2"}, "must be a number"),
    ],
)
def test_alkire_foster_validation(kwargs, match):
    args = {"deprivations": [[0, 1], [1, 1]], "k": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        alkire_foster(**args)


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@st.composite
def af_problems(draw, max_n=25, max_d=6):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    x = draw(arrays(np.bool_, (n, d)))
    w = np.array(draw(st.lists(st.integers(1, 5), min_size=d, max_size=d)), dtype=float)
    k = draw(st.integers(1, int(w.sum())))
    sw = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)), dtype=float)
    return x, w, float(k), sw


@PROPS
@given(af_problems(), st.data())
def test_dimensional_monotonicity(problem, data):
    x, w, k, sw = problem
    r = alkire_foster(x, w, k, sw)
    candidates = [(i, j) for i in np.flatnonzero(r.poor) for j in np.flatnonzero(~x[i])]
    if not candidates:
        return
    i, j = data.draw(st.sampled_from(candidates))
    y = x.copy()
    y[i, j] = True
    assert alkire_foster(y, w, k, sw).M0 > r.M0


@PROPS
@given(af_problems(), st.integers(2, 4))
def test_replication_invariance(problem, reps):
    x, w, k, sw = problem
    r = alkire_foster(x, w, k, sw)
    rr = alkire_foster(np.tile(x, (reps, 1)), w, k, np.tile(sw, reps))
    assert (rr.H, rr.M0) == pytest.approx((r.H, r.M0), abs=1e-12)
    assert rr.A == pytest.approx(r.A, abs=1e-12, nan_ok=True)
    np.testing.assert_allclose(rr.censored_headcounts, r.censored_headcounts, atol=1e-12)


@PROPS
@given(af_problems())
def test_sample_weights_equal_replication(problem):
    x, w, k, sw = problem
    r = alkire_foster(x, w, k, sw)
    rep = alkire_foster(np.repeat(x, sw.astype(int), axis=0), w, k)
    assert (r.H, r.M0) == pytest.approx((rep.H, rep.M0), abs=1e-12)
    assert r.A == pytest.approx(rep.A, abs=1e-12, nan_ok=True)
    np.testing.assert_allclose(r.uncensored_headcounts, rep.uncensored_headcounts, atol=1e-12)
    np.testing.assert_allclose(
        r.deprivation_count_distribution, rep.deprivation_count_distribution, atol=1e-12
    )


@PROPS
@given(af_problems(), st.floats(0.01, 100))
def test_contributions_and_weight_scaling(problem, c):
    x, w, k, sw = problem
    r = alkire_foster(x, w, k, sw)
    if r.M0 > 0:
        assert r.contributions.sum() == pytest.approx(1.0)
        assert r.M0 == pytest.approx(r.H * r.A)
    else:
        assert np.isnan(r.contributions).all()
    s = alkire_foster(x, w * c, k * c, sw)
    np.testing.assert_array_equal(s.poor, r.poor)
    assert (s.H, s.M0) == pytest.approx((r.H, r.M0), abs=1e-12)
    np.testing.assert_allclose(s.contributions, r.contributions, atol=1e-9)


# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------


def _cfg_dict(**moda):
    return {
        "moda": {"name": "t", "k": 2} | moda,
        "age_groups": [
            {"name": "0-5", "min_age": 0, "max_age": 5},
            {"name": "6-17", "min_age": 6, "max_age": 17},
        ],
        "dimensions": {"nutrition": {}, "water": {}, "education": {"weight": 2.0}},
        "indicators": [
            {"name": "stunting", "dimension": "nutrition", "column": "haz", "rule": "< -2",
             "age_groups": ["0-5"], "source": "WHO"},
            {"name": "water", "dimension": "water", "column": "safe_water", "rule": "== 0",
             "source": "JMP"},
            {"name": "preschool", "dimension": "education", "column": "preschool",
             "rule": "== 0", "age_groups": ["0-5"], "min_age": 3, "source": "assumption"},
            {"name": "enrolled", "dimension": "education", "column": "enrolled",
             "rule": "== 0", "age_groups": ["6-17"], "source": "MODA"},
        ],
    }


def test_default_config_loads():
    cfg = load_moda_config(default_moda_config_path())
    assert isinstance(cfg, MODAConfig)
    assert cfg.moda.k == 3 and cfg.moda.missing == "drop"
    assert cfg.moda.income_poverty == "income_poor"
    assert cfg.age_group_names == ["0-5", "6-17"]
    expected = ["nutrition", "health", "education", "information", "water", "sanitation",
                "housing", "social_protection"]
    for ag in cfg.age_group_names:
        assert cfg.dimensions_for(ag) == expected
        assert cfg.k_for(ag) == 3
        assert cfg.weights_for(ag).tolist() == [1.0] * 8
    assert all(len(ind.source) > 20 for ind in cfg.indicators)
    assert cfg.source.endswith("moda_hubei.toml")


def test_parse_rule():
    assert parse_rule("< -2") == ("<", -2.0)
    assert parse_rule(">=2") == (">=", 2.0)
    assert parse_rule(" != 1.5e0 ") == ("!=", 1.5)
    for bad in ["<", "=< 2", "== x", "< 1 2", "between 1 and 2"]:
        with pytest.raises(ValueError, match="not understood"):
            parse_rule(bad)


def test_config_dimensions_weights_and_k():
    cfg = parse_moda_config(_cfg_dict())
    assert cfg.dimensions_for("0-5") == ["nutrition", "water", "education"]
    assert cfg.dimensions_for("6-17") == ["water", "education"]
    assert cfg.weights_for("0-5").tolist() == [1.0, 1.0, 2.0]
    assert cfg.k_for("6-17") == 2


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "moda.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_config_error_unknown_key_in_file(tmp_path):
    text = default_moda_config_path().read_text(encoding="utf-8").replace(
        "[dimensions.health]\nweight = 1.0", "[dimensions.health]\nwieght = 1.0"
    )
    with pytest.raises(MODAConfigError) as info:
        load_moda_config(_write(tmp_path, text))
    msg = str(info.value)
    assert "moda.toml" in msg and "dimensions.health.wieght" in msg
    assert "did you mean 'weight'?" in msg
    assert isinstance(info.value, PovsimError)


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        (lambda d: d["moda"].update(kk=3), "moda.kk", "did you mean 'k'?"),
        (lambda d: d["indicators"][0].update(dimension="nutrtion"),
         "indicators[0]('stunting').dimension", "did you mean 'nutrition'?"),
        (lambda d: d["indicators"][1].update(rule="is zero"),
         "indicators[1]('water').rule", "'OP NUMBER'"),
        (lambda d: d["indicators"][0].update(age_groups=["0-6"]),
         "indicators[0]('stunting').age_groups", "did you mean '0-5'?"),
        (lambda d: d["moda"].update(k=5), "moda.k", "(0, 4]"),
        (lambda d: d["age_groups"][1].update(k=3.5), "age_groups[1]('6-17').k", "(0, 3]"),
        (lambda d: d["moda"].update(k=0), "moda.k", "> 0"),
        (lambda d: d["moda"].update(missing="dorp"), "moda.missing", "did you mean 'drop'?"),
        (lambda d: d["age_groups"][1].update(min_age=5), "age_groups", "overlap"),
        (lambda d: d["dimensions"].update(health={}), "dimensions.health",
         "at least one indicator"),
        (lambda d: d["indicators"][1].pop("source"), "indicators[1]('water').source",
         "required"),
        (lambda d: d["moda"].update(k="3"), "moda.k", "remove the quotes: k = 3"),
    ],
)
def test_config_errors(change, key, fragment):
    data = _cfg_dict()
    change(data)
    with pytest.raises(MODAConfigError) as info:
        parse_moda_config(data, source="cfg.toml")
    msg = str(info.value)
    assert msg.startswith("cfg.toml: ")
    assert key in msg
    assert fragment in msg


def test_config_file_errors(tmp_path):
    with pytest.raises(MODAConfigError, match="existing MODA configuration"):
        load_moda_config(tmp_path / "nope.toml")
    with pytest.raises(MODAConfigError, match="valid TOML"):
        load_moda_config(_write(tmp_path, "[moda\nname = 1"))


# ---------------------------------------------------------------------------------------
# moda_tables
# ---------------------------------------------------------------------------------------


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "age": rng.integers(0, 19, n),  # some 18-year-olds fall outside the groups
        "haz": rng.normal(-1, 1.2, n),
        "safe_water": rng.integers(0, 2, n),
        "preschool": rng.integers(0, 2, n).astype(float),
        "enrolled": (rng.random(n) < 0.8).astype(np.int8),
        "sex": rng.integers(0, 2, n),
        "arm": np.array(["pilot", "comparison"], dtype=object)[rng.integers(0, 2, n)],
        "income_poor": (rng.random(n) < 0.3).astype(float),
    }


def _dims_by_hand(f, young):
    age = f["age"]
    if young:
        mask = age <= 5
        nutrition = f["haz"] < -2
        water = f["safe_water"] == 0
        education = (f["preschool"] == 0) & (age >= 3)
        return mask, np.column_stack([nutrition, water, education]), np.array([1.0, 1, 2])
    mask = (age >= 6) & (age <= 17)
    water = f["safe_water"] == 0
    education = f["enrolled"] == 0
    return mask, np.column_stack([water, education]), np.array([1.0, 2.0])


def _value(table, age_group, measure, by="all", group="all", dimension=""):
    sel = table[(table["age_group"] == age_group) & (table["by"] == by)
                & (table["group"] == group) & (table["measure"] == measure)
                & (table["dimension"] == dimension)]
    assert len(sel) == 1, (age_group, measure, by, group, dimension)
    return float(sel["value"].iloc[0])


def test_moda_tables_match_alkire_foster():
    cfg = parse_moda_config(_cfg_dict(income_poverty="income_poor", groups=["sex", "arm"]))
    f = _frame()
    sw = np.random.default_rng(1).uniform(0.5, 2, len(f["age"]))
    tables = moda_tables(f, cfg, sample_weights=sw)
    assert set(tables) == set(TABLE_NAMES)
    for t in tables.values():
        assert tuple(t.columns) == TABLE_COLUMNS
    s, dims_t = tables["summary"], tables["dimensions"]
    for ag, young in [("0-5", True), ("6-17", False)]:
        mask, x, w = _dims_by_hand(f, young)
        r = alkire_foster(x[mask], w, 2, sw[mask])
        assert _value(s, ag, "H") == pytest.approx(r.H)
        assert _value(s, ag, "A") == pytest.approx(r.A)
        assert _value(s, ag, "M0") == pytest.approx(r.M0)
        assert _value(s, ag, "n_children") == mask.sum()
        names = cfg.dimensions_for(ag)
        for j, dim in enumerate(names):
            assert _value(dims_t, ag, "censored_headcount", dimension=dim) == pytest.approx(
                r.censored_headcounts[j])
            assert _value(dims_t, ag, "contribution", dimension=dim) == pytest.approx(
                r.contributions[j])
        # subgroup rows recompose the total
        sub = s[(s["age_group"] == ag) & (s["by"] == "arm")].pivot(
            index="group", columns="measure", values="value")
        assert (sub["population_share"] * sub["M0"]).sum() == pytest.approx(r.M0)
        assert sub["contribution_to_M0"].sum() == pytest.approx(1.0)
        # income overlap
        inc = tables["income"]
        shares = inc[(inc["age_group"] == ag) & (inc["by"] == "all")].set_index("measure")[
            "value"]
        inc_poor, ww = f["income_poor"][mask] == 1, sw[mask]
        for key, cell in (("deprived_and_poor", r.poor & inc_poor), ("deprived_only", r.poor & ~inc_poor),
                          ("poor_only", ~r.poor & inc_poor), ("neither", ~r.poor & ~inc_poor)):
            assert shares[key] == pytest.approx(ww[cell].sum() / ww.sum())
        # distribution ends in a complete cumulative
        dist = tables["distribution"]
        sel = dist[(dist["age_group"] == ag) & (dist["by"] == "all")
                   & (dist["measure"] == "deprivation_count_share")]
        assert sel["value"].sum() == pytest.approx(1.0)


def test_moda_tables_missing_policies():
    f = _frame()
    f["haz"][:10] = np.nan
    n_young_missing = int(np.count_nonzero(f["age"][:10] <= 5))
    assert n_young_missing > 0
    drop = parse_moda_config(_cfg_dict(missing="drop"))
    keep = parse_moda_config(_cfg_dict(missing="not_deprived"))
    t_drop, notes = compute_moda_tables(f, drop)
    t_keep = moda_tables(f, keep)
    n_young = int(np.count_nonzero(f["age"] <= 5))
    assert _value(t_drop["summary"], "0-5", "missing_drop") == n_young_missing
    assert _value(t_drop["summary"], "0-5", "n_children") == n_young - n_young_missing
    assert _value(t_keep["summary"], "0-5", "missing_not_deprived") == n_young_missing
    assert _value(t_keep["summary"], "0-5", "n_children") == n_young
    assert any("'haz'" in note and "missing" in note for note in notes)
    assert any("outside every age group" in note for note in notes)


def test_moda_tables_overlaps_and_patterns():
    cfg = parse_moda_config(_cfg_dict())
    f = _frame()
    t = moda_tables(f, cfg)
    mask, x, _w = _dims_by_hand(f, True)
    ov = t["overlaps"][t["overlaps"]["age_group"] == "0-5"]
    assert len(ov) == 3 + 1
    got = _value(t["overlaps"], "0-5", "overlap_2", dimension="nutrition & water")
    assert got == pytest.approx((x[mask][:, 0] & x[mask][:, 1]).mean())
    pat = t["patterns"][t["patterns"]["age_group"] == "0-5"]
    assert pat["value"].sum() == pytest.approx(1.0)
    none_share = _value(t["patterns"], "0-5", "pattern_share", dimension="none")
    assert none_share == pytest.approx((~x[mask].any(axis=1)).mean())


def test_moda_tables_errors():
    cfg = parse_moda_config(_cfg_dict())
    f = _frame()
    g = dict(f)
    del g["safe_water"]
    g["safe_watr"] = f["safe_water"]
    with pytest.raises(ValueError, match="did you mean 'safe_watr'"):
        moda_tables(g, cfg)
    cfg01 = parse_moda_config(
        _cfg_dict() | {"indicators": [
            {"name": "water", "dimension": "water", "column": "unsafe", "source": "x"},
            {"name": "n", "dimension": "nutrition", "column": "haz", "rule": "< -2",
             "source": "x"},
            {"name": "e", "dimension": "education", "column": "enrolled", "rule": "== 0",
             "source": "x"},
        ]}
    )
    g = dict(f)
    g["unsafe"] = np.array([0, 1, 2] + [0] * (len(f["age"]) - 3))
    with pytest.raises(ValueError, match="value 2 at index 2; expected 0 or 1"):
        moda_tables(g, cfg01)
    with pytest.raises(ValueError, match="missing label"):
        g = dict(f)
        g["arm"] = f["arm"].copy()
        g["arm"][5] = None
        moda_tables(g, cfg, groups=["arm"])
    with pytest.raises(TypeError, match="MODAConfig"):
        moda_tables(f, _cfg_dict())  # type: ignore[arg-type]


def test_moda_tables_accepts_dataframe_and_hubei_columns():
    cfg = load_moda_config(default_moda_config_path())
    rng = np.random.default_rng(11)
    n = 300
    cols01 = ["stunted", "anaemic", "health_shock", "disabled", "checkup", "insured",
              "preschool", "enrolled", "info_access", "safe_water", "sanitation",
              "housing_poor", "dibao", "income_poor", "dibao_gap", "left_behind",
              "unsupervised", "sex"]
    df = pd.DataFrame({c: rng.integers(0, 2, n) for c in cols01})
    df["age"] = rng.integers(0, 18, n)
    df["haz"] = rng.normal(-1, 1, n)
    df["stimulation"] = rng.normal(0, 1, n)
    df["overage"] = rng.integers(0, 3, n)
    df["county"] = rng.choice(["Badong", "Xuanen", "Hefeng"], n)
    df["arm"] = rng.choice(["pilot", "comparison"], n)
    t = moda_tables(df, cfg, groups=["county", "arm"])
    s = t["summary"]
    assert set(s["by"]) == {"all", "county", "arm"}
    for ag in ["0-5", "6-17"]:
        assert 0 <= _value(s, ag, "M0") <= _value(s, ag, "H") <= 1
        assert _value(s, ag, "n_dimensions") == 8
    ind = t["indicators"]
    assert set(ind["indicator"]) == {i.name for i in cfg.indicators}


def test_moda_tables_many_dimensions_compressed_path():
    d = 14
    data = {
        "moda": {"name": "wide", "k": 3},
        "age_groups": [{"name": "all", "min_age": 0, "max_age": 17}],
        "dimensions": {f"d{j}": {} for j in range(d)},
        "indicators": [{"name": f"i{j}", "dimension": f"d{j}", "column": f"c{j}",
                        "source": "test"} for j in range(d)],
    }
    cfg = parse_moda_config(data)
    rng = np.random.default_rng(2)
    n = 500
    f = {f"c{j}": (rng.random(n) < 0.2).astype(int) for j in range(d)}
    f["age"] = rng.integers(0, 18, n)
    f["g"] = rng.integers(0, 3, n)
    t = moda_tables(f, cfg, groups=["g"])
    x = np.column_stack([f[f"c{j}"] for j in range(d)])
    r = alkire_foster(x, k=3)
    assert _value(t["summary"], "all", "M0") == pytest.approx(r.M0)
    for group in np.unique(f["g"]):
        m0 = alkire_foster(x[f["g"] == group], k=3).M0
        assert _value(t["summary"], "all", "M0", by="g", group=str(group)) == pytest.approx(m0)


def _flat_config(names, k=1, **moda):
    """One age group, one dimension a column (weight 1, no rule: the column is 0/1)."""
    return parse_moda_config({
        "moda": {"name": "flat", "k": k} | moda,
        "age_groups": [{"name": "all", "min_age": 0, "max_age": 17}],
        "dimensions": {n: {} for n in names},
        "indicators": [{"name": n, "dimension": n, "column": n, "source": "test"} for n in names]})


AF_NAMES = ["income", "education", "health", "vote"]


def test_overlaps_table_af2011_known_answer():
    f = {n: AF_G0[:, j].astype(int) for j, n in enumerate(AF_NAMES)} | {"age": np.full(4, 10)}
    ov = moda_tables(f, _flat_config(AF_NAMES, k=2))["overlaps"]
    pairs = ov[ov["measure"] == "overlap_2"].set_index("dimension")["value"]
    assert len(pairs) == 6
    assert pairs["education & vote"] == pytest.approx(2 / 4)  # persons 2 and 3
    assert pairs["income & education"] == pytest.approx(1 / 4)
    triples = ov[ov["measure"] == "overlap_3"]
    assert len(triples) == 4
    assert (triples["value"] == 0.25).all()  # only person 3


def test_overlaps_and_patterns_tables_match_brute_force_weighted():
    rng = np.random.default_rng(3)
    names = ["water", "sanitation", "housing", "nutrition"]
    x = rng.random((300, 4)) < 0.5
    sw = rng.integers(1, 4, 300).astype(float)
    f = {n: x[:, j].astype(int) for j, n in enumerate(names)} | {"age": np.full(300, 8)}
    t = moda_tables(f, _flat_config(names), sample_weights=sw)
    for _, row in t["overlaps"].iterrows():
        cols = [names.index(n) for n in row["dimension"].split(" & ")]
        assert row["value"] == pytest.approx(sw[x[:, cols].all(axis=1)].sum() / sw.sum())
    pat = t["patterns"]
    assert len(pat) == len({tuple(r) for r in x})  # every observed pattern once
    assert pat["value"].sum() == pytest.approx(1.0)
    assert pat["value"].is_monotonic_decreasing
    for _, row in pat.iterrows():
        deprived = set(row["dimension"].split("+")) - {"none"}
        match = (x == np.array([n in deprived for n in names])).all(axis=1)
        assert row["value"] == pytest.approx(sw[match].sum() / sw.sum())


def test_income_table_known_answer():
    # poor = deprived in the one dimension (k = 1)
    f = {"d": np.array([1, 1, 0, 0, 1]), "inc": np.array([1, 0, 1, 0, 0]), "age": np.full(5, 4)}
    t = moda_tables(f, _flat_config(["d"], income_poverty="inc"), sample_weights=[1, 2, 1, 1, 1])
    got = t["income"].set_index("measure")["value"]
    assert got[["deprived_and_poor", "deprived_only", "poor_only", "neither"]].tolist() == pytest.approx(
        [1 / 6, 3 / 6, 1 / 6, 1 / 6])


def test_subgroup_rows_known_answer_with_categorical_groups():
    f = {n: AF_G0[:, j].astype(int) for j, n in enumerate(AF_NAMES)} | {
        "age": np.full(4, 10), "g": pd.Categorical(["x", "y", "x", "y"], categories=["x", "y", "z"])}
    s = moda_tables(f, _flat_config(AF_NAMES, k=2), groups=["g"])["summary"]
    assert set(s.loc[s["by"] == "g", "group"]) == {"x", "y"}  # the empty category "z" left out
    assert _value(s, "all", "M0", by="g", group="x") == pytest.approx(0.5)  # persons 1 (none), 3 (all four)
    assert _value(s, "all", "M0", by="g", group="y") == pytest.approx(0.25)  # person 2 (two), 4 not poor
    assert _value(s, "all", "contribution_to_M0", by="g", group="x") == pytest.approx(2 / 3)
    assert _value(s, "all", "contribution_to_M0", by="g", group="y") == pytest.approx(1 / 3)


def test_moda_tables_zero_weight_age_group_is_noted():
    cfg = parse_moda_config(_cfg_dict())
    f = _frame()
    sw = np.where(f["age"] <= 5, 0.0, 1.0)
    tables, notes = compute_moda_tables(f, cfg, sample_weights=sw)
    assert "0-5" not in set(tables["summary"]["age_group"])
    assert "6-17" in set(tables["summary"]["age_group"])
    assert any("0-5" in note and "sum to zero" in note for note in notes)
