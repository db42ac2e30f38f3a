"""`povsim dashboard` in a real browser: Debian's Chromium driven by Playwright.

Starts the dashboard with the real command (``povsim dashboard tests/data/dashboard/compare
tests/data/plan --no-browser``), blocks every request that does not go to 127.0.0.1, and
checks that the page renders with none attempted; switches a filter, opens every view (a
screenshot of each goes to the test's tmp folder), opens the compare view and exports its
figure, then opens the plan (its frontier, its allocation filtered by county, an export) and the
virtual trial (the model beside the published trial, with its verdicts).

Needs ``/usr/bin/chromium`` (Debian package ``chromium``; ``.ci/run`` installs it), the
``playwright`` package (test extra; its own browser download is never used) and the
dashboard extra.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

#: .ci/run sets POVSIM_BROWSER_TESTS=required: there, a missing browser or package is a failure
REQUIRED = os.environ.get("POVSIM_BROWSER_TESTS") == "required"
ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "tests" / "data" / "dashboard" / "compare"
PLAN = ROOT / "tests" / "data" / "plan"  # the folder `povsim plan --out` was given (tests/data/plan/make_data.sh)
TRIAL = ROOT / "tests" / "data" / "trial" / "trial"  # tests/data/trial/make_data.sh
CHROMIUM = next((c for c in ("/usr/bin/chromium", shutil.which("chromium") or "") if c and os.path.exists(c)), None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL = "127.0.0.1"

if not REQUIRED:
    pytest.importorskip("streamlit")
    pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Chromium not installed (Debian package `chromium`)", allow_module_level=True)
elif CHROMIUM is None:
    raise RuntimeError("POVSIM_BROWSER_TESTS=required but /usr/bin/chromium is missing (apt-get install chromium)")
from playwright import sync_api  # noqa: E402  (after the skip: an optional test dependency)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The dashboard on a free port, started as a user starts it; stopped after the tests."""
    port = _free_port()
    empty = tmp_path_factory.mktemp("no_results")  # the folder picker lists nothing else
    log = tmp_path_factory.mktemp("server") / "dashboard.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "povsim.cli", "dashboard", str(SHIPPED), str(PLAN),
                                 str(TRIAL), "--no-browser",
                                 "--port", str(port), "--results-root", str(empty)],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "MPLBACKEND": "Agg"},
                                start_new_session=True)
    url = f"http://{LOCAL}:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the session started above: povsim and its Streamlit child
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture()
def page(app_url):
    """A page that may only reach 127.0.0.1: anything else is aborted and recorded."""
    seen = {"requests": [], "blocked": [], "websockets": [], "page_errors": []}

    def route(r):
        if urlparse(r.request.url).hostname == LOCAL:
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
        context.route("**/*", route)
        pg = context.new_page()
        pg.on("request", lambda r: seen["requests"].append(r.url))
        pg.on("websocket", lambda ws: seen["websockets"].append(ws.url))
        pg.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
        pg.seen = seen
        pg.goto(app_url)
        try:
            yield pg
        finally:
            browser.close()


#: The script's run is over: nothing is running or left from the run before, the last element it
#: writes (the CSV export button) is there, and every figure has loaded.
_DONE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stDownloadButton"]')].some(b => b.innerText.includes('CSV'))
    && [...document.querySelectorAll('[data-testid="stImage"] img')].every(i => i.complete && i.naturalWidth > 0)"""


def _settle(pg, title: str | None = None) -> None:
    """Wait until the app has rerun (showing the view ``title``) and drawn everything."""
    if title is not None:
        pg.locator('[data-testid="stMain"] h3', has_text=title).first.wait_for(timeout=60_000)
    pg.wait_for_timeout(200)
    pg.wait_for_function(_DONE, timeout=60_000)
    pg.wait_for_timeout(200)
    pg.wait_for_function(_DONE, timeout=60_000)


def _no_error(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert pg.locator('[data-testid="stAlertContentError"]').count() == 0
    assert not pg.seen["page_errors"], pg.seen["page_errors"]


def _choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar select box labelled ``label``."""
    box = pg.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label, exact=True)
    box.click()
    if box.get_attribute("aria-expanded") != "true":  # a click right after a rerun may only focus it
        box.press("ArrowDown")
    pg.get_by_role("option", name=option, exact=True).click()


def _view(pg, title: str) -> None:
    radios = pg.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').filter(has_text="View").first
    radios.get_by_text(title, exact=True).click()
    _settle(pg, title)


def _caption(pg) -> str:
    return pg.locator('[data-testid="stImageCaption"]').first.inner_text()


def _blank(png: bytes) -> bool:
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return grey.std() < 5 or (grey < 250).mean() < 0.01


