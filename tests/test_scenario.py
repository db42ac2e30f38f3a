"""Tests for povsim.scenario: loading, extends, validation errors, TOML round trip."""

from __future__ import annotations

import math
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

import povsim.scenario.loading as scenario_mod
from povsim.errors import ScenarioError, ScenarioErrors
from povsim.moda import default_moda_config_path
from povsim.params import Param
from povsim.scenario import (
    Scenario,
    dumps_toml,
    load_scenario,
    scenario_from_dict,
    validate_files,
)

_REAL_CATALOGUE = scenario_mod._catalogue
SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"

REGISTRY = {
    p.name: p
    for p in (
        Param(
            name="mortality_scale",
            default=1.0,
            unit="ratio",
            range=(0.5, 1.5),
            source="test",
            description="test",
            bounds=(0.0, 10.0),
        ),
        Param(
            name="school_age",
            default=6,
            unit="years",
            range=(5, 8),
            source="test",
            description="test",
            bounds=(3, 12),
            integer=True,
        ),
    )
}


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default registry path sees only the fake parameters (no model modules needed)."""
    monkeypatch.setattr(scenario_mod, "declared", lambda: REGISTRY)
    monkeypatch.setattr(scenario_mod, "_catalogue", lambda: {})


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[ScenarioError]:
    with pytest.raises(ScenarioErrors) as info:
        load_scenario(path)
    return info.value.errors


def only(errors: list[ScenarioError], key: str) -> ScenarioError:
    found = [e for e in errors if e.key == key]
    assert len(found) == 1, [e.message() for e in errors]
    return found[0]


# --------------------------------------------------------------------------- valid files


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path / "a.toml", '[scenario]\nname = "a"\n'))
    assert s.name == "a"
    assert s.total_persons == 160 * 1500
    assert s.end_year == 2014 + 60
    assert s.parameters == {}
    assert s.source_files == (str(tmp_path / "a.toml"),)
    assert s == Scenario.default("a").model_copy(update={"source_files": s.source_files})


def test_example_scenarios_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    # the shipped scenarios use the real parameter registry and intervention catalogue
    from povsim.params import registry as real_registry

    monkeypatch.setattr(scenario_mod, "declared", real_registry)
    monkeypatch.setattr(scenario_mod, "_catalogue", _REAL_CATALOGUE)
    files = [SCENARIO_DIR / f for f in ("baseline.toml", "hubei_pilot.toml", "small.toml")]
    assert validate_files(files) == []
    small = load_scenario(SCENARIO_DIR / "small.toml")
    assert (small.total_persons, small.population.villages, small.time.years) == (4000, 8, 20)
    pilot = load_scenario(SCENARIO_DIR / "hubei_pilot.toml")
    assert pilot.name == "hubei_pilot"
    assert pilot.population == load_scenario(SCENARIO_DIR / "baseline.toml").population


def test_parameters_and_persons(tmp_path: Path) -> None:
    s = load_scenario(
        write(
            tmp_path / "p.toml",
            '[scenario]\nname = "p"\n[population]\npersons = 1000\n'
            "[parameters]\nmortality_scale = 1\nschool_age = 7\n",
        )
    )
    assert s.parameters == {"mortality_scale": 1.0, "school_age": 7.0}
    assert s.total_persons == 1000
    assert s.warnings == ()


def test_explicit_registry_argument(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", '[scenario]\nname = "p"\n[parameters]\nother = 2\n')
    reg = {"other": Param("other", 1.0, "ratio", (0.0, 3.0), "test", "test")}
    assert load_scenario(path, registry=reg).parameters == {"other": 2.0}


# --------------------------------------------------------------------------- extends


def test_extends_three_levels(tmp_path: Path) -> None:
    write(
        tmp_path / "base.toml",
        """
[scenario]
name = "base"
description = "the base"

[population]
pilot_villages = 10
comparison_villages = 10
village_size = 100
counties = ["A", "B"]
townships = 4

