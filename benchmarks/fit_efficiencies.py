"""Fit an engine's efficiencies on one group of accelerators to the published throughput rows.

Run on demand (not a test): prints the fitted parameters, the per-row errors, and a hold-out
check (fit on some accelerators, predict the others). The fitted values are then copied by hand
into src/fleetmix/perf/data/engines.yaml with this command in the rule's `source`.

    .venv/bin/python benchmarks/fit_efficiencies.py --engine trtllm --fit h100-sxm,h200
    .venv/bin/python benchmarks/fit_efficiencies.py --engine trtllm --fit h100-sxm --holdout h200
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics

import numpy as np

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.perf.engines import Efficiency, shipped_engine_table
from fleetmix.perf.estimate import estimate
from fleetmix.perf.validate import Measurement, shipped_measurements

GRID = {
    "matmul_eff": np.linspace(0.30, 0.85, 12),
    "attn_eff": np.linspace(0.20, 0.80, 13),
    "mem_eff": np.linspace(0.50, 0.95, 10),
    "step_overhead_s": np.array([0.0, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008]),
}


def errors(rows: list[Measurement], eff: Efficiency) -> list[float]:
    catalog = load_catalog()
    out = []
    for m in rows:
        acc = catalog.accelerator(m.accelerator)
        est = estimate(load_arch(m.arch), acc, chips=m.chips, tp=m.tp, pp=m.chips // m.tp,
                       precision=m.precision, isl=m.isl, osl=m.osl, engine=m.engine,
                       concurrency=m.concurrency, efficiency=eff)
        out.append(est.throughput_output_tokens_per_s / m.value - 1.0)
    return out


def loss(errs: list[float]) -> float:
    return float(np.mean(np.abs(np.log1p(np.array(errs)))))


def fit(rows: list[Measurement], start: Efficiency, sweeps: int = 3) -> Efficiency:
    """Coordinate descent over GRID, keeping the best loss."""
    best = start
    best_loss = loss(errors(rows, best))
    for _ in range(sweeps):
        for name, values in GRID.items():
            for value in values:
                trial = dataclasses.replace(best, **{name: float(value)})
                trial_loss = loss(errors(rows, trial))
                if trial_loss < best_loss:
                    best, best_loss = trial, trial_loss
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="trtllm")
    parser.add_argument("--fit", required=True, help="accelerator ids to fit on, comma-separated")
    parser.add_argument("--holdout", default="", help="accelerator ids to predict only")
    args = parser.parse_args()
    fit_ids = args.fit.split(",")
    hold_ids = [a for a in args.holdout.split(",") if a]
    rows = [m for m in shipped_measurements()
            if m.engine == args.engine and not m.exclude_reason]
    fit_rows = [m for m in rows if m.accelerator in fit_ids]
    hold_rows = [m for m in rows if m.accelerator in hold_ids]
    catalog = load_catalog()
    start = shipped_engine_table().efficiency(catalog.accelerator(fit_ids[0]), args.engine)
    eff = fit(fit_rows, start)
    print("fitted:", {k: round(v, 4) for k, v in dataclasses.asdict(eff).items()
                      if isinstance(v, float)})
    for label, group in (("fit", fit_rows), ("holdout", hold_rows)):
        if not group:
            continue
        errs = errors(group, eff)
        for m, e in zip(group, errs, strict=True):
            print(f"  {label:7s} {m.arch:14s} {m.accelerator:9s} {m.isl:>6d}/{m.osl:<5d} "
                  f"{e:+.1%}")
        print(f"{label}: rows {len(group)}, median |error| "
              f"{statistics.median(abs(e) for e in errs):.1%}, max {max(abs(e) for e in errs):.1%}")


if __name__ == "__main__":
    main()