def test_dashboard_offline_filter_views_compare_and_export(page, tmp_path):
    pg = page
    _settle(pg, "Paired differences")
    _no_error(pg)
    assert pg.locator("h1").first.inner_text().strip() == "tiny vs tiny_pilot"

    # a filter: MODA by age group, for the pilot villages only
    _view(pg, "MODA by age group")
    before = pg.locator('[data-testid="stImage"] img').first.get_attribute("src")
    _choose(pg, "Subgroup", "arm")
    _settle(pg)
    _choose(pg, "Group", "pilot")
    pg.wait_for_function("() => document.querySelector('[data-testid=\"stImageCaption\"]')"
                         "?.innerText.includes('arm pilot')", timeout=60_000)
    _settle(pg)
    assert pg.locator('[data-testid="stImage"] img').first.get_attribute("src") != before
    pg.screenshot(path=str(tmp_path / "filter_moda_arm_pilot.png"), full_page=True)
    _no_error(pg)

    # every view, one screenshot each
    radios = pg.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').filter(has_text="View").first
    titles = [t.strip() for t in radios.locator("[data-testid=\"stRadioOption\"]").all_inner_texts()]
    assert len(titles) >= 12 and "Paired differences" in titles
    for i, title in enumerate(titles):
        _view(pg, title)
        _no_error(pg)
        shown = pg.locator('[data-testid="stImage"]').count() + pg.locator('[data-testid="stDataFrame"]').count()
        assert shown, title
        pg.screenshot(path=str(tmp_path / f"view_{i:02d}_{title.replace(' ', '_')}.png"), full_page=True)

    # the compare view, and the export of its figure
    _view(pg, "Paired differences")
    assert pg.locator('[data-testid="stDataFrame"]').count() == 1
    assert "end of programme" in _caption(pg)
    with pg.expect_download(timeout=60_000) as dl:
        pg.get_by_role("button", name="Figure (PNG, 300 dpi)").click()
    download = dl.value
    assert download.suggested_filename == "compare_differences_when-end_of_programme.png"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    png = target.read_bytes()
    from PIL import Image

    assert png[:8] == b"\x89PNG\r\n\x1a\n" and round(Image.open(io.BytesIO(png)).info["dpi"][0]) == 300
    assert not _blank(png)
    with pg.expect_download(timeout=60_000) as dl:
        pg.get_by_role("button", name="Data (CSV)").click()
    csv = Path(dl.value.path()).read_text("utf-8")
    assert csv.startswith("scenario,measure,when") and "# povsim " in csv
    _no_error(pg)

    # the plan: its frontier with the plan at each budget, its allocation filtered by county, an export
    folder = pg.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').filter(has_text="Folder").first
    folder.get_by_text("data/plan", exact=True).click()
    _settle(pg, "Efficiency frontier")
    _no_error(pg)
    assert pg.locator("h1").first.inner_text().strip() == "plan tiny"
    assert pg.locator('[data-testid="stDataFrame"]').count() == 1 and "frontier" in _caption(pg)
    pg.screenshot(path=str(tmp_path / "plan_frontier.png"), full_page=True)
    _view(pg, "Allocation by village")
    assert "8 villages" in _caption(pg)
    pg.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Counties") \
        .get_by_role("button", name="Clear all").first.click()  # no county: the view says so, no error
    _settle(pg)
    _no_error(pg)
    assert pg.locator('[data-testid="stImage"]').count() == 0
    pg.screenshot(path=str(tmp_path / "plan_allocation_no_county.png"), full_page=True)
    _view(pg, "Efficiency frontier")
    with pg.expect_download(timeout=60_000) as dl:
        pg.get_by_role("button", name="Figure (PNG, 300 dpi)").click()
    assert dl.value.suggested_filename == "plan_frontier.png"
    png = Path(dl.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and not _blank(png)
    _no_error(pg)

    # the virtual trial: the model beside the published trial, pass and fail
    folder.get_by_text("trial/trial", exact=True).click()
    _settle(pg, "Model beside the published trial")
    _no_error(pg)
    assert pg.locator("h1").first.inner_text().strip() == "trial small_home_visits"
    assert pg.locator('[data-testid="stDataFrame"]').count() == 1 and pg.locator('[data-testid="stImage"]').count() == 1
    pg.screenshot(path=str(tmp_path / "trial_forest.png"), full_page=True)

    # offline: only the app itself was asked for anything
    seen = pg.seen
    assert not seen["blocked"], seen["blocked"]
    assert seen["requests"] and all(urlparse(u).hostname == LOCAL for u in seen["requests"])
    assert seen["websockets"] and all(urlparse(u).hostname == LOCAL for u in seen["websockets"])


def test_page_renders_with_every_outside_request_blocked(page, tmp_path):
    """The start page alone: rendered, with no request to any host but 127.0.0.1 attempted."""
    _settle(page, "Paired differences")
    _no_error(page)
    shot = tmp_path / "start.png"
    page.screenshot(path=str(shot), full_page=True)
    assert not _blank(shot.read_bytes())
    assert page.locator('[data-testid="stImage"] img').count() == 1
    assert not page.seen["blocked"]
    hosts = {urlparse(u).hostname for u in page.seen["requests"] + page.seen["websockets"]}
    assert hosts == {LOCAL}
