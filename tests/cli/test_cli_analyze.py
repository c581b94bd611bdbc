"""`fleetmix leverage`, `drill` and `frontier` on tiny measured scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli.cli_helpers import assert_user_error, invoke
from tests.plan.plan_helpers import H100, MI300X, write_scenario


def json_to_stdout(*args: str | Path) -> Any:
    result = invoke(*args, "--json", "-")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_scenario(tmp_path, demand=[6.0, 10.0], capacities={H100: 4.0, MI300X: 1.0},
                          policy={"survive_loss_of": ["vendor"], "surviving_fraction": 0.5})


def test_leverage_json_has_the_documented_fields(scenario: Path) -> None:
    doc = json_to_stdout("leverage", scenario, "--capacity", scenario.parent / "caps.csv")
    for row in doc["offerings"]:
        assert {"list_usd_per_chip_hour", "enter_below_usd_per_chip_hour",
                "leave_above_usd_per_chip_hour"} <= row.keys()
    assert {v["vendor"] for v in doc["vendors"]} == {"nvidia", "amd"}
    assert all("walk_away_usd_per_chip_hour" in v for v in doc["vendors"])
    assert doc["policy_costs"][0]["rule"] == "survive_loss_of_vendor"


def test_leverage_table_and_json_file(scenario: Path, tmp_path: Path) -> None:
    target = tmp_path / "lev.json"
    result = invoke("leverage", scenario, "--capacity", scenario.parent / "caps.csv",
                    "--json", target)
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("{")
    assert "Break-even prices" in result.stdout and "walk-away" in result.stdout


def test_drill_finds_the_domain_from_the_name(scenario: Path) -> None:
    doc = json_to_stdout("drill", scenario, "--capacity", scenario.parent / "caps.csv", "--lose",
                  "amd")
    assert doc["domain"] == "vendor" and doc["lost"] == "amd"
    assert doc["workloads"][0]["unserved_fraction"] <= 0.5 + 1e-9


def test_drill_and_frontier_reject_bad_input(scenario: Path) -> None:
    caps = scenario.parent / "caps.csv"
    assert_user_error(invoke("drill", scenario, "--capacity", caps, "--lose", "nvida"),
                      "Did you mean 'nvidia'")
    assert_user_error(invoke("frontier", scenario, "--capacity", caps, "--over", "price"),
                      "--over 'price': expected one of max_vendor_share")
    assert_user_error(invoke("frontier", scenario, "--capacity", caps, "--values", "0.5,x"),
                      "expected comma-separated numbers")


def test_frontier_json_points(scenario: Path) -> None:
    doc = json_to_stdout("frontier", scenario, "--capacity", scenario.parent / "caps.csv",
                  "--over", "surviving_fraction", "--values", "0,0.5,1")
    assert [p["value"] for p in doc["points"]] == [0.0, 0.5, 1.0]
    costs = [p["cost_usd_per_hour"] for p in doc["points"]]
    assert costs == sorted(costs) and costs[0] < costs[-1]
