"""The planner end to end: measured capacities, simulated candidates, verification, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from tests.cli.cli_helpers import assert_user_error, invoke
from tests.plan.plan_helpers import H100, MI300X, write_scenario

from fleetmix.errors import InputError
from fleetmix.plan import load_scenario, plan
from fleetmix.plan.candidates import ChainJob, ChainResult
from fleetmix.sim import CapacityCache
from fleetmix.workload import FixedLengths, synthetic_trace


def in_process(fn, jobs: list[ChainJob]) -> list[ChainResult]:  # type: ignore[no-untyped-def]
    return [fn(j) for j in jobs]


@pytest.mark.parametrize(("csv_text", "needles"), [
    ("offering,max_rps\nx,1\n", ["caps.csv:1", "missing column(s) workload"]),
    (f"offering,workload,max_rps\n{H100},chat,fast\n", ["caps.csv:2", "'max_rps'", "number"]),
    (f"offering,workload,max_rps\n{H100},chats,1\n", ["caps.csv:2", "'chats'", "chat"]),
    ("offering,workload,max_rps\nh100-sxmm,chat,1\n", ["caps.csv:2", "'offering'", "h100-sxm"]),
    (f"offering,workload,max_rps\n{H100},chat,-1\n", ["caps.csv:2", "> 0"]),
    ("offering,workload,max_rps,chips\nlambda/us-east-1/gpu_8x_h100_sxm5,chat,1,3\n",
     ["caps.csv:2", "'chips'", "tile"]),
])
def test_bad_capacity_rows_name_file_line_and_field(tmp_path: Path, csv_text: str,
                                                    needles: list[str]) -> None:
    scenario = load_scenario(write_scenario(tmp_path))
    (tmp_path / "caps.csv").write_text(csv_text)
    with pytest.raises(InputError) as info:
        plan(scenario, capacity_csv=tmp_path / "caps.csv", verify="none")
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_accelerator_rows_expand_to_every_allowed_offering(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    (tmp_path / "caps.csv").write_text("offering,workload,max_rps\nmi300x,chat,1\n")
    result = plan(load_scenario(path), capacity_csv=tmp_path / "caps.csv", verify="none")
    # two MI300X offerings sell single chips; the cheaper one wins
    assert {r.offering for r in result.fleet} == {MI300X}
    assert result.model["candidates"] >= 1


@pytest.fixture
def small_trace(tmp_path: Path) -> Path:
    lengths = FixedLengths(input_tokens=1024, output_tokens=256)
    trace = synthetic_trace(rate_rps=2.0, num_requests=400, lengths=lengths, seed=1)
    path = tmp_path / "trace.csv"
    path.write_text("arrival_s,input_tokens,output_tokens\n" + "".join(
        f"{a:.4f},{i},{o}\n" for a, i, o in zip(trace.arrival_s, trace.input_tokens,
                                                 trace.output_tokens, strict=True)))
    return path


def test_simulated_plan_is_verified_by_simulation(tmp_path: Path, small_trace: Path) -> None:
    doc = {"workloads": [{"name": "small", "arch": "llama-3.1-8b", "trace": small_trace.name,
                          "peak_rps": 12, "slo": {"ttft_p99_s": 1.0, "tpot_p99_ms": 50},
                          "precisions": ["bf16"]}],
           "catalog": {"accelerators": ["l40s", "mi300x"], "tiers": ["on_demand"]},
           "policy": {"min_vendors": 2}}
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    scenario = load_scenario(path)
    cache = CapacityCache(tmp_path / "cache")
    result = plan(scenario, cache=cache, mapper=in_process)
    assert result.status == "optimal"
    assert set(result.vendor_share) == {"nvidia", "amd"}
    (check,) = result.verification
    assert check.slo_met is True and check.rate_rps == 12
    assert check.ttft_p99_s is not None and check.ttft_p99_s <= 1.0
    assert result.model["capacity_searches_run"] > 0
    again = plan(scenario, cache=cache, mapper=in_process, verify="none")
    assert again.model["capacity_searches_run"] == 0
    assert again.model["capacity_searches_cached"] == result.model["capacity_searches_run"]
    assert again.cost_usd_per_hour == pytest.approx(result.cost_usd_per_hour)


def test_cli_plan_json_has_the_documented_fields(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, policy={"survive_loss_of": ["vendor"],
                                            "surviving_fraction": 0.5})
    out = tmp_path / "plan.json"
    result = invoke("plan", path, "--capacity", tmp_path / "caps.csv", "--json", out,
                    "--verify", "none")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for key in ("status", "objective", "cost_usd_per_hour", "fleet", "vendor_share",
                "power_kw", "baselines", "verification", "solve_s"):
        assert key in data
    row = data["fleet"][0]
    for key in ("offering", "vendor", "cloud", "region", "accelerator", "tier", "chips", "tp",
                "precision", "workload", "period", "replicas"):
        assert key in row
    assert set(data["baselines"]) == {"single_accelerator", "no_policy"}
    assert np.isclose(sum(data["vendor_share"].values()), 1.0)
    assert "What to buy" in result.output


def test_cli_infeasible_plan_exits_2_with_the_reason(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, capacities={H100: 4.0}, policy={"min_vendors": 2})
    result = invoke("plan", path, "--capacity", tmp_path / "caps.csv", "--verify", "none")
    assert result.exit_code == 2, result.output
    assert "at least 2 vendors" in result.output


def test_cli_bad_scenario_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workloads: []\n")
    assert_user_error(invoke("plan", path), "bad.yaml:1", "workloads")


def test_verification_of_every_period_reports_the_worst(tmp_path: Path,
                                                         small_trace: Path) -> None:
    doc = {"workloads": [{"name": "small", "arch": "llama-3.1-8b", "trace": small_trace.name,
                          "rates_rps": [3, 9], "slo": {"ttft_p99_s": 1.0},
                          "precisions": ["bf16"]}],
           "catalog": {"accelerators": ["l40s"], "tiers": ["on_demand"]}}
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = plan(load_scenario(path), cache=CapacityCache(tmp_path / "cache"),
                  mapper=in_process, verify="all")
    assert [v.period for v in result.verification] == [0, 1]
    entry = result.to_dict()["verification"]["small"]
    assert entry["period"] == 1 and len(entry["periods"]) == 2
    assert entry["slo_met"] is all(v.slo_met for v in result.verification)


def test_progress_counts_the_chains_simulated(tmp_path: Path, small_trace: Path) -> None:
    doc = {"workloads": [{"name": "small", "arch": "llama-3.1-8b", "trace": small_trace.name,
                          "peak_rps": 4, "slo": {"ttft_p99_s": 1.0}, "precisions": ["bf16"]}],
           "catalog": {"accelerators": ["l40s"], "tiers": ["on_demand"]}}
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    calls: list[tuple[int, int]] = []
    cache = CapacityCache(tmp_path / "cache")
    plan(load_scenario(path), cache=cache, mapper=in_process, verify="none",
         progress=lambda done, total: calls.append((done, total)))
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] >= 1
    calls.clear()
    plan(load_scenario(path), cache=cache, mapper=in_process, verify="none",
         progress=lambda done, total: calls.append((done, total)))
    assert calls == []  # all cached: nothing to report


def test_verification_names_why_a_fleet_misses(tmp_path: Path, small_trace: Path) -> None:
    from fleetmix.plan.verify import verify_workload
    doc = {"workloads": [{"name": "small", "arch": "llama-3.1-8b", "trace": small_trace.name,
                          "peak_rps": 4, "slo": {"ttft_p99_s": 1.0}, "precisions": ["bf16"]}],
           "catalog": {"accelerators": ["l40s"], "tiers": ["on_demand"]}}
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(doc))
    scenario = load_scenario(path)
    result = plan(scenario, cache=CapacityCache(tmp_path / "cache"), mapper=in_process,
                  verify="none")
    (c,) = {r.offering for r in result.fleet}
    cands = tuple(x for x in result.candidates if x.offering.id == c)[:1]
    # one replica at 20x its capacity: the SLO and the queue both fail
    overload = replace_demand(scenario, 20 * cands[0].capacity_rps)
    check = verify_workload(overload.workloads[0], 0, cands, np.ones((1, 1), dtype=np.int64))
    assert check.slo_met is False and check.note == "SLO percentiles missed"


def replace_demand(scenario, rate: float):  # type: ignore[no-untyped-def]
    from dataclasses import replace
    w = replace(scenario.workloads[0], demand_rps=np.array([rate]))
    return replace(scenario, workloads=(w,))
