"""Tests for povsim.moda.survey: MODA tables from a survey CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.errors import PovsimError
from povsim.moda import (
    TABLE_NAMES,
    alkire_foster,
    default_moda_config_path,
    load_moda_config,
    parse_moda_config,
)
from povsim.moda.survey import SurveyError, survey_moda

EXAMPLE = Path(__file__).parent / "data" / "moda_survey_example.csv"


@pytest.fixture(scope="module")
def config():
    return load_moda_config(default_moda_config_path())


def _raw() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)


def _save(tmp_path: Path, df: pd.DataFrame, name: str = "survey.csv") -> Path:
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def _value(table, age_group, measure, by="all", group="all", dimension=""):
    sel = table[(table["age_group"] == age_group) & (table["by"] == by)
                & (table["group"] == group) & (table["measure"] == measure)
                & (table["dimension"] == dimension)]
    assert len(sel) == 1, (age_group, measure, by, group, dimension)
    return float(sel["value"].iloc[0])


def _hubei_dims_by_hand(df: pd.DataFrame, young: bool):
    """Dimension deprivations for the Hubei config, written out independently."""
    num = df.apply(pd.to_numeric, errors="coerce")
    age = num["age"]
    if young:
        mask = (age <= 5) & num["haz"].notna()  # missing HAZ is dropped
        nutrition = (num["haz"] < -2) | (num["anaemic"] == 1)
        education = (num["stimulation"] < -0.5) | ((num["preschool"] == 0) & (age >= 3))
    else:
        mask = (age >= 6) & (age <= 17) & num["safe_water"].notna()
        nutrition = (num["stunted"] == 1) | (num["anaemic"] == 1)
        education = (num["enrolled"] == 0) | (num["overage"] >= 2)
    x = np.column_stack([
        nutrition,
        (num["checkup"] == 0) | (num["insured"] == 0),
        education,
        num["info_access"] == 0,
        num["safe_water"] == 0,
        num["sanitation"] == 0,
        num["housing_poor"] == 1,
        (num["dibao_gap"] == 1) | (num["unsupervised"] == 1),
    ])
    m = mask.to_numpy()
    return x[m], num["weight"].to_numpy()[m], num["income_poor"].to_numpy()[m]


def test_example_survey_matches_hand_computation(config, tmp_path):
    result = survey_moda(EXAMPLE, config, out_dir=tmp_path / "out")
    assert result.n_rows == 20
    assert result.n_outside == 1  # the 18-year-old
    assert result.config_name == "hubei_2015"
    s = result.tables["summary"]
    for ag, young in [("0-5", True), ("6-17", False)]:
        x, w, _inc = _hubei_dims_by_hand(_raw(), young)
        r = alkire_foster(x, k=3, sample_weights=w)
        assert _value(s, ag, "H") == pytest.approx(r.H)
        assert _value(s, ag, "A") == pytest.approx(r.A)
        assert _value(s, ag, "M0") == pytest.approx(r.M0)
        assert _value(s, ag, "n_children") == len(x)
        assert _value(s, ag, "missing_drop") == 1
    notes = "\n".join(result.notes)
    assert "missing-value policy: 'drop'" in notes
    assert "'stunted'" in notes and "'safe_water'" in notes
    assert "1 of 20 children are outside every age group" in notes
    assert "income column 'income_poor'" in notes
    # decomposition by the config's default groups (sex, left_behind, arm)
    assert set(s["by"]) == {"all", "sex", "left_behind", "arm"}


def test_example_survey_writes_csv_files(config, tmp_path):
    out = tmp_path / "out"
    result = survey_moda(EXAMPLE, config, out_dir=out, groups=["county"])
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"moda_{t}.csv" for t in TABLE_NAMES] + ["moda_notes.txt"])
    assert len(result.files) == len(names)
    back = pd.read_csv(out / "moda_summary.csv")
    assert set(back["by"]) == {"all", "county"}
    assert len(back) == len(result.tables["summary"])
    assert "missing-value policy" in (out / "moda_notes.txt").read_text()
    # a second run replaces the files in place
    survey_moda(EXAMPLE, config, out_dir=out, groups=["county"])
    assert sorted(p.name for p in out.iterdir()) == names


def test_not_deprived_policy_keeps_children(config, tmp_path):
    cfg = config.model_copy(update={"moda": config.moda.model_copy(
        update={"missing": "not_deprived"})})
    result = survey_moda(EXAMPLE, cfg)
    s = result.tables["summary"]
    assert _value(s, "0-5", "n_children") == 9
    assert _value(s, "6-17", "n_children") == 10
    assert _value(s, "6-17", "missing_not_deprived") == 1
    assert "missing-value policy: 'not_deprived'" in result.notes[0]


def test_income_overlap_sums_to_one(config):
    inc = survey_moda(EXAMPLE, config).tables["income"]
    sel = inc[(inc["by"] == "all") & (inc["measure"] != "income_poor")]
    for _ag, part in sel.groupby("age_group"):
        assert part["value"].sum() == pytest.approx(1.0)


def test_missing_column(config, tmp_path):
    df = _raw().rename(columns={"safe_water": "safe_watr"})
    with pytest.raises(SurveyError) as info:
        survey_moda(_save(tmp_path, df), config)
    msg = str(info.value)
    assert "survey.csv" in msg and "column 'safe_water'" in msg
    assert "did you mean 'safe_watr'?" in msg
    assert isinstance(info.value, PovsimError)


def test_non_01_value_names_row_and_column(config, tmp_path):
    df = _raw()
    df.loc[2, "housing_poor"] = "2"
    with pytest.raises(SurveyError) as info:
        survey_moda(_save(tmp_path, df), config)
    err = info.value
    assert err.row == 3 and err.column == "housing_poor"
    assert "row 3 (line 4), column 'housing_poor': got '2'; expected 0 or 1" in str(err)


def test_non_numeric_value(config, tmp_path):
    df = _raw()
    df.loc[0, "stimulation"] = "short"
    with pytest.raises(SurveyError, match=r"row 1 \(line 2\), column 'stimulation': got 'short'"):
        survey_moda(_save(tmp_path, df), config)


@pytest.mark.parametrize("bad", ["-1", "", "heavy"])
def test_bad_weight(config, tmp_path, bad):
    df = _raw()
    df.loc[4, "weight"] = bad
    with pytest.raises(SurveyError, match=r"row 5 \(line 6\), column 'weight'.*>= 0"):
        survey_moda(_save(tmp_path, df), config)


def test_empty_group_label(config, tmp_path):
    df = _raw()
    df.loc[6, "county"] = ""
    with pytest.raises(SurveyError, match=r"row 7 \(line 8\), column 'county'.*group label"):
        survey_moda(_save(tmp_path, df), config, groups=["county"])
    with pytest.raises(SurveyError, match="column 'village'"):
        survey_moda(EXAMPLE, config, groups=["village"])


def test_age_outside_is_dropped_and_all_outside_is_an_error(config, tmp_path):
    df = _raw()
    df.loc[0, "age"] = "25"
    result = survey_moda(_save(tmp_path, df), config)
    assert result.n_outside == 2
    df["age"] = "30"
    with pytest.raises(SurveyError, match="no row in any age group"):
        survey_moda(_save(tmp_path, df), config)


def test_age_column_required_with_two_age_groups(config, tmp_path):
    df = _raw().drop(columns=["age"])
    with pytest.raises(SurveyError, match="column 'age'"):
        survey_moda(_save(tmp_path, df), config)


def test_single_age_group_without_age_and_without_weights(tmp_path):
    cfg = parse_moda_config({
        "moda": {"name": "one", "k": 1},
        "age_groups": [{"name": "6-17", "min_age": 6, "max_age": 17}],
        "dimensions": {"water": {}, "sanitation": {}},
        "indicators": [
            {"name": "w", "dimension": "water", "column": "safe_water", "rule": "== 0",
             "source": "JMP"},
            {"name": "s", "dimension": "sanitation", "column": "sanitation", "rule": "== 0",
             "source": "JMP"},
        ],
    })
    df = pd.DataFrame({"safe_water": [1, 0, 0, 1], "sanitation": [1, 1, 0, 0]})
    result = survey_moda(_save(tmp_path, df), cfg)
    assert _value(result.tables["summary"], "6-17", "H") == pytest.approx(0.75)
    assert _value(result.tables["summary"], "6-17", "M0") == pytest.approx(0.5)
    assert result.tables["income"].empty


def test_empty_and_missing_files(config, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SurveyError, match="header row"):
        survey_moda(empty, config)
    header_only = tmp_path / "header.csv"
    header_only.write_text("age,weight\n")
    with pytest.raises(SurveyError, match="no data rows"):
        survey_moda(header_only, config)
    with pytest.raises(SurveyError, match="an existing CSV file"):
        survey_moda(tmp_path / "nope.csv", config)
    with pytest.raises(TypeError, match="load_moda_config"):
        survey_moda(EXAMPLE, str(default_moda_config_path()))  # type: ignore[arg-type]
