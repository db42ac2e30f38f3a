"""`povsim dashboard`: folder kinds, views and filters, figures identical to the brief's, lazy
reading of large batches, export, language, the CLI, and the app in Streamlit's headless
test harness (AppTest).  The real-browser test is in test_dashboard_browser.py."""

from __future__ import annotations

import io
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from povsim.cli import main
from povsim.dashboard import DashboardError, require_extra
from povsim.dashboard.export import EXPORT_DPI, csv_bytes, export_name, figure_export
from povsim.dashboard.i18n import ui
from povsim.dashboard.kinds import KINDS, combine, find_folders, kind_of, open_folder
from povsim.dashboard.kinds.batch import CollectedTables
from povsim.dashboard.view import defaults, render
from povsim.output import seal_results, write_manifest
from povsim.report import ReportError, build_figures, load_results

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "tests" / "data" / "dashboard" / "compare"
PLAN = ROOT / "tests" / "data" / "plan" / "plan"  # tests/data/plan/make_data.sh
TRIAL = ROOT / "tests" / "data" / "trial" / "trial"  # tests/data/trial/make_data.sh
SMALL = ROOT / "scenarios" / "small.toml"
APP = ROOT / "src" / "povsim" / "dashboard" / "app.py"
SIDE_BY_SIDE = "\u2003side by side"  # the app's folder-menu entry (povsim.dashboard.app.SIDE_BY_SIDE)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _tiny(folder: Path) -> Path:
    p = folder / "tiny.toml"
    p.write_text(f'[scenario]\nname = "tiny_run"\nextends = "{SMALL.as_posix()}"\n[population]\npersons = 1200\n'
                 "pilot_villages = 2\ncomparison_villages = 2\n[time]\nyears = 4\n", "utf-8")
    return p


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One folder of each kind: a real run (every MODA subgroup) and batch, the shipped compare
    folder, and sensitivity and calibration folders with the tables those commands write."""
    root = tmp_path_factory.mktemp("dash")
    scen = _tiny(root)
    run = root / "results" / "run"
    assert main(["run", str(scen), "--replicates", "2", "--out", str(run), "-q", "--no-figures"]) == 0
    design = root / "design.toml"
    design.write_text(f'[experiment]\nname = "d"\nscenarios = ["{scen.as_posix()}"]\nreplicates = 2\nseed = 5\n'
                      '[overrides.time]\nyears = 3\n[design]\nmethod = "grid"\n'
                      "[design.parameters.poverty_line]\nvalues = [2300.0, 3300.0]\n", "utf-8")
    batch = root / "results" / "batch"
    assert main(["batch", str(design), "--workers", "0", "--out", str(batch), "-q"]) == 0
    meta = {"povsim_version": "0.1.0", "created": "2026-01-02T00:00:00+00:00", "seeds": [1, 2]}
    sens = root / "results" / "sens"
    sens.mkdir()
    idx = pd.DataFrame({"output": ["M0"] * 3 + ["poverty"] * 3, "parameter": ["a", "b", "c"] * 2,
                        "S1": [0.5, 0.2, 0.05, 0.1, 0.6, 0.0], "S1_conf": [0.05] * 6,
                        "ST": [0.6, 0.3, 0.1, 0.2, 0.7, 0.05], "ST_conf": [0.05] * 6})
    idx.to_csv(sens / "indices.csv", index=False)
    pd.DataFrame({"output": ["M0"] * 3, "parameter": ["a", "a", "b"], "other": ["b", "c", "c"],
                  "S2": [0.05, 0.01, 0.02], "S2_conf": [0.02] * 3}).to_csv(sens / "second_order.csv", index=False)
    pd.DataFrame({"output": ["M0"] * 3, "rank": [1, 2, 3], "parameter": ["a", "b", "c"], "metric": ["ST"] * 3,
                  "value": [0.6, 0.3, 0.1]}).to_csv(sens / "summary.csv", index=False)
    write_manifest(sens, kind="sensitivity", scenario_dict={"sensitivity": {"name": "s"}}, seeds=meta["seeds"],
                   input_files=[], command_line=["povsim", "sensitivity"], extra={"method": "sobol"})
    seal_results(sens, kind="sensitivity")
    cal = root / "results" / "cal"
    cal.mkdir()
    pd.DataFrame({"name": ["anaemia", "left_behind"], "use": ["fit", "holdout"], "outcome": ["a", "b"],
                  "value": [0.33, 0.30], "sigma": [0.02, 0.02], "tolerance": [0.05, 0.05], "weight": [1.0, 1.0],
                  "simulated": [0.332, 0.383], "sim_se": [0.04, 0.003], "sim_lo": [0.25, 0.376],
                  "sim_hi": [0.41, 0.39], "std_residual": [0.12, 4.16], "passes": [True, False],
                  "replicates": [2, 2], "source": ["test", "test"], "note": ["", ""]}
                 ).to_csv(cal / "fit_targets.csv", index=False)
    pd.DataFrame({"evaluation": [1, 2, 3], "objective": [3.0, 1.0, 0.5], "x": [0.25, 0.24, 0.239]}
                 ).to_csv(cal / "trace.csv", index=False)
    write_manifest(cal, kind="calibration", scenario_dict={}, seeds=meta["seeds"], input_files=[],
                   command_line=["povsim", "calibrate"], extra={"calibration": "tiny"})
    seal_results(cal, kind="calibration")
    shutil.copytree(SHIPPED, root / "results" / "compare")
    shutil.copytree(PLAN, root / "results" / "plan-tiny" / "plan")  # as `povsim plan --out results/plan-tiny` lays out
    shutil.copytree(TRIAL, root / "results" / "trial")
    (root / "results" / "notes").mkdir()
    (root / "results" / "notes" / "readme.txt").write_text("not a results folder")
    return {"run": run, "compare": root / "results" / "compare", "batch": batch, "sensitivity": sens,
            "calibration": cal, "plan": root / "results" / "plan-tiny", "trial": root / "results" / "trial",
            "root": root / "results"}


# -- folder kinds ------------------------------------------------------------------------------
def test_shipped_test_data_is_small_and_a_compare_folder():
    size = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert size < 1_000_000, size
    assert kind_of(SHIPPED).name == "compare"


def test_each_kind_is_recognised_and_the_picker_lists_them(folders):
    for name in ("run", "compare", "batch", "sensitivity", "calibration"):
        kind, res = open_folder(folders[name])
        assert kind.name == name and res.folder == folders[name]
    kind, res = open_folder(folders["plan"])  # the folder given to `povsim plan --out`: its plan is read
    assert kind.name == "plan" and res.folder == folders["plan"] / "plan" and res.kind == "plan"
    assert kind_of(folders["plan"] / "plan").name == "plan"  # the plan itself has tables/*.csv, yet is no run
    kind, res = open_folder(folders["trial"])
    assert kind.name == "trial" and res.kind == "trial" and res.name == "trial small_home_visits"
    assert [k.name for k in KINDS] == ["plan", "trial", "compare", "sensitivity", "calibration", "batch", "run"]
    assert kind_of(folders["root"] / "notes") is None
    listed = {p.name for p in find_folders(folders["root"])}
    assert listed == {"run", "compare", "batch", "sens", "cal", "plan-tiny", "trial"}
    with pytest.raises(DashboardError, match="not a povsim results folder"):
        open_folder(folders["root"] / "notes")
    with pytest.raises(DashboardError, match="does not exist"):
        open_folder(folders["root"] / "missing")


def test_opening_reads_no_table_until_a_view_needs_it(folders):
    _, res = open_folder(folders["run"])
    tables = res.scenarios["tiny_run"]
    assert "moda_dimensions" in tables and not tables._read  # listed, not read
    _, res = open_folder(folders["compare"])
    assert all(not t._read for t in res.scenarios.values()) and not res.extra._read


@pytest.mark.parametrize("name", ["run", "compare", "batch", "sensitivity", "calibration", "plan", "trial"])
def test_every_view_draws_with_its_defaults(folders, name):
    kind, res = open_folder(folders[name])
    views = [v for v in kind.views(res) if v.available(res)]
    assert len(views) >= 2
    for v in views:
        d = render(v, res, defaults(v, res))
        if v.key == "mobility":  # a 4-year run sees no child grow up: the table shows, the heatmap cannot
            assert d.table is not None and not d.table.empty
            continue
        assert not d.note, (v.key, d.note)
        assert d.figure is not None or d.table is not None, v.key
        assert isinstance(d.data, pd.DataFrame) and not d.data.empty, v.key
        if d.figure is not None:
            texts = [t.get_text() for t in d.figure.findobj(Text)]
            assert res.provenance() in texts, v.key  # the report's footer
            assert d.caption


def _view(res, kind, key):
    return next(v for v in kind.views(res) if v.key == key)


def test_filters_select_the_rows_the_figure_draws(folders):
    kind, res = open_folder(folders["run"])
    moda = _view(res, kind, "moda")
    sel = defaults(moda, res, {"measure": "M0", "ages": ("6-17",), "by": "left_behind", "group": "left behind",
                               "years": (2015, 2017)})
    assert sel == {"measure": "M0", "ages": ("6-17",), "by": "left_behind", "group": "left behind",
                   "years": (2015, 2017)}
    d = render(moda, res, sel)
    assert set(d.data["by"]) == {"left_behind"} and set(d.data["group"]) == {"left behind"}
    assert set(d.data["age_group"]) == {"6-17"} and set(d.data["year"]) == {2015, 2016, 2017}
    assert set(d.data["measure"]) == {"M0"}
    assert "left behind left behind" in d.figure.texts[0].get_text() or any(
        "left behind" in t.get_text() for t in d.figure.findobj(Text))
    assert len(d.figure.axes) == 1  # one age group, one panel

    traj = _view(res, kind, "trajectory")
    sel = defaults(traj, res, {"measure": "child_income_poverty_rate", "by": "county"})
    counties = sel["groups"]
    assert len(counties) >= 2
    d = render(traj, res, {**sel, "groups": counties[:2]})
    assert [t.get_text() for t in d.figure.axes[0].get_legend().get_texts()][:2] == list(counties[:2])
    assert set(d.data["group"]) == set(counties[:2])

    dims = _view(res, kind, "dimensions")
    sel = defaults(dims, res, {"by": "sex", "group": "female", "year": 2016, "headcount": "censored"})
    d = render(dims, res, sel)
    assert set(d.data["group"]) == {"female"} and set(d.data["year"]) == {2016}
    assert set(d.data["measure"]) == {"censored_headcount"}
    assert "sex female, 2016" in d.figure.axes[0].get_title()

    # an invalid value (a group of another subgroup) falls back to the default
    sel = defaults(dims, res, {"by": "sex", "group": "pilot"})
    assert sel["group"] == "female"


def test_a_figure_of_the_dashboard_is_the_figure_of_the_brief(folders):
    """One code path: with its defaults, a compare view exports the brief's figure, pixel for pixel."""
    res_report = load_results(folders["compare"])
    figs, _ = build_figures(res_report)
    brief = {f.stem: f.figure for f in figs}
    kind, res = open_folder(folders["compare"])
    pairs = {"differences": "differences_end", "cost_effectiveness": "ce_plane", "scenario_moda": "moda_H",
             "scenario_costs": "costs"}
    for key, stem in pairs.items():
        v = _view(res, kind, key)
        d = render(v, res, defaults(v, res))
        assert figure_export(d.figure, "png", dpi=60) == figure_export(brief[stem], "png", dpi=60), key


