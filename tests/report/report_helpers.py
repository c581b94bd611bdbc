"""Reports built from real, small computations: a tiny plan on measured capacities (milliseconds)
and a small simulated one (seconds), each with every analysis the report draws."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tests.plan.plan_helpers import H100, MI300X, write_scenario

from fleetmix.analyze.executor import local_processes
from fleetmix.analyze.frontier import frontier
from fleetmix.analyze.leverage import leverage
from fleetmix.analyze.load_curves import load_curves
from fleetmix.analyze.montecarlo import candidates_for_runs, monte_carlo, uncertainty_of
from fleetmix.analyze.resolve import prepare
from fleetmix.perf.validate import shipped_measurements, validate
from fleetmix.plan import load_scenario, plan, usable
from fleetmix.plan.candidates import ChainJob, ChainResult
from fleetmix.plan.scenario import Scenario
from fleetmix.sim import CapacityCache, validate_serving
from fleetmix.sim.validate import shipped_serving_measurements
from fleetmix.workload import FixedLengths, synthetic_trace

GENERATED_AT = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)  # a stable page
UNCERTAINTY = {"runs": 40, "seed": 7,
               "prices": {"default": {"dist": "lognormal", "sigma": 0.15}},
               "demand": {"all": {"dist": "lognormal", "sigma": 0.1}}}


def in_process(fn, jobs: list[ChainJob]) -> list[ChainResult]:  # type: ignore[no-untyped-def]
    return [fn(j) for j in jobs]


@dataclass(frozen=True)
class Built:
    scenario: Scenario
    path: Path
    capacity_csv: Path | None
    inputs: dict[str, Any]  # render_report's arguments, the plan under "plan"


def tiny_measured(folder: Path, **extra: Any) -> Path:
    """Two vendors on measured capacities (with modelled 1-chip layouts, so that latency
    curves can be simulated), three periods, a policy, an uncertainty section."""
    extra = {"policy": {"min_vendors": 2}, "uncertainty": UNCERTAINTY} | extra
    path = write_scenario(folder, demand=[6.0, 14.0, 9.0], **extra)
    (folder / "caps.csv").write_text(
        "offering,workload,max_rps,chips,tp,precision,source\n"
        f"{H100},chat,4.0,1,1,fp8,test\n{MI300X},chat,2.0,1,1,fp8,test\n")
    return path


def build(scenario: Scenario, capacity_csv: Path | None, cache: CapacityCache | None, *,
          full: bool) -> dict[str, Any]:
    """The plan and every analysis, computed for real: small, or (`full`) as the report
    command would, but for the Monte Carlo's few runs."""
    result = plan(scenario, capacity_csv=capacity_csv, cache=cache, mapper=in_process)
    assert result.feasible, result.explanation
    setup = prepare(scenario, capacity_csv=capacity_csv, cache=cache, mapper=in_process)
    unc, _ = uncertainty_of(scenario)
    mc_cands, _ = usable(scenario, candidates_for_runs(scenario, unc, capacity_csv, cache,
                                                       mapper=in_process))
    return {
        "plan": result, "leverage": leverage(setup),
        "frontier": frontier(setup, "max_vendor_share"),
        "montecarlo": monte_carlo(scenario, mc_cands, executor=local_processes(1)),
        "load_curves": load_curves(scenario, result) if full else load_curves(
            scenario, result, fractions=(0.5, 0.9, 1.2), requests=150, min_duration_s=10.0),
        "validation": validate(None if full else shipped_measurements()[:12]),
        "serving_validation": validate_serving(None if full else tuple(
            m for m in shipped_serving_measurements() if m.concurrency is not None
            and m.isl is not None)[:6]),
        "generated_at": GENERATED_AT}


def build_tiny(folder: Path) -> Built:
    path = tiny_measured(folder)
    sc = load_scenario(path)
    caps = folder / "caps.csv"
    return Built(sc, path, caps, build(sc, caps, None, full=False))


def build_simulated(folder: Path) -> Built:
    """One 8B workload on a synthetic trace, three accelerators of two vendors (capacities
    simulated into a cache under `folder`), four periods, two policy rules, uncertainty."""
    lengths = FixedLengths(input_tokens=1024, output_tokens=256)
    trace = synthetic_trace(rate_rps=2.0, num_requests=400, lengths=lengths, seed=1)
    (folder / "trace.csv").write_text("arrival_s,input_tokens,output_tokens\n" + "".join(
        f"{a:.4f},{i},{o}\n" for a, i, o in zip(trace.arrival_s, trace.input_tokens,
                                                 trace.output_tokens, strict=True)))
    doc = {"name": "report demo: <8B> & friends",
           "workloads": [{"name": "assistant", "arch": "llama-3.1-8b", "trace": "trace.csv",
                          "rates_rps": [6, 30, 18, 40],
                          "slo": {"ttft_p99_s": 1.0, "tpot_p99_ms": 50},
                          "precisions": ["bf16"]}],
           "catalog": {"accelerators": ["l40s", "mi300x", "h100-sxm"],
                       "tiers": ["on_demand", "reserved_1y"]},
           "policy": {"min_vendors": 2, "max_vendor_share": 0.7},
           "uncertainty": UNCERTAINTY}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    sc = load_scenario(path)
    cache = CapacityCache(folder / "cache")
    return Built(sc, path, None, build(sc, None, cache, full=True))
