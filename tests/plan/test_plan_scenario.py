"""Scenario files: the shipped examples load; bad ones name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetmix.errors import ScenarioError
from fleetmix.plan import load_scenario

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))

GOOD = """\
name: t
workloads:
  - name: chat
    arch: llama-3.1-8b
    trace: azure-conv
    peak_rps: 10
    daily_profile: [0.5, 1.0]
    slo: {ttft_p99_s: 2, tpot_p90_ms: 80}
"""


def load_text(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load_scenario(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.workloads and scenario.num_periods >= 1


def test_good_scenario_resolves_demand_slo_and_periods(tmp_path: Path) -> None:
    sc = load_text(tmp_path, GOOD)
    w = sc.workloads[0]
    assert w.demand_rps.tolist() == [5.0, 10.0]
    assert w.slo.ttft_s == {99: 2.0} and w.slo.tpot_s == {90: 0.08}
    assert sc.num_periods == 2 and sc.period_hours == 12.0
    assert w.peak_period == 1


@pytest.mark.parametrize(("change", "line", "needles"), [
    (("peak_rps: 10", "peak_rps: -3"), 6, ["workloads[0].peak_rps", "greater than 0"]),
    (("daily_profile: [0.5, 1.0]", "daily_profile: [0.5, 0.9]"), 3,
     ["largest value must be 1.0"]),
    (("tpot_p90_ms", "tpot_p95_ms"), 8, ["workloads[0].slo", "tpot_p<50|90|99>_ms"]),
    (("trace: azure-conv", "trace: azure-conv\n    colour: red"), 6,
     ["workloads[0].colour", "Extra inputs"]),
    (("arch: llama-3.1-8b", "arch: llama-3.1-8bb"), 4, ["workloads[0].arch", "llama-3.1-8b"]),
    (("trace: azure-conv", "trace: missing.csv"), 5, ["workloads[0].trace", "missing.csv"]),
])
def test_bad_field_names_file_line_and_field(tmp_path: Path, change: tuple[str, str],
                                             line: int, needles: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, GOOD.replace(*change))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 's.yaml'}:{line}:"), message
    for needle in needles:
        assert needle in message, message


def test_policy_errors_point_at_the_policy(tmp_path: Path) -> None:
    text = GOOD + "policy:\n  max_vendor_share: 1.5\n"
    with pytest.raises(ScenarioError, match=r"s\.yaml:10: policy\.max_vendor_share"):
        load_text(tmp_path, text)
    text = GOOD + "policy:\n  supply_caps: {h100-sxmm: 8}\n"
    with pytest.raises(ScenarioError, match=r"h100-sxmm.*neither an accelerator"):
        load_text(tmp_path, text)


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"s\.yaml:2: not valid YAML"):
        load_text(tmp_path, "name: t\nworkloads: a: b\n")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        load_text(tmp_path, "- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_demand_needs_one_form_and_equal_periods(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="either rates_rps, or peak_rps"):
        load_text(tmp_path, GOOD.replace("peak_rps: 10", "peak_rps: 10\n    rates_rps: [1]"))
    two = GOOD + GOOD.split("workloads:\n")[1].replace("chat", "code").replace(
        "[0.5, 1.0]", "[0.5, 1.0, 1.0]")
    with pytest.raises(ScenarioError, match="same number of periods"):
        load_text(tmp_path, two)


def test_policy_rules_switch_off_one_by_one(tmp_path: Path) -> None:
    text = GOOD + ("policy:\n  max_vendor_share: 0.5\n  survive_loss_of: [vendor, cloud]\n"
                   "  supply_caps: {h100-sxm: 8, mi300x: 4}\n")
    policy = load_text(tmp_path, text).policy
    assert policy.rules() == ("max_vendor_share", "survive_loss_of_vendor",
                              "survive_loss_of_cloud", "supply_cap:h100-sxm",
                              "supply_cap:mi300x")
    fewer = policy.without("survive_loss_of_cloud", "supply_cap:mi300x")
    assert fewer.survive_loss_of == ("vendor",) and fewer.supply_caps == {"h100-sxm": 8}
    assert policy.only("max_vendor_share").rules() == ("max_vendor_share",)
    assert policy.describe("max_vendor_share") == "max vendor share 50% of chips"
    assert policy.describe("supply_cap:mi300x") == "supply of mi300x capped at 4 chips"
    with pytest.raises(ValueError, match="unknown policy rule"):
        policy.without("power_budget_kw")