[time]
years = 30

[parameters]
mortality_scale = 1.2
school_age = 6

[outputs]
moda_config = "moda.toml"
""",
    )
    write(tmp_path / "moda.toml", default_moda_config_path().read_text())
    sub = tmp_path / "sub"
    sub.mkdir()
    write(
        sub / "mid.toml",
        """
[scenario]
name = "mid"
extends = "../base.toml"

[population]
village_size = 200

[parameters]
school_age = 7
""",
    )
    leaf = write(
        tmp_path / "leaf.toml",
        """
[scenario]
name = "leaf"
extends = "sub/mid.toml"

[time]
start_year = 2020

[parameters]
mortality_scale = 0.9
""",
    )
    s = load_scenario(leaf)
    assert s.name == "leaf"
    assert s.description == ""  # never inherited
    assert s.population.village_size == 200  # from mid
    assert s.population.pilot_villages == 10  # from base
    assert s.population.counties == ("A", "B")
    assert (s.time.start_year, s.time.years) == (2020, 30)
    assert s.parameters == {"mortality_scale": 0.9, "school_age": 7.0}
    # base's relative path resolves against base's own folder
    assert s.outputs.moda_config == str(tmp_path / "moda.toml")
    assert s.source_files == (
        str(leaf),
        str(sub / "mid.toml"),
        str(tmp_path / "base.toml"),
    )
    assert s.total_persons == 20 * 200


def test_error_in_parent_names_parent_file(tmp_path: Path) -> None:
    write(tmp_path / "base.toml", '[scenario]\nname = "base"\n[time]\nyears = 0\n')
    child = write(tmp_path / "child.toml", '[scenario]\nname = "c"\nextends = "base.toml"\n')
    e = only(errors_of(child), "time.years")
    assert e.file == str(tmp_path / "base.toml")


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[scenario]\nname = "a"\nextends = "b.toml"\n')
    write(tmp_path / "b.toml", '[scenario]\nname = "b"\nextends = "a.toml"\n')
    e = only(errors_of(a), "scenario.extends")
    assert "a.toml -> b.toml -> a.toml" in e.message()
    assert e.file == str(tmp_path / "b.toml")
    assert e.suggestion


def test_self_extends_is_a_cycle(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[scenario]\nname = "a"\nextends = "a.toml"\n')
    assert "a.toml -> a.toml" in only(errors_of(a), "scenario.extends").message()


def test_extends_from_dict_resolves_against_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "base.toml", '[scenario]\nname = "base"\n[time]\nyears = 5\n')
    s = scenario_from_dict({"scenario": {"name": "d", "extends": "base.toml"}}, base_dir=tmp_path)
    assert s.time.years == 5
    assert s.source_files == (str(tmp_path / "base.toml"),)


# --------------------------------------------------------------------------- error classes


def test_unknown_keys_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.toml",
        """
[scenario]
name = "bad"
colour = "red"

[population]
village_sise = 1500
persons = "many"

