"""`fleetmix montecarlo`: JSON, tables, executors, and errors without a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.cli.cli_helpers import assert_user_error, invoke, squash
from tests.plan.plan_helpers import H100, MI300X, write_scenario

from fleetmix.analyze import executor
from fleetmix.analyze.executor import LocalProcesses

UNCERTAIN = {"seed": 5, "prices": {"offerings": {H100: {"dist": "uniform", "low": 3,
                                                         "high": 4}}},
             "demand": {"all": {"dist": "lognormal", "sigma": 0.2}}}


def scenario(tmp_path: Path, uncertainty: dict[str, Any] | None = UNCERTAIN) -> list[str]:
    path = write_scenario(tmp_path, **({"uncertainty": uncertainty} if uncertainty else {}))
    return ["montecarlo", str(path), "--capacity", str(tmp_path / "caps.csv"), "--workers", "1"]


def test_json_to_stdout_is_one_object(tmp_path: Path) -> None:
    result = invoke(*scenario(tmp_path), "--runs", "8", "--json", "-")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["runs"] == 8 and data["seed"] == 5 and data["executor"] == "local"
    assert data["statuses"] == {"optimal": 8} and data["infeasible_fraction"] == 0.0
    assert data["offerings"][0]["offering"] == MI300X
    assert data["offerings"][0]["chosen_fraction"] == 1.0
    assert data["nominal"]["chips_by_offering"][H100] > 0
    assert len(data["per_run"]) == 8 and len(data["samples"]["price_factor"]) == 8
    assert data["cost_usd_per_hour"]["p5"] <= data["cost_usd_per_hour"]["p95"]
    again = json.loads(invoke(*scenario(tmp_path), "--runs", "8", "--seed", "6", "--json",
                              "-").stdout)
    assert again["seed"] == 6 and again["samples"] != data["samples"]


def test_tables_and_a_json_file(tmp_path: Path) -> None:
    out = tmp_path / "mc.json"
    result = invoke(*scenario(tmp_path), "--runs", "6", "--gap", "0.05", "--json", str(out))
    assert result.exit_code == 0, result.output
    text = squash(result.stdout)
    for needle in ("MonteCarlo:tiny,6runs", "Offeringschosen", MI300X, "Vendors", "100%"):
        assert squash(needle) in text, needle
    data = json.loads(out.read_text())
    assert data["runs"] == 6 and data["mip_rel_gap"] == 0.05


def test_without_an_uncertainty_section_the_default_is_used_and_said(tmp_path: Path) -> None:
    result = invoke(*scenario(tmp_path, None), "--runs", "4", "--json", "-")
    assert result.exit_code == 0, result.output
    assert squash("has no uncertainty section: sampling the default") in squash(result.stderr)
    assert json.loads(result.stdout)["uncertainty_source"] == "default"


def test_a_bad_section_is_a_user_error_with_line_and_field(tmp_path: Path) -> None:
    args = scenario(tmp_path, {"demand": {"all": {"dist": "uniform", "low": 2, "high": 1}}})
    assert_user_error(invoke(*args), "ScenarioError", "scenario.yaml:",
                      "uncertainty.demand.all", "low (2) <= high (1)")


def test_no_feasible_run_exits_2(tmp_path: Path) -> None:
    args = scenario(tmp_path, {"supply": {"h100-sxm": {"availability": 0.0},
                                          MI300X: {"availability": 0.0}}})
    result = invoke(*args, "--runs", "3")
    assert result.exit_code == 2, result.output
    assert "100.0%" in result.stdout


def test_executor_ray_passes_the_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    asked: list[tuple[str | None, int | None]] = []

    def fake_ray(address: str | None = None, workers: int | None = None) -> LocalProcesses:
        asked.append((address, workers))
        return LocalProcesses(workers=1)

    monkeypatch.setattr(executor, "ray_executor", fake_ray)
    result = invoke(*scenario(tmp_path), "--runs", "2", "--executor", "ray", "--ray-address",
                    "ray://head:10001", "--json", "-")
    assert result.exit_code == 0, result.output
    assert asked == [("ray://head:10001", 1)]


def test_an_unreachable_ray_address_is_a_user_error(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    assert_user_error(invoke(*scenario(tmp_path), "--executor", "ray", "--ray-address",
                             "127.0.0.1:1"), "InputError", "nothing answers there")


def test_executor_ray_without_ray_says_how_to_install(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    assert_user_error(invoke(*scenario(tmp_path), "--executor", "ray"),
                      "MissingDependencyError", "pip install 'fleetmix[ray]'")
    assert_user_error(invoke(*scenario(tmp_path), "--ray-address", "auto"),
                      "--ray-address needs --executor ray")
