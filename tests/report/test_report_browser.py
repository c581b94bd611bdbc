"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) driven by
Playwright, with every network request blocked. Every chart must draw, nothing may log an error,
and a full-page screenshot is saved for a person to look at: build/report-screenshot.png (not
tracked, so `make test` leaves the tree clean), or $FLEETMIX_SCREENSHOT; the one committed in
docs/ was taken this way.

Skips, saying why, when Playwright or Chromium is missing; CI installs both (.ci/run).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.report.report_helpers import Built, build_simulated

from fleetmix.atomic import write_text_atomic
from fleetmix.report import render_report

SCREENSHOT = Path(os.environ.get(
    "FLEETMIX_SCREENSHOT",
    Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"))
DRAWN = """() => [...document.querySelectorAll('.fm-chart')]
                 .every(d => d.querySelector('.main-svg') !== null)"""
COUNTS = """() => {
  const charts = [...document.querySelectorAll('.fm-chart')];
  return {divs: charts.length,
          drawn: charts.filter(d => d._fullLayout && d.querySelector('.main-svg')
                                    && d.querySelector('.plot-container')).length,
          declared: Number(document.querySelector('meta[name=fleetmix-figures]').content)};
}"""


@pytest.fixture(scope="module")
def browser_kit() -> tuple[Any, str]:
    """(playwright.sync_api, the Chromium to drive: $FLEETMIX_CHROMIUM, else `chromium` on
    the PATH), or a skip that says what is missing."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (the dev extra)")
    path = os.environ.get("FLEETMIX_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium not found (apt-get install chromium, or set FLEETMIX_CHROMIUM)")
    return sync_api, path


@pytest.fixture(scope="module")
def report_file(browser_kit: tuple[Any, str], tmp_path_factory: pytest.TempPathFactory
                ) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    built: Built = build_simulated(folder)
    inputs = dict(built.inputs)
    path = folder / "report.html"
    write_text_atomic(path, render_report(inputs.pop("plan"), **inputs))
    return path


def test_every_chart_draws_offline_without_errors(browser_kit: tuple[Any, str],
                                                  report_file: Path) -> None:
    sync_api, executable = browser_kit
    errors: list[str] = []
    requests: list[str] = []
    blocked: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        # --no-sandbox: CI and containers run as root, where Chromium's sandbox cannot start.
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          offline=True)
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report_file.as_uri(), wait_until="load")
            page.wait_for_function(DRAWN, timeout=60_000)
            counts = page.evaluate(COUNTS)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert counts["divs"] == counts["declared"] == counts["drawn"] >= 15, counts
    assert errors == []
    assert blocked == []
    assert requests == [report_file.as_uri()]
    assert SCREENSHOT.stat().st_size > 50_000