[populaton]
persons = 1
""",
    )
    errors = errors_of(path)
    assert len(errors) == 4
    e = only(errors, "population.village_sise")
    assert "bad.toml" in e.message()
    assert "population.village_sise" in e.message()
    assert "1500" in e.message()
    assert "did you mean 'village_size'?" in e.message()
    top = only(errors, "populaton")
    assert "did you mean 'population'?" in top.message()
    assert only(errors, "scenario.colour").suggestion
    only(errors, "population.persons")


@pytest.mark.parametrize(
    ("table", "line", "key", "value", "expected", "suggestion"),
    [
        (
            "population",
            'persons = "many"',
            "population.persons",
            "'many'",
            "integer",
            "without quotes",
        ),
        (
            "population",
            'persons = "4000"',
            "population.persons",
            "'4000'",
            "integer",
            "remove the quotes",
        ),
        ("time", "years = 2.5", "time.years", "2.5", "integer", "years = 60"),
        (
            "population",
            'counties = "Yangxin"',
            "population.counties",
            "'Yangxin'",
            "list",
            'counties = ["Yangxin"]',
        ),
        ("population", "counties = [1]", "population.counties[0]", "1", "string", "quotes"),
        (
            "outputs",
            'figures = "yes"',
            "outputs.figures",
            "'yes'",
            "true or false",
            "without quotes",
        ),
        ("time", "years = true", "time.years", "True", "integer", "years = 60"),
    ],
)
def test_wrong_types(
    tmp_path: Path, table: str, line: str, key: str, value: str, expected: str, suggestion: str
) -> None:
    path = write(tmp_path / "t.toml", f'[scenario]\nname = "t"\n[{table}]\n{line}\n')
    e = only(errors_of(path), key)
    msg = e.message()
    assert "t.toml" in msg
    assert key in msg
    assert value in msg
    assert expected in e.expected
    assert suggestion in e.suggestion


@pytest.mark.parametrize(
    ("table", "line", "key", "expected"),
    [
        ("time", "years = 0", "time.years", ">= 1"),
        ("time", "start_year = 1900", "time.start_year", ">= 1990"),
        ("time", "start_year = 2101", "time.start_year", "<= 2100"),
        ("population", "pilot_villages = -1", "population.pilot_villages", ">= 0"),
        ("population", "persons = 10", "population.persons", ">= 200"),
        ("population", "counties = []", "population.counties", "at least 1"),
        ("population", 'counties = ["A", "A"]', "population.counties[1]", "distinct"),
        (
            "population",
            "pilot_villages = 0\ncomparison_villages = 0",
            "population.pilot_villages",
            ">= 1",
        ),
        ("population", "townships = 3", "population.townships", "one township per county"),
        ("outputs", 'by = ["county", "age"]', "outputs.by[1]", "'age_group'"),
        ("scenario", 'name = "my scenario"', "scenario.name", "letters"),
    ],
)
def test_out_of_range_values(
    tmp_path: Path, table: str, line: str, key: str, expected: str
) -> None:
    text = f'[scenario]\nname = "r"\n[{table}]\n{line}\n'
    if table == "scenario":
        text = f"[scenario]\n{line}\n"
    e = only(errors_of(write(tmp_path / "r.toml", text)), key)
    assert "r.toml" in e.message()
    assert key in e.message()
    assert expected in e.expected or expected in e.message()
    assert e.suggestion


def test_missing_name(tmp_path: Path) -> None:
    e = only(errors_of(write(tmp_path / "n.toml", "[time]\nyears = 5\n")), "scenario.name")
    assert "required" in e.expected
    assert "name =" in e.suggestion


def test_unknown_parameter(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", '[scenario]\nname = "p"\n[parameters]\nmortality_scal = 1\n')
    e = only(errors_of(path), "parameters.mortality_scal")
    assert "p.toml" in e.message()
    assert "did you mean 'mortality_scale'?" in e.message()


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("mortality_scale = 11.0", "bounds [0, 10]"),
        ("mortality_scale = -0.5", "bounds [0, 10]"),
        ("school_age = 6.5", "whole number"),
        ('mortality_scale = "1.0"', "number"),
        ("mortality_scale = nan", "finite"),
    ],
)
def test_parameter_out_of_bounds(tmp_path: Path, line: str, fragment: str) -> None:
    path = write(tmp_path / "p.toml", f'[scenario]\nname = "p"\n[parameters]\n{line}\n')
    name, _, value = line.partition(" = ")
    assert value.strip('"') in errors_of(path)[0].message()
    e = only(errors_of(path), f"parameters.{name}")
    assert fragment in e.expected
    assert "p.toml" in e.message()
    assert "default" in e.suggestion


def test_parameter_outside_plausible_range_warns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "w.toml", '[scenario]\nname = "w"\n[parameters]\nmortality_scale = 3.0\n'
    )
    s = load_scenario(path)
    assert s.parameters == {"mortality_scale": 3.0}
    assert len(s.warnings) == 1
    assert "w.toml" in s.warnings[0]
    assert "parameters.mortality_scale" in s.warnings[0]
    assert "plausible range [0.5, 1.5]" in s.warnings[0]
    assert "# warning:" in s.to_toml()


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", '[scenario]\nname = "s"\n[time]\nyears = = 3\n')
    (e,) = errors_of(path)
    assert e.key == "line 4, column 9"
    assert "s.toml: line 4, column 9" in e.message()
    assert e.value == "years = = 3"
    assert "Invalid value" in e.expected
    assert e.suggestion


def test_toml_syntax_error_at_end(tmp_path: Path) -> None:
    (e,) = errors_of(write(tmp_path / "s.toml", '[scenario]\nname = "s'))
    assert "end of file" in e.key
    assert "Unterminated string" in e.expected


def test_missing_scenario_file(tmp_path: Path) -> None:
    write(tmp_path / "baseline.toml", '[scenario]\nname = "b"\n')
    (e,) = errors_of(tmp_path / "baselin.toml")
    assert "baselin.toml" in e.message()
    assert "existing scenario file" in e.expected
    assert "did you mean 'baseline.toml'?" in e.suggestion


def test_missing_extends_target(tmp_path: Path) -> None:
    write(tmp_path / "baseline.toml", '[scenario]\nname = "b"\n')
    child = write(tmp_path / "c.toml", '[scenario]\nname = "c"\nextends = "basline.toml"\n')
    e = only(errors_of(child), "scenario.extends")
    assert "c.toml" in e.message()
    assert "'basline.toml'" in e.message()
    assert "did you mean 'baseline.toml'?" in e.suggestion


def test_missing_moda_config(tmp_path: Path) -> None:
    path = write(tmp_path / "m.toml", '[scenario]\nname = "m"\n[outputs]\nmoda_config = "x.toml"\n')
    e = only(errors_of(path), "outputs.moda_config")
    assert "m.toml" in e.message()
    assert str(tmp_path / "x.toml") in e.message()
    assert "existing file" in e.expected
    assert e.suggestion


def test_unknown_intervention(tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.toml",
        '[scenario]\nname = "i"\n[interventions.child_service_centre]\nenabled = true\n',
    )
    e = only(errors_of(path), "interventions.child_service_centre")
    assert "i.toml" in e.message()
    assert "no interventions are available" in e.suggestion


def test_catalogue_empty_without_interventions_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "povsim.interventions", None)
    assert _REAL_CATALOGUE() == {}


def test_interventions_validated_against_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Centre(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        enabled: bool = True
        coverage: float = 0.5

    monkeypatch.setattr(scenario_mod, "_catalogue", lambda: {"child_service_centre": Centre})
    head = '[scenario]\nname = "i"\n'
    ok = load_scenario(
        write(tmp_path / "ok.toml", head + "[interventions.child_service_centre]\ncoverage = 1\n")
    )
    assert ok.interventions == {"child_service_centre": {"enabled": True, "coverage": 1.0}}
    errors = errors_of(
        write(
            tmp_path / "bad.toml",
            head + "[interventions.child_service_centr]\n"
            '[interventions.child_service_centre]\ncoverag = 1\nenabled = "yes"\n',
        )
    )
    assert (
        "did you mean 'child_service_centre'?"
        in only(errors, "interventions.child_service_centr").suggestion
    )
    assert (
        "did you mean 'coverage'?"
        in only(errors, "interventions.child_service_centre.coverag").suggestion
    )
    only(errors, "interventions.child_service_centre.enabled")


def test_table_of_wrong_type(tmp_path: Path) -> None:
    e = only(errors_of(write(tmp_path / "t.toml", 'time = 5\n[scenario]\nname = "t"\n')), "time")
    assert "table" in e.expected


def test_validate_files_reports_all_errors_of_all_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[scenario]\nname = "a"\n[time]\nyears = 0\nyeers = 3\n')
    b = write(
        tmp_path / "b.toml",
        '[scenario]\nname = "b"\n[population]\npersons = "x"\n[parameters]\nmortality = 1\n',
    )
    good = write(tmp_path / "good.toml", '[scenario]\nname = "g"\n')
    errors = validate_files([a, good, b, tmp_path / "missing.toml"])
    assert [(Path(e.file).name, e.key) for e in errors] == [
        ("a.toml", "time.years"),
        ("a.toml", "time.yeers"),
        ("b.toml", "population.persons"),
        ("b.toml", "parameters.mortality"),
        ("missing.toml", ""),
    ]


# --------------------------------------------------------------------------- API


def test_round_trip_through_toml(tmp_path: Path) -> None:
    write(tmp_path / "moda.toml", default_moda_config_path().read_text())
    s = scenario_from_dict(
        {
            "scenario": {"name": "rt", "description": 'quotes " and \\ and\nnewline, 县'},
            "population": {"counties": ["Xuan'en", 'Odd "name"'], "townships": 3},
            "time": {"years": 7},
            "parameters": {"mortality_scale": 1.25, "school_age": 7},
            "outputs": {"tables": ["population"], "moda_config": "moda.toml", "by": []},
        },
        base_dir=tmp_path,
    )
    text = s.to_toml()
    again = scenario_from_dict(tomllib.loads(text))
    assert again.resolved_dict() == s.resolved_dict()
    assert again.model_dump(exclude={"population", "source_files"}) == s.model_dump(
        exclude={"population", "source_files"}
    )
    assert "extends" not in text


def test_with_overrides() -> None:
    s = Scenario.default()
    t = s.with_overrides(
        parameters={"mortality_scale": 1.1}, population={"village_size": 100}, time={"years": 5}
    )
    assert (t.total_persons, t.end_year, t.parameters) == (16000, 2019, {"mortality_scale": 1.1})
    assert s.total_persons == 240000  # unchanged
    u = t.with_overrides(parameters={"school_age": 7})
    assert u.parameters == {"mortality_scale": 1.1, "school_age": 7.0}
    with pytest.raises(ScenarioErrors) as info:
        s.with_overrides(time={"years": -1}, parameters={"nope": 1})
    assert {(e.file, e.key) for e in info.value.errors} == {
        ("<overrides>", "time.years"),
        ("<overrides>", "parameters.nope"),
    }


def test_scenario_is_frozen() -> None:
    s = Scenario.default()
    with pytest.raises(ValueError, match="frozen"):
        s.name = "x"  # type: ignore[misc]


def test_default_registry_is_povsim_params(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(scenario_mod, "declared", lambda: calls.append(1) or REGISTRY)
    scenario_from_dict({"scenario": {"name": "x"}, "parameters": {"school_age": 5}})
    assert calls == [1]


def test_scenario_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(ScenarioErrors):
        scenario_from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- TOML writer

_keys = st.text(min_size=1, max_size=8)
_scalars = (
    st.text(max_size=12)
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
)
_tables = st.recursive(
    st.dictionaries(_keys, _scalars | st.lists(_scalars, max_size=4), max_size=4),
    lambda inner: st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(_tables)
def test_dumps_toml_round_trips(data: dict) -> None:
    assert tomllib.loads(dumps_toml(data)) == data


def test_dumps_toml_special_values() -> None:
    out = tomllib.loads(dumps_toml({"a": math.inf, "b": -math.inf, "c": None, "d": [{"x": 1}]}))
    assert out == {"a": math.inf, "b": -math.inf, "d": [{"x": 1}]}
    with pytest.raises(TypeError):
        dumps_toml({"a": object()})
