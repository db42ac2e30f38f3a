"""Malformed inputs across every command: exit code 2, no traceback, a message naming the
file and the key, and no file left behind (issue 12).

The table holds one row per case: a command line built in a fresh folder from valid
templates with one mistake in them, and the fragments the message must contain (the
file's name and the key).  The cases run in this process through ``povsim.cli.main``;
a handful run as real subprocesses of the ``povsim`` console script.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from povsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "tests" / "data" / "moda_survey_example.csv"
MODA = ROOT / "src" / "povsim" / "data" / "moda_hubei.toml"

SCENARIO = f"""\
[scenario]
name = "tiny"
extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"

[population]
geography = "synthetic"
persons = 1500
pilot_villages = 2
comparison_villages = 2
townships = 8

[time]
years = 4

[interventions.home_visits]
start_year = 2014
end_year = 2016
coverage = 0.8
targeting = {{ villages = "pilot", max_age = 3 }}

[budget]
discount_rate = 0.03

[outputs]
figures = false
"""

DESIGN = """\
[experiment]
name = "fuzz_design"
scenarios = ["tiny.toml"]
replicates = 2
seed = 7

[overrides.population]
persons = 1500

[design]
method = "lhs"
n = 3

[design.parameters.migration_out_men]
range = [0.03, 0.12]
"""

STUDY = """\
[sensitivity]
name = "fuzz_study"
scenarios = ["tiny.toml"]
replicates = 1
seed = 1
method = "sobol"
n = 4

[parameters.migration_out_men]
[parameters.dibao_takeup]

[[outputs]]
name = "m0"
table = "moda"
measure = "moda_M0_6_17"
"""

TARGETS = """\
[calibration]
name = "fuzz_targets"
scenario = "tiny.toml"
replicates = 1

[parameters.anaemia_infant]
bounds = [0.2, 0.48]

[[target]]
name = "anaemia"
value = 0.3
se = 0.02
tolerance = 0.05
source = "a made-up figure for the fuzz test"
[target.outcome]
table = "anaemia"
measure = "anaemia_prevalence_infant"
years = [2015, 2016]
"""


def _sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@dataclass
class Case:
    """``build(folder) -> argv``; ``expect``: fragments of the message (file, key, ...)."""

    id: str
    build: Callable[[Path], list[str]]
    expect: tuple[str, ...]


def _files(folder: Path, scenario: str = SCENARIO, **others: str) -> dict[str, Path]:
    out = {"scenario": folder / "tiny.toml"}
    out["scenario"].write_text(scenario)
    for name, text in others.items():
        out[name] = folder / f"{name}.toml"
        out[name].write_text(text)
    return out


def scenario_case(id: str, old: str, new: str, *expect: str, command: str = "run") -> Case:
    def build(folder: Path) -> list[str]:
        f = _files(folder, _sub(SCENARIO, old, new))["scenario"]
        return {"run": ["run", str(f)], "validate": ["validate", str(f)],
                "compare": ["compare", str(f), str(f)]}[command] + (["--out", "o"] if command != "validate" else [])

    return Case(id, build, ("tiny.toml", *expect))


def file_case(id: str, kind: str, template: str, old: str, new: str, *expect: str) -> Case:
    command = {"design": ["batch"], "study": ["sensitivity"], "targets": ["calibrate"]}[kind]

    def build(folder: Path) -> list[str]:
        f = _files(folder, **{kind: _sub(template, old, new)})[kind]
        return [*command, str(f), "--out", "o", "--workers", "0"]

    return Case(id, build, (f"{kind}.toml", *expect))


def moda_case(id: str, old: str, new: str, *expect: str) -> Case:
    def build(folder: Path) -> list[str]:
        cfg = folder / "moda.toml"
        cfg.write_text(_sub(MODA.read_text(), old, new))
        return ["moda", str(SURVEY), "--config", str(cfg), "--out", "o"]

    return Case(id, build, ("moda.toml", *expect))


def survey_case(id: str, change: Callable[[pd.DataFrame], pd.DataFrame | bytes], *expect: str) -> Case:
    def build(folder: Path) -> list[str]:
        out = change(pd.read_csv(SURVEY, dtype=str, keep_default_na=False))
        f = folder / "survey.csv"
        if isinstance(out, bytes):
            f.write_bytes(out)
        else:
            out.to_csv(f, index=False)
        return ["moda", str(f), "--out", "o"]

    return Case(id, build, ("survey.csv", *expect))


def first(column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The survey with ``value`` in the first row of ``column``."""
    return lambda d: d.assign(**{column: [value, *d[column][1:]]})