def test_a_plan_figure_of_the_dashboard_is_the_figure_of_the_brief_and_filters_by_county(folders):
    figs, _ = build_figures(load_results(folders["plan"]))
    brief = {f.stem: f.figure for f in figs}
    kind, res = open_folder(folders["plan"])
    assert [v.key for v in kind.views(res) if v.available(res)] == ["frontier", "allocation", "verification",
                                                                    "marginal_returns", "stability"]
    for key in ("frontier", "allocation", "verification", "marginal_returns", "stability"):
        v = _view(res, kind, key)
        d = render(v, res, defaults(v, res))
        assert figure_export(d.figure, "png", dpi=60) == figure_export(brief[key], "png", dpi=60), key
    frontier = render(_view(res, kind, "frontier"), res, {})
    assert list(frontier.table["budget (million RMB)"]) == [137.5, 275.0]  # the plan at each budget level
    v = _view(res, kind, "allocation")
    sel = defaults(v, res)
    assert len(sel["counties"]) == 8
    d = render(v, res, {"counties": ("Yangxin", "Dawu")})
    assert set(d.data["county"]) == {"Yangxin", "Dawu"} and len(d.data) == 2
    assert figure_export(d.figure, "png", dpi=60) != figure_export(brief["allocation"], "png", dpi=60)
    alloc = pd.read_csv(PLAN / "tables" / "allocation.csv")
    main = alloc[(alloc["allocation"] == "plan_275M") & alloc["county"].isin(["Yangxin", "Dawu"])]
    assert d.table["cost (million RMB)"].sum() == pytest.approx(main["cost_rmb_plan"].sum() / 1e6, abs=0.05)
    raw = csv_bytes(d.data, res.provenance(), {"counties": ("Yangxin", "Dawu")}).decode("utf-8")
    assert raw.strip().splitlines()[-2] == f"# {res.provenance()}" and "plan tiny" in res.provenance()


