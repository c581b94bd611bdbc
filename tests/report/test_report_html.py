"""The HTML report as a string: sections present or absent, escaping, one embedded plotly.js and
nothing fetched from the network; and the `fleetmix report` command."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs
from tests.cli.cli_helpers import assert_user_error, invoke
from tests.report.report_helpers import GENERATED_AT, Built, build_tiny, tiny_measured

from fleetmix.analyze.load_curves import load_curves
from fleetmix.plan import load_scenario, plan
from fleetmix.report import render_report
from fleetmix.sim import validate_serving
from fleetmix.sim.validate import shipped_serving_measurements

ANALYSES = ("leverage", "frontier", "montecarlo", "load_curves", "validation",
            "serving_validation")
SECTIONS = {"leverage": "leverage", "frontier": "frontier", "montecarlo": "montecarlo",
            "load_curves": "latency"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_tiny(tmp_path_factory.mktemp("tiny"))


def render(built: Built, **changes: Any) -> str:
    inputs = {**built.inputs, **changes}
    return render_report(inputs.pop("plan"), **inputs)


def figure_count(page: str) -> int:
    match = re.search(r'<meta name="fleetmix-figures" content="(\d+)">', page)
    assert match is not None
    return int(match.group(1))


def test_every_section_is_drawn_when_every_input_is_given(tiny: Built) -> None:
    page = render(tiny)
    for sid in ("plan", "fleet", "cost", "baselines", "leverage", "frontier", "montecarlo",
                "latency", "validation"):
        assert f'<section id="{sid}">' in page, sid
        assert f'<a href="#{sid}">' in page, sid
    divs = page.count('class="fm-chart"')
    assert divs == figure_count(page) == page.count("Plotly.newPlot(")
    assert divs >= 14  # fleet 3, cost 2, baselines, break-even 2-3, frontier, MC 3, latency,
    # validation 2
    footer = page.split("<footer>", 1)[1]
    assert "not computed" not in footer and "2026-01-15 09:30 UTC" in footer


@pytest.mark.parametrize("missing", [*SECTIONS, "validation"])
def test_a_missing_input_omits_its_section_and_says_so(tiny: Built, missing: str) -> None:
    changes: dict[str, Any] = {missing: None}
    if missing == "validation":
        changes["serving_validation"] = None
    page = render(tiny, **changes)
    sid = SECTIONS.get(missing, "validation")
    assert f'<section id="{sid}">' not in page
    assert f'<a href="#{sid}">' not in page
    footer = page.split("<footer>", 1)[1]
    assert "not computed:" in footer
    assert page.count('class="fm-chart"') == figure_count(page) < figure_count(render(tiny))


def test_the_plan_alone_lists_every_analysis_as_not_computed(tiny: Built) -> None:
    page = render(tiny, **dict.fromkeys(ANALYSES))
    footer = page.split("<footer>", 1)[1]
    for name in ("break-even prices", "frontier", "Monte Carlo", "latency against load",
                 "validation of the performance model"):
        assert name in footer
    assert '<section id="fleet">' in page and '<section id="leverage">' not in page


def test_analyses_render_the_same_from_objects_and_from_their_dicts(tiny: Built) -> None:
    as_dicts = {k: tiny.inputs[k].to_dict() for k in ("leverage", "frontier", "montecarlo")}
    assert render(tiny, **as_dicts) == render(tiny)


def test_plotly_js_is_embedded_once_and_nothing_is_fetched(tiny: Built) -> None:
    page = render(tiny)
    assert page.count(get_plotlyjs()) == 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    ours = page.replace(get_plotlyjs(), "")  # the bundle names URLs in strings it never loads
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:)?//", ours, re.IGNORECASE)
    assert "cdn.plot.ly" not in ours and "http://" not in ours and "https://" not in ours


def test_user_text_is_escaped_in_html(tmp_path: Path) -> None:
    evil = "<img src=x onerror=alert(1)>"
    path = tiny_measured(tmp_path, name=f"tiny {evil}")
    path.write_text(path.read_text().replace("name: chat", "name: chat<b>x</b>"))
    caps = tmp_path / "caps.csv"
    caps.write_text(caps.read_text().replace(",chat,", ",chat<b>x</b>,"))
    result = plan(load_scenario(path), capacity_csv=caps)
    assert result.feasible
    page = render_report(result, generated_at=GENERATED_AT)
    assert evil not in page and "<b>x</b>" not in page
    assert f"<title>fleetmix report: tiny {escape(evil)}</title>" in page
    assert "<h1>tiny &lt;img src=x onerror=alert(1)&gt;</h1>" in page
    assert "<td>chat&lt;b&gt;x&lt;/b&gt;</td>" in page


def test_text_in_chart_labels_is_escaped_for_plotly(tiny: Built) -> None:
    """Plotly reads <b>, <a href>... in labels: text goes in escaped, and the JSON inside the
    <script> escapes < > / once more (so no label can close the script)."""
    lev = tiny.inputs["leverage"].to_dict()
    lev["offerings"][0]["offering"] = "cloud/<b>x</b>"
    page = render(tiny, leverage=lev)
    assert r"cloud\u002f&lt;b&gt;x" in page
    assert r"\u003cb\u003ex" not in page and "<b>x</b>" not in page


def test_an_infeasible_plan_says_why_and_draws_no_fleet(tiny: Built, tmp_path: Path) -> None:
    path = tiny_measured(tmp_path, policy={"min_vendors": 3})
    result = plan(load_scenario(path), capacity_csv=tmp_path / "caps.csv")
    assert not result.feasible
    page = render_report(result, generated_at=GENERATED_AT,
                         validation=tiny.inputs["validation"])
    assert "No plan: why" in page
    assert result.explanation[0].split()[0] in page
    assert '<section id="fleet">' not in page and '<section id="validation">' in page
    assert figure_count(page) == page.count('class="fm-chart"') == 1


def test_latency_curves_cover_each_deployment_once_with_its_slo(tiny: Built) -> None:
    curves = tiny.inputs["load_curves"]
    used = {(r.workload, r.accelerator) for r in tiny.inputs["plan"].fleet}
    assert {(c.workload, c.deployment.split()[0]) for c in curves.curves} == used
    for c in curves.curves:
        assert c.ttft_target_s == 2.0 and c.ttft_percentile == 99 and c.tpot_target_s is None
        assert [p.load_fraction for p in c.points] == [0.5, 0.9, 1.2]
        assert all(p.requests >= 150 and p.ttft_s > 0 for p in c.points)
    one = load_curves(tiny.scenario, tiny.inputs["plan"], max_curves=1, fractions=(1.0,),
                      requests=50, min_duration_s=1.0)
    assert len(one.curves) == 1 and len(one.omitted) == len(curves.curves) - 1
    assert one.curves[0].deployment == curves.curves[0].deployment  # the most used
    capped = replace(curves, curves=curves.curves[:1])
    page = render(tiny, load_curves=capped)
    assert page.count("<h3>Workload ") == 1


def test_cli_writes_the_report_with_a_line_per_stage(tmp_path: Path) -> None:
    path = tiny_measured(tmp_path)
    out = tmp_path / "report.html"
    result = invoke("report", path, "--capacity", tmp_path / "caps.csv", "--out", out,
                    "--runs", "8", "--workers", "1", "--no-validation", "--no-cache")
    assert result.exit_code == 0, result.output
    for stage in ("plan: optimal", "break-even prices:", "frontier:", "Monte Carlo: 8 runs",
                  "latency against load:", f"wrote {out}"):
        assert stage in result.output, stage
    page = out.read_text()
    assert '<section id="montecarlo">' in page and "not computed: validation" in page


def test_cli_skips_what_it_is_told_to(tmp_path: Path) -> None:
    path = tiny_measured(tmp_path)
    out = tmp_path / "report.html"
    result = invoke("report", path, "--capacity", tmp_path / "caps.csv", "--out", out,
                    "--no-leverage", "--no-frontier", "--no-montecarlo", "--no-latency",
                    "--no-validation")
    assert result.exit_code == 0, result.output
    footer = out.read_text().split("<footer>", 1)[1]
    assert "break-even prices, frontier, Monte Carlo, latency against load" in footer


def test_cli_infeasible_scenario_writes_the_report_and_exits_2(tmp_path: Path) -> None:
    path = tiny_measured(tmp_path, policy={"min_vendors": 3})
    out = tmp_path / "report.html"
    result = invoke("report", path, "--capacity", tmp_path / "caps.csv", "--out", out,
                    "--no-validation")
    assert result.exit_code == 2, result.output
    assert "No plan: why" in out.read_text()


@pytest.mark.parametrize(("args", "needles"), [
    (["--frontier-over", "max_share"], ["--frontier-over 'max_share'", "max_vendor_share"]),
    (["--out", "no/such/folder/report.html"], ["--out", "does not exist"]),
])
def test_cli_bad_options_are_user_errors(tmp_path: Path, args: list[str],
                                         needles: list[str]) -> None:
    path = tiny_measured(tmp_path)
    assert_user_error(invoke("report", path, "--capacity", tmp_path / "caps.csv", *args),
                      *needles)
    assert not (tmp_path / "report.html").exists()


def test_cli_bad_scenario_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads: []\n")
    assert_user_error(invoke("report", bad, "--out", tmp_path / "r.html"), "bad.yaml")
    assert_user_error(invoke("report", tmp_path / "missing.yaml"), "missing.yaml")


def test_validation_without_a_predicted_row_says_so_instead_of_an_empty_chart(
        tiny: Built) -> None:
    unreplayable = tuple(m for m in shipped_serving_measurements() if m.isl is None)[:3]
    page = render(tiny, validation=None, serving_validation=validate_serving(unreplayable))
    section = page.split('<section id="validation">', 1)[1].split("</section>", 1)[0]
    assert "No row could be predicted" in section and "fm-chart" not in section
    assert "Excluded, 3 rows: request lengths vary" in section


def test_the_report_package_exports_exactly_its_public_names() -> None:
    import fleetmix.report as package

    modules = {n for n, v in vars(package).items() if type(v).__name__ == "module"}
    public = {n for n in vars(package) if not n.startswith("_")} - modules
    assert public == set(package.__all__)
    assert all(callable(getattr(package, n)) for n in package.__all__)