def option_case(id: str, command: str, *args: str, expect: tuple[str, ...]) -> Case:
    def build(folder: Path) -> list[str]:
        f = _files(folder, design=DESIGN, study=STUDY, targets=TARGETS)
        file = {"run": ["tiny.toml"], "compare": ["tiny.toml", "tiny.toml"], "batch": [str(f["design"])],
                "sensitivity": [str(f["study"])], "calibrate": [str(f["targets"])]}[command]
        return [command, *file, *args, "--out", "o"]

    return Case(id, build, ("<command line>", *expect))


S = scenario_case
CASES: list[Case] = [
    # --- scenario files: unknown tables and keys, types, ranges, references ------------------
    S("unknown-table", "[budget]", "[budjet]", "budjet", "did you mean 'budget'?"),
    S("unknown-key-population", "persons = 1500", "persns = 1500", "population.persns", "did you mean 'persons'?"),
    S("unknown-key-time", "years = 4", "yeras = 4", "time.yeras", "did you mean 'years'?"),
    S("unknown-key-outputs", "figures = false", "figurs = false", "outputs.figurs", "did you mean 'figures'?"),
    S("unknown-key-scenario", 'name = "tiny"', 'name = "tiny"\nnam = "x"', "scenario.nam"),
    S("unknown-key-budget", "discount_rate = 0.03", "discount = 0.03", "budget.discount"),
    S("quoted-number", "persons = 1500", 'persons = "1500"', "population.persons", "remove the quotes"),
    S("float-years", "years = 4", "years = 4.5", "time.years", "whole number"),
    S("bool-years", "years = 4", "years = true", "time.years"),
    S("string-counties", "townships = 8", 'townships = 8\ncounties = "Yangxin"', "population.counties",
      "write a list"),
    S("number-in-counties", "townships = 8", "townships = 8\ncounties = [1]", "population.counties[0]"),
    S("duplicate-counties", "townships = 8", 'townships = 8\ncounties = ["Dawu", "Dawu"]',
      "population.counties[1]", "distinct"),
    S("quoted-bool", "figures = false", 'figures = "no"', "outputs.figures", "true or false"),
    S("zero-years", "years = 4", "years = 0", "time.years", ">= 1"),
    S("too-many-years", "years = 4", "years = 500", "time.years", "<= 200"),
    S("early-start", "years = 4", "years = 4\nstart_year = 1900", "time.start_year", ">= 1990"),
    S("few-persons", "persons = 1500", "persons = 10", "population.persons", ">= 200"),
    S("zero-scale", "persons = 1500", "persons = 1500\nscale = 0", "population.scale"),
    S("negative-scale", "persons = 1500", "persons = 1500\nscale = -1.0", "population.scale"),
    S("few-townships", "townships = 8", "townships = 3", "population.townships", "township per county"),
    S("negative-villages", "pilot_villages = 2", "pilot_villages = -2", "population.pilot_villages"),
    S("no-villages", "pilot_villages = 2\ncomparison_villages = 2", "pilot_villages = 0\ncomparison_villages = 0",
      "population.pilot_villages"),
    S("moda-every-zero", "figures = false", "figures = false\nmoda_every = 0", "outputs.moda_every"),
    S("unknown-by", "figures = false", 'figures = false\nby = ["county", "age"]', "outputs.by[1]",
      "'age_group'"),
    S("unknown-output-table", "figures = false", 'figures = false\ntables = ["popultion"]', "outputs.tables[0]",
      "did you mean 'population'?"),
    S("discount-too-high", "discount_rate = 0.03", "discount_rate = 0.5", "budget.discount_rate"),
    S("negative-cap", "discount_rate = 0.03", "discount_rate = 0.03\ncap_rmb = -5.0", "budget.cap_rmb"),
    S("funders-sum", "discount_rate = 0.03", "discount_rate = 0.03\nfunders = { government = 0.5 }",
      "budget.funders", "sum to 1"),
    S("unknown-parameter", "[budget]", "[parameters]\nfertility_frist_birth = 0.3\n\n[budget]",
      "parameters.fertility_frist_birth", "did you mean 'fertility_first_birth'?"),
    S("parameter-out-of-bounds", "[budget]", "[parameters]\nmigration_out_men = -0.5\n\n[budget]",
      "parameters.migration_out_men", "bounds"),
    S("parameter-quoted", "[budget]", '[parameters]\nmigration_out_men = "0.1"\n\n[budget]',
      "parameters.migration_out_men"),
    S("unknown-intervention", "[interventions.home_visits]", "[interventions.home_visit]",
      "interventions.home_visit", "did you mean 'home_visits'?"),
    S("intervention-unknown-key", "coverage = 0.8", "coverag = 0.8", "interventions.home_visits.coverag",
      "did you mean 'coverage'?"),
    S("coverage-above-1", "coverage = 0.8", "coverage = 1.5", "interventions.home_visits.coverage"),
    S("end-before-start", "end_year = 2016", "end_year = 2010", "interventions.home_visits.end_year"),
    S("rationing-typo", "coverage = 0.8", 'coverage = 0.8\nrationing = "most_deprive"',
      "interventions.home_visits.rationing", "did you mean 'most_deprived'?"),
    S("targeting-villages", 'villages = "pilot"', 'villages = "pilots"',
      "interventions.home_visits.targeting.villages", "did you mean 'pilot'?"),
    S("targeting-county", 'villages = "pilot"', 'villages = "pilot", counties = ["Yangxn"]',
      "interventions.home_visits.targeting.counties[0]", "did you mean 'Yangxin'?"),
    S("targeting-share", 'villages = "pilot"', 'villages = "pilot", poorest_share = 0.0',
      "interventions.home_visits.targeting.poorest_share"),
    S("negative-capacity", "coverage = 0.8", "coverage = 0.8\ncapacity = -1", "interventions.home_visits.capacity"),
    S("fidelity-above-1", "coverage = 0.8", "coverage = 0.8\nfidelity = 2.0", "interventions.home_visits.fidelity"),
    S("ramp-negative", "coverage = 0.8", "coverage = 0.8\nramp_up_years = -1",
      "interventions.home_visits.ramp_up_years"),
    S("missing-extends", 'extends = "', 'extends = "nowhere/', "scenario.extends", "an existing file"),
    S("missing-moda-config", "figures = false", 'figures = false\nmoda_config = "nope.toml"', "outputs.moda_config"),
    S("missing-targets", "figures = false", 'figures = false\n\n[calibration]\ntargets = "nope.toml"',
      "calibration.targets"),
    S("toml-syntax", "years = 4", "years = = 4", "line", "valid TOML"),
    S("missing-name", 'name = "tiny"\n', "", "scenario.name", "required"),
    S("name-with-spaces", 'name = "tiny"', 'name = "my tiny"', "scenario.name", "letters"),
    S("table-as-value", "[scenario]", "parameters = 5\n[scenario]", "parameters", "a table"),
    S("validate-typo", "persons = 1500", "persns = 1500", "population.persns", command="validate"),
    S("compare-typo", "years = 4", "yeras = 4", "time.yeras", command="compare"),
    Case("broken-moda-config", lambda f: (
        (f / "m.toml").write_text(_sub(MODA.read_text(), "k = 3", "k = 0")),
        _files(f, _sub(SCENARIO, "figures = false", 'figures = false\nmoda_config = "m.toml"')),
        ["run", "tiny.toml", "--out", "o"])[-1], ("m.toml", "moda.k", "> 0")),
    Case("cycle", lambda f: (
        (f / "a.toml").write_text('[scenario]\nname = "a"\nextends = "b.toml"\n'),
        (f / "b.toml").write_text('[scenario]\nname = "b"\nextends = "a.toml"\n'),
        ["run", "a.toml", "--out", "o"])[-1], ("a.toml", "scenario.extends", "cycle")),
    Case("not-utf8", lambda f: ((f / "tiny.toml").write_bytes(SCENARIO.encode().replace(b"tiny", b"t\xe9ny", 1)),
                                ["run", "tiny.toml", "--out", "o"])[-1], ("tiny.toml", "UTF-8")),
    Case("missing-file", lambda f: ["run", "nope.toml", "--out", "o"], ("nope.toml", "an existing")),
    # --- options, the same in every command ---------------------------------------------------------
    option_case("run-workers-negative", "run", "--workers", "-3", expect=("--workers", "-3")),
    option_case("run-workers-huge", "run", "--workers", "999", expect=("--workers", "999")),
    option_case("run-replicates-zero", "run", "--replicates", "0", expect=("--replicates",)),
    option_case("run-seed-negative", "run", "--seed", "-1", expect=("--seed",)),
    option_case("compare-workers", "compare", "--workers", "-1", expect=("--workers",)),
    option_case("compare-replicates", "compare", "--replicates", "0", expect=("--replicates",)),
    option_case("batch-workers", "batch", "--workers", "999", expect=("--workers",)),
    option_case("batch-dask-local", "batch", "--dask-local", "0", expect=("--dask-local",)),
    option_case("sensitivity-workers", "sensitivity", "--workers", "-2", expect=("--workers",)),
    option_case("calibrate-evaluations", "calibrate", "--max-evaluations", "1", expect=("--max-evaluations",)),
    option_case("calibrate-step", "calibrate", "--step", "0.9", expect=("--step",)),
    option_case("calibrate-replicates", "calibrate", "--replicates", "0", expect=("--replicates",)),
    Case("batch-words", lambda f: ["batch", "stats", "x.toml"], ("<command line>", "batch", "run|status|collect")),
    # --- experiment designs --------------------------------------------------------------------
    file_case("design-no-name", "design", DESIGN, 'name = "fuzz_design"\n', "", "experiment.name"),
    file_case("design-missing-scenario", "design", DESIGN, '"tiny.toml"', '"tinny.toml"', "experiment.scenarios[0]",
              "did you mean 'tiny.toml'?"),
    file_case("design-replicates", "design", DESIGN, "replicates = 2", "replicates = 0", "experiment.replicates"),
    file_case("design-method", "design", DESIGN, 'method = "lhs"', 'method = "latin"', "design.method",
              "did you mean 'lhs'?"),
    file_case("design-no-n", "design", DESIGN, "n = 3\n", "", "design.n"),
    file_case("design-unknown-parameter", "design", DESIGN, "migration_out_men]", "migration_out_mne]",
              "design.parameters.migration_out_mne", "did you mean 'migration_out_men'?"),
    file_case("design-inverted-range", "design", DESIGN, "[0.03, 0.12]", "[0.12, 0.03]",
              "design.parameters.migration_out_men.range", "low < high"),
    file_case("design-range-outside-bounds", "design", DESIGN, "[0.03, 0.12]", "[0.03, 1.5]",
              "design.parameters.migration_out_men.range", "admissible bounds"),
    file_case("design-distribution", "design", DESIGN, "range = [0.03, 0.12]",
              'range = [0.03, 0.12]\ndistribution = "normal"', "design.parameters.migration_out_men.distribution"),
    file_case("design-output", "design", DESIGN, "seed = 7", 'seed = 7\noutputs = ["mod"]', "experiment.outputs[0]",
              "did you mean 'moda'?"),
    file_case("design-override", "design", DESIGN, "persons = 1500", "persns = 1500", "overrides.population.persns",
              "did you mean 'persons'?"),
    file_case("design-unknown-key", "design", DESIGN, "seed = 7", "seed = 7\nreplicate = 3", "experiment.replicate",
              "did you mean 'replicates'?"),
    file_case("design-grid-levels", "design", DESIGN, 'method = "lhs"\nn = 3', 'method = "grid"',
              "design.parameters.migration_out_men", "levels"),
    # --- sensitivity studies ---------------------------------------------------------------------
    file_case("study-method", "study", STUDY, 'method = "sobol"', 'method = "sobl"', "sensitivity.method",
              "did you mean 'sobol'?"),
    file_case("study-n-power-of-2", "study", STUDY, "n = 4", "n = 5", "sensitivity.n", "power of 2"),
    file_case("study-one-parameter", "study", STUDY, "[parameters.dibao_takeup]\n", "", "parameters",
              "two uncertain parameters"),
    file_case("study-unknown-parameter", "study", STUDY, "[parameters.dibao_takeup]", "[parameters.dibao_take]",
              "parameters.dibao_take"),
    file_case("study-output-table", "study", STUDY, 'table = "moda"', 'table = "mod"', "outputs[0].table",
              "did you mean 'moda'?"),
    file_case("study-output-year", "study", STUDY, 'measure = "moda_M0_6_17"', 'measure = "moda_M0_6_17"\n'
              'year = "next"', "outputs[0].year"),
    file_case("study-output-scenario", "study", STUDY, 'measure = "moda_M0_6_17"', 'measure = "moda_M0_6_17"\n'
              'scenario = "tinny"', "outputs[0].scenario", "did you mean 'tiny'?"),
    file_case("study-unknown-key", "study", STUDY, "n = 4", "n = 4\nreplicate = 2", "sensitivity.replicate"),
    file_case("study-conf-level", "study", STUDY, "n = 4", "n = 4\nconf_level = 2.0", "sensitivity.conf_level"),
    file_case("study-missing-scenario", "study", STUDY, '"tiny.toml"', '"tyni.toml"', "sensitivity.scenarios[0]"),
    # --- calibration target files ---------------------------------------------------------------------
    file_case("targets-no-source", "targets", TARGETS, 'source = "a made-up figure for the fuzz test"\n', "",
              "target[0]('anaemia').source"),
    file_case("targets-no-uncertainty", "targets", TARGETS, "se = 0.02\n", "", "target[0]('anaemia').se"),
    file_case("targets-inverted-bounds", "targets", TARGETS, "[0.2, 0.48]", "[0.48, 0.2]",
              "parameters.anaemia_infant.bounds"),
    file_case("targets-unknown-parameter", "targets", TARGETS, "[parameters.anaemia_infant]",
              "[parameters.anaemia_infnt]", "parameters.anaemia_infnt", "did you mean 'anaemia_infant'?"),
    file_case("targets-unknown-table", "targets", TARGETS, 'table = "anaemia"', 'table = "anemia"',
              "target[0]('anaemia').outcome.table", "did you mean 'anaemia'?"),
    file_case("targets-unknown-measure", "targets", TARGETS, 'measure = "anaemia_prevalence_infant"',
              'measure = "anaemia_prevalence_infnt"', "target[0]('anaemia').outcome.measure"),
    file_case("targets-outside-horizon", "targets", TARGETS, "years = [2015, 2016]", "years = [2300, 2301]",
              "target[0]('anaemia').outcome.years", "simulated years"),
    file_case("targets-tolerance", "targets", TARGETS, "tolerance = 0.05", "tolerance = 0.0",
              "target[0]('anaemia').tolerance"),
    file_case("targets-use", "targets", TARGETS, "tolerance = 0.05", 'tolerance = 0.05\nuse = "both"',
              "target[0]('anaemia').use"),
    file_case("targets-scenario", "targets", TARGETS, 'scenario = "tiny.toml"', 'scenario = "tin.toml"',
              "calibration.scenario"),
    file_case("targets-unknown-key", "targets", TARGETS, "replicates = 1", "replicate = 1", "calibration.replicate",
              "did you mean 'replicates'?"),
    # --- MODA configurations ------------------------------------------------------------------------------
    moda_case("moda-k-zero", "k = 3", "k = 0", "moda.k", "> 0"),
    moda_case("moda-missing-policy", 'missing = "drop"', 'missing = "dorp"', "moda.missing", "did you mean 'drop'?"),
    moda_case("moda-unknown-key", 'missing = "drop"', 'missing = "drop"\nkk = 3', "moda.kk", "did you mean 'k'?"),
    moda_case("moda-dimension", 'dimension = "nutrition"', 'dimension = "nutrtion"', "indicators[0]", ".dimension",
              "did you mean 'nutrition'?"),
    moda_case("moda-rule", 'rule = "', 'rule = "is ', "indicators[", ".rule", "OP NUMBER"),
    moda_case("moda-k-too-large", "k = 3", "k = 30", "moda.k", "cut-off in (0,"),
    moda_case("moda-weight", "weight = 1.0", "weight = -1.0", "dimensions.", ".weight"),
    moda_case("moda-syntax", "k = 3", "k = = 3", "line", "valid TOML"),
    # --- survey CSVs --------------------------------------------------------------------------------------
    survey_case("survey-missing-column", lambda d: d.drop(columns=["safe_water"]), "'safe_water'", "no such column"),
    survey_case("survey-text-value", first("stimulation", "high"), "'stimulation'", "row 1"),
    survey_case("survey-not-01", first("stunted", "2"), "'stunted'", "0 or 1"),
    survey_case("survey-negative-weight", first("weight", "-1"), "'weight'", "survey weight"),
    survey_case("survey-zero-weights", lambda d: d.assign(weight="0"), "'weight'", "positive survey weight"),
    survey_case("survey-negative-age", first("age", "-3"), "'age'", "age >= 0"),
    survey_case("survey-empty", lambda d: b"", "empty file"),
    survey_case("survey-header-only", lambda d: ",".join(d.columns).encode() + b"\n", "no data rows"),
    survey_case("survey-latin1", lambda d: d.assign(county="Xuan\xe9n").to_csv(index=False).encode("latin-1"),
                "UTF-8", "--encoding"),
    survey_case("survey-decimal-comma", lambda d: first("stimulation", "-1,5")(d).to_csv(index=False, sep=";").encode(),
                "'stimulation'", "decimal comma"),
    # --- results folders: reading, and writing over what povsim did not write ----------------------------
    Case("report-missing", lambda f: ["report", "nowhere"], ("nowhere", "does not exist")),
    Case("report-user-folder", lambda f: ((f / "mine").mkdir(), (f / "mine" / "notes.txt").write_text("x"),
                                          ["report", "mine"])[-1], ("mine", "manifest.json")),
    Case("report-partial", lambda f: ((f / "run.partial-4242").mkdir(), ["report", "run.partial-4242"])[-1],
         ("run.partial-4242", "unfinished")),
    Case("run-over-user-folder", lambda f: (_files(f), (f / "mine").mkdir(), (f / "mine" / "n.txt").write_text("x"),
                                            ["run", "tiny.toml", "--out", "mine", "--force"])[-1],
         ("mine", "never deletes or replaces")),
    Case("run-over-file", lambda f: (_files(f), (f / "n.txt").write_text("x"),
                                     ["run", "tiny.toml", "--out", "n.txt", "--force"])[-1], ("n.txt", "a file")),
    Case("run-over-cwd", lambda f: (_files(f), ["run", "tiny.toml", "--out", ".", "--force"])[-1],
         ("never deletes or replaces",)),
    Case("moda-over-user-folder", lambda f: ((f / "mine").mkdir(), (f / "mine" / "n.txt").write_text("x"),
                                             ["moda", str(SURVEY), "--out", "mine", "--force"])[-1],
         ("mine", "never deletes or replaces")),
    Case("batch-into-user-folder", lambda f: (_files(f, design=DESIGN), (f / "mine").mkdir(),
                                              (f / "mine" / "n.txt").write_text("x"),
                                              ["batch", "design.toml", "--out", "mine"])[-1],
         ("mine", "not a povsim batch folder")),
    Case("sensitivity-into-user-folder", lambda f: (_files(f, study=STUDY), (f / "mine").mkdir(),
                                                    (f / "mine" / "n.txt").write_text("x"),
                                                    ["sensitivity", "study.toml", "--out", "mine"])[-1],
         ("mine", "not a povsim sensitivity folder")),
    Case("calibrate-into-user-folder", lambda f: (_files(f, targets=TARGETS), (f / "mine").mkdir(),
                                                  (f / "mine" / "n.txt").write_text("x"),
                                                  ["calibrate", "targets.toml", "--out", "mine"])[-1],
         ("mine", "not a povsim calibration folder")),
    # --- validate: files of any kind ------------------------------------------------------------------------
    Case("validate-unknown-kind", lambda f: ((f / "x.toml").write_text("[scenaro]\nname = 'x'\n"),
                                             ["validate", "x.toml"])[-1], ("x.toml", "did you mean 'scenario'?")),
    Case("validate-design", lambda f: (_files(f, design=_sub(DESIGN, "n = 3", "n = 0")),
                                       ["validate", "design.toml"])[-1], ("design.toml", "design.n")),
    Case("validate-moda", lambda f: ((f / "m.toml").write_text(_sub(MODA.read_text(), "k = 3", "k = -1")),
                                     ["validate", "m.toml"])[-1], ("m.toml", "moda.k")),
]


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_table_has_more_than_100_cases() -> None:
    assert len(CASES) >= 100 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    argv = case.build(tmp_path)
    before = _tree(tmp_path)
    assert main(argv) == 2, argv
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    assert err.startswith("error: ") or "\nerror: " in err, err
    for fragment in case.expect:
        assert fragment in err, (fragment, err)
    assert _tree(tmp_path) == before  # nothing written, nothing deleted


SUBPROCESS_CASES = ["toml-syntax", "targeting-county", "run-workers-huge", "survey-latin1", "report-partial",
                    "run-over-user-folder"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_malformed_input_in_a_real_process(case_id: str, tmp_path: Path) -> None:
    """The same through the console script: exit status 2 and a short message on stderr."""
    case = next(c for c in CASES if c.id == case_id)
    argv = case.build(tmp_path)
    before = _tree(tmp_path)
    script = Path(sys.executable).parent / "povsim"
    done = subprocess.run([str(script), *argv], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert all(fragment in done.stderr for fragment in case.expect), done.stderr
    assert re.match(r"error: ", done.stderr) and len(done.stderr) < 2000
    assert _tree(tmp_path) == before


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """--debug is the way to a traceback."""
    from povsim.errors import ScenarioErrors

    f = _files(tmp_path, _sub(SCENARIO, "years = 4", "years = 0"))["scenario"]
    with pytest.raises(ScenarioErrors):
        main(["run", str(f), "--debug", "--out", str(tmp_path / "o")])
    assert textwrap.dedent("ok") == "ok"