def test_a_trial_figure_of_the_dashboard_is_the_figure_of_the_brief_with_its_verdicts(folders):
    figs, _ = build_figures(load_results(folders["trial"]))
    brief = {f.stem: f.figure for f in figs}
    kind, res = open_folder(folders["trial"])
    views = {v.key: v for v in kind.views(res) if v.available(res)}
    assert list(views) == ["forest", "trial_trajectories", "estimates"]
    for key, stem in (("forest", "forest"), ("trial_trajectories", "trajectories")):
        d = render(views[key], res, defaults(views[key], res))
        assert figure_export(d.figure, "png", dpi=60) == figure_export(brief[stem], "png", dpi=60), key
    forest = render(views["forest"], res, {})
    s = pd.read_csv(TRIAL / "trial_summary.csv")
    inside = [None if pd.isna(lo) else bool(lo <= m <= hi)
              for m, lo, hi in zip(s["model_mean"], s["source_lo"], s["source_hi"], strict=True)]
    assert list(forest.table["check"]) == ["n/a" if v is None else "pass" if v else "FAIL" for v in inside]
    d = render(views["trial_trajectories"], res, {"arms": ("control",)})
    assert set(d.data["arm"]) == {"control"}
    e = render(views["estimates"], res, {"outcome": "haz_diff"})
    assert e.figure is None and set(e.data["outcome"]) == {"haz_diff"} and len(e.data) == 2  # one per replicate


