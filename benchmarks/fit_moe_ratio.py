"""Fit `moe_matmul_ratio` (engines.yaml) on one accelerator's MoE serving rows; check the others.

Run on demand (not a test). The ratio scales the engine's matmul efficiency in MoE expert
GEMMs: at TP with EP 1 every expert is a grouped GEMM of a few tokens, which the dense-GEMM
efficiency overstates. It barely moves decode (memory-bound on the experts' weights) and sets
how long a prompt's prefill takes. The fit replays the serving rows of
src/fleetmix/sim/data/serving_measurements.csv (as `fleetmix validate --serving` does) over a
grid of ratios, keeps the one with the least median |error| on the fit rows, and prints the
errors of the held-out rows at that ratio. The fitted value is copied by hand into engines.yaml
with this command in `moe_matmul_ratio_source`.

    .venv/bin/python benchmarks/fit_moe_ratio.py --fit mi355x --holdout b200
"""

from __future__ import annotations

import argparse

import numpy as np

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.sim.validate import (
    ServingMeasurement,
    ServingSummary,
    shipped_serving_measurements,
    validate_serving,
)

GRID = np.round(np.arange(0.015, 0.0801, 0.0025), 4)


def summary_at(ratio: float, rows: tuple[ServingMeasurement, ...]) -> ServingSummary:
    """The rows replayed with every engine's expert GEMMs at `ratio` of its matmul_eff."""
    return validate_serving(rows, load_catalog(), {"moe_matmul_ratio": ratio})


def median_abs(summary: ServingSummary, accelerators: set[str], metric: str,
               statistic: str) -> tuple[float, int]:
    """Median |error| and row count of `metric` `statistic` rows on `accelerators`."""
    part = ServingSummary(rows=tuple(
        r for r in summary.rows if r.measurement.accelerator in accelerators
        and r.measurement.statistic == statistic))
    return part.median_abs_error(metric), len(part.errors(metric))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", required=True, help="accelerators whose TTFT medians fit it")
    parser.add_argument("--holdout", default="", help="accelerators only checked")
    args = parser.parse_args()
    fit, hold = set(args.fit.split(",")), set(filter(None, args.holdout.split(",")))
    rows = tuple(m for m in shipped_serving_measurements()
                 if load_arch(m.arch).is_moe and m.accelerator in fit | hold)
    scores = []
    for ratio in GRID:
        summary = summary_at(float(ratio), rows)
        score, n = median_abs(summary, fit, "ttft", "median")
        scores.append((score, float(ratio)))
        print(f"moe_matmul_ratio {ratio:.4f}: fit TTFT-median |error| {score:.1%} ({n} rows)")
    best_score, best = min(scores)
    summary = summary_at(best, rows)
    print(f"\nfitted moe_matmul_ratio = {best:.4f} (fit rows: {best_score:.1%})")
    for label, accs in (("fit", fit), ("held out", hold)):
        for metric in ("ttft", "tpot"):
            for stat in ("median", "mean"):
                if accs:
                    score, n = median_abs(summary, accs, metric, stat)
                    print(f"  {label:8s} {','.join(sorted(accs)):12s} {metric} {stat:6s} "
                          f"median |error| {score:6.1%} ({n} rows)")


if __name__ == "__main__":
    main()