def test_side_by_side_puts_folders_as_scenarios(folders):
    kind, res = combine([open_folder(folders["run"]), open_folder(folders["compare"])])
    assert list(res.scenarios) == ["run", "compare/tiny", "compare/tiny_pilot"]
    v = _view(res, kind, "scenario_moda")
    d = render(v, res, defaults(v, res))
    assert set(d.data["scenario"]) == set(res.scenarios)
    assert "scenario run, compare/tiny, compare/tiny_pilot" in res.provenance()
    with pytest.raises(DashboardError, match="at least two"):
        combine([open_folder(folders["run"])])


# -- large batches -----------------------------------------------------------------------------
def _benchmark():
    """benchmarks/dashboard_open.py: it builds the large batch (one builder for the test and the benchmark)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dashboard_open", ROOT / "benchmarks" / "dashboard_open.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_batch_of_thousands_of_runs_opens_in_seconds_without_reading_run_files(folders, tmp_path):
    pytest.importorskip("pyarrow")
    bench = _benchmark()
    big = tmp_path / "big"
    bench.scale_batch(folders["batch"], big, 2000, tables=("moda",), csv_rows=1000)
    r = bench.open_and_draw(big)
    assert r["kind"] == "batch" and r["runs_drawn"] == 2000
    assert not [p for p in r["opened"] if "/runs/" in p], "a run file was read"
    assert not [p for p in r["opened"] if p.endswith(".csv") and "/tables/" in p], "the CSV copy was parsed"
    assert r["total_s"] < 10, f"opening and drawing a 2,000-run batch took {r['total_s']:.1f} s"
    assert isinstance(open_folder(big)[1].extra, CollectedTables)


# -- export --------------------------------------------------------------------------------------
def test_export_png_at_300_dpi_svg_and_csv_with_the_provenance_footer(folders):
    kind, res = open_folder(folders["compare"])
    v = _view(res, kind, "differences")
    sel = defaults(v, res)
    d = render(v, res, sel)
    png = figure_export(d.figure, "png")
    assert png[:8] == PNG_MAGIC
    from PIL import Image

    im = Image.open(io.BytesIO(png))
    assert round(im.info["dpi"][0]) == EXPORT_DPI
    assert np.asarray(im.convert("L")).std() > 5  # not blank
    svg = figure_export(d.figure, "svg").decode("utf-8")
    assert svg.lstrip().startswith(("<?xml", "<svg")) and "povsim" in svg
    raw = csv_bytes(d.data, res.provenance(), sel).decode("utf-8")
    lines = raw.strip().splitlines()
    assert lines[-2] == f"# {res.provenance()}" and lines[-1] == "# filters: when = end of programme"
    back = pd.read_csv(io.StringIO(raw), comment="#")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), d.data.reset_index(drop=True), check_dtype=False)
    assert export_name("compare", "moda", {"measure": "H", "by": "arm", "group": "pilot", "years": (2014, 2017),
                                           "ages": ("0-5",)}) == "compare_moda_measure-H_by-arm_group-pilot_2014-2017"


# -- language ----------------------------------------------------------------------------------
def test_chinese_labels_follow_the_report_font_rule(folders, monkeypatch):
    import povsim.report as report

    kind, res = open_folder(folders["run"])
    v = _view(res, kind, "moda")
    assert ui("Paired differences", "zh") == "配对差异" and ui("Year", "zh") == "年份"
    assert ui("Headline panel", "en") == "Headline panel"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu has no CJK glyphs: the code path, not the look
        d = render(v, res, defaults(v, res), lang="zh", font="DejaVu Sans")
    texts = [t.get_text() for t in d.figure.findobj(Text)]
    assert "年份" in texts and "MODA多维贫困发生率H" in texts and res.provenance() in texts
    monkeypatch.setattr(report, "find_cjk_font", lambda *a, **k: None)
    with pytest.raises(ReportError, match="Noto Sans CJK SC"):
        render(v, res, defaults(v, res), lang="zh")


# -- command line --------------------------------------------------------------------------------
def test_cli_without_the_extra_names_the_pip_command(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "streamlit" else real(n, *a))
    with pytest.raises(DashboardError):
        require_extra()
    assert main(["dashboard", str(SHIPPED), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "povsim[dashboard]"' in err and "Traceback" not in err


def test_cli_bad_folder_language_or_port_exit_2(folders, monkeypatch, capsys):
    pytest.importorskip("streamlit")
    import socket

    import povsim.report as report

    assert main(["dashboard", str(folders["root"] / "notes"), "--no-browser"]) == 2
    assert "not a povsim results folder" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert main(["dashboard", str(SHIPPED), "--no-browser", "--port", str(busy)]) == 2
        assert f"port {busy} on 127.0.0.1 is in use" in capsys.readouterr().err
    monkeypatch.setattr(report, "find_cjk_font", lambda *a, **k: None)
    assert main(["dashboard", str(SHIPPED), "--no-browser", "--lang", "zh"]) == 2
    assert "fonts-noto-cjk" in capsys.readouterr().err


def test_cli_starts_streamlit_local_private_and_headless(monkeypatch, capsys):
    pytest.importorskip("streamlit")
    import povsim.dashboard.server as server

    started = {}

    class FakeApp:
        def __init__(self, cmd):
            started["cmd"] = cmd

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(server.subprocess, "Popen", FakeApp)
    assert main(["dashboard", str(SHIPPED), "--no-browser", "--port", "0"]) == 2  # port 0 is no port
    assert main(["dashboard", str(SHIPPED), "--no-browser"]) == 0
    cmd = started["cmd"]
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("app.py")
    for flag in ("--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.headless=true",
                 "--server.showEmailPrompt=false", "--server.fileWatcherType=none"):
        assert flag in cmd, flag
    app_args = cmd[cmd.index("--") + 1:]
    assert app_args[app_args.index("--folder") + 1] == str(SHIPPED)
    assert "http://127.0.0.1:" in capsys.readouterr().out


# -- the app in Streamlit's headless harness --------------------------------------------------------
def _app(monkeypatch, *args: str, timeout: float = 60):
    testing = pytest.importorskip("streamlit.testing.v1")
    monkeypatch.setattr(sys, "argv", [str(APP), *args])
    at = testing.AppTest.from_file(str(APP), default_timeout=timeout)
    return at.run()


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _radio(at, label):
    return next(r for r in at.sidebar.radio if r.label == label)


def _select(at, label):
    return next(s for s in at.sidebar.selectbox if s.label == label)


def test_app_shows_a_compare_folder_and_its_views(monkeypatch, folders):
    at = _app(monkeypatch, "--folder", str(folders["compare"]), "--results-root", str(folders["root"]))
    _ok(at)
    assert at.title[0].value == "tiny vs tiny_pilot"
    view = _radio(at, "View")
    assert view.value == "differences"
    assert {"Paired differences", "Cost-effectiveness", "MODA by scenario", "Headline panel", "MODA by age group",
            "Overlapping deprivations"} <= set(view.options)
    assert len(at.dataframe) == 1 and len(at.main.image) == 1
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Figure (PNG, 300 dpi)", "Figure (SVG)", "Data (CSV)"]
    folders_picker = next(m for m in at.sidebar.multiselect if m.label == "Results folders")
    assert {Path(o).name for o in folders_picker.options} >= {"run", "compare", "batch", "sens", "cal"}


def test_app_filters_switch_the_figure(monkeypatch, folders):
    at = _app(monkeypatch, "--folder", str(folders["run"]))
    _ok(at)
    _radio(at, "View").set_value("moda").run()
    _ok(at)
    before = at.main.image[0].value[0]
    _select(at, "Subgroup").set_value("arm").run()
    _ok(at)
    assert _select(at, "Group").options == ["comparison", "pilot"]
    _select(at, "Group").set_value("pilot").run()
    _ok(at)
    img = at.main.image[0]
    assert img.value[0] != before and "arm pilot" in img.captions[0]
    years = next(s for s in at.sidebar.select_slider if s.label == "Years")
    years.set_range(2015, 2016).run()
    _ok(at)
    assert at.main.image[0].value[0] != img.value[0]


def test_app_side_by_side_and_other_kinds(monkeypatch, folders):
    at = _app(monkeypatch, *(a for f in ("run", "compare", "batch", "sensitivity", "calibration")
                             for a in ("--folder", str(folders[f]))))
    _ok(at)
    folder = _radio(at, "Folder")
    assert folder.options[-1] == "Folders side by side" and len(folder.options) == 6
    titles = set()
    for option in [*(str(folders[f]) for f in ("run", "compare", "batch", "sensitivity", "calibration")),
                   SIDE_BY_SIDE]:
        _radio(at, "Folder").set_value(option).run()
        _ok(at)
        assert at.main.image or at.dataframe, option
        titles.add(at.title[0].value)
    assert titles == {"tiny_run", "tiny vs tiny_pilot", "d", "s", "calibration tiny",
                      "run, compare/tiny, compare/tiny_pilot"}


def test_app_shows_a_plan_folder(monkeypatch, folders):
    at = _app(monkeypatch, "--folder", str(folders["plan"]), "--folder", str(folders["compare"]))
    _ok(at)
    assert at.title[0].value == "plan tiny"
    view = _radio(at, "View")
    assert view.value == "frontier" and view.options == [
        "Efficiency frontier", "Allocation by village", "Verification in the full model", "Marginal returns",
        "Stability of the allocation"]
    assert len(at.dataframe) == 1 and len(at.main.image) == 1
    assert "Folders side by side" not in _radio(at, "Folder").options  # a plan has no scenarios to set side by side
    view.set_value("allocation").run()
    _ok(at)
    before = at.main.image[0].value[0]
    counties = next(m for m in at.sidebar.multiselect if m.label == "Counties")
    counties.set_value(["Yangxin", "Dawu"]).run()
    _ok(at)
    assert at.main.image[0].value[0] != before and "2 villages" in at.main.image[0].captions[0]
    assert [b.label for b in at.get("download_button")] == ["Figure (PNG, 300 dpi)", "Figure (SVG)", "Data (CSV)"]


def test_app_shows_a_trial_folder(monkeypatch, folders):
    at = _app(monkeypatch, "--folder", str(folders["trial"]))
    _ok(at)
    assert at.title[0].value == "trial small_home_visits"
    assert _radio(at, "View").options == ["Model beside the published trial", "Trial arms over time",
                                          "Replicate estimates"]
    assert len(at.dataframe) == 1 and len(at.main.image) == 1
    _radio(at, "View").set_value("estimates").run()
    _ok(at)
    assert not at.main.image and len(at.dataframe) == 1
    assert [b.label for b in at.get("download_button")] == ["Data (CSV)"]  # a table: its data only


def test_app_in_chinese_or_a_warning_without_a_cjk_font(monkeypatch, folders):
    import povsim.report as report
    from povsim.report import find_cjk_font

    if find_cjk_font() is not None:
        at = _app(monkeypatch, "--folder", str(folders["run"]), "--lang", "zh")
        _ok(at)
        assert _radio(at, "视图").value == "headline" and _radio(at, "视图").options[0] == "主要指标"
        assert at.subheader[0].value == "主要指标"
        at = _app(monkeypatch, "--folder", str(folders["plan"]), "--lang", "zh")
        _ok(at)
        assert _radio(at, "视图").options[:2] == ["效率前沿", "按村的分配"] and at.subheader[0].value == "效率前沿"
    monkeypatch.setattr(report, "find_cjk_font", lambda *a, **k: None)
    at = _app(monkeypatch, "--folder", str(folders["run"]), "--lang", "zh")
    assert not at.exception
    assert "fonts-noto-cjk" in at.sidebar.warning[0].value
    assert _radio(at, "View")  # falls back to English


def test_app_reports_a_folder_it_cannot_show(monkeypatch, folders):
    at = _app(monkeypatch, "--folder", str(folders["root"] / "notes"), "--folder", str(folders["run"]))
    assert not at.exception
    assert "not a povsim results folder" in at.error[0].value
    assert at.title[0].value == "tiny_run"


def test_app_without_folders_says_how_to_pick_one(monkeypatch, tmp_path):
    at = _app(monkeypatch, "--results-root", str(tmp_path / "nothing"))
    _ok(at)
    assert "No results folder chosen" in at.info[0].value and "povsim dashboard RESULTS_DIR" in at.info[0].value
    assert not at.sidebar.radio[1:]  # only the language switch
