"""Compare the estimator with published measurements (perf/data/measurements.csv).

Each row names its source. Rows whose definition is ambiguous carry an `exclude_reason`; they are
still predicted and shown, but left out of the error statistics, and the reason is printed.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from fleetmix.arch import load_arch
from fleetmix.catalog import Catalog, load_catalog
from fleetmix.errors import FleetmixError
from fleetmix.perf.engines import EngineTable, shipped_engine_table
from fleetmix.perf.estimate import estimate, make_deployment
from fleetmix.perf.steptime import step_time_s
from fleetmix.perf.throughput import prefill_time_s

THROUGHPUT_METRICS = ("output_tokens_per_s", "tokens_per_s")


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One published measurement."""

    source: str
    arch: str
    accelerator: str
    chips: int
    tp: int
    precision: str  # as published; fp16 is modelled as bf16
    engine: str
    isl: int
    osl: int
    concurrency: int | None  # None: max throughput at an unbounded request rate
    metric: str  # output_tokens_per_s, tokens_per_s, prefill_ms, decode_ms_per_token
    value: float
    exclude_reason: str


@dataclass(frozen=True, kw_only=True)
class ValidationRow:
    measurement: Measurement
    predicted: float | None  # None when the estimator could not answer (see `error`)
    error: str = ""

    @property
    def rel_error(self) -> float | None:
        """(predicted - measured) / measured."""
        if self.predicted is None:
            return None
        return (self.predicted - self.measurement.value) / self.measurement.value

    @property
    def included(self) -> bool:
        return not self.measurement.exclude_reason and self.predicted is not None


@dataclass(frozen=True, kw_only=True)
class ValidationSummary:
    rows: tuple[ValidationRow, ...]

    def _abs_errors(self, metrics: tuple[str, ...] | None = None) -> list[float]:
        return [abs(r.rel_error) for r in self.rows if r.included and r.rel_error is not None
                and (metrics is None or r.measurement.metric in metrics)]

    @property
    def median_abs_error(self) -> float:
        return statistics.median(self._abs_errors())

    @property
    def median_abs_error_throughput(self) -> float:
        return statistics.median(self._abs_errors(THROUGHPUT_METRICS))

    @property
    def max_abs_error(self) -> float:
        return max(self._abs_errors())

    @property
    def included_count(self) -> int:
        return sum(r.included for r in self.rows)


def shipped_measurements() -> tuple[Measurement, ...]:
    text = resources.files("fleetmix.perf").joinpath("data/measurements.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        out.append(Measurement(
            source=row["source"], arch=row["arch"], accelerator=row["accelerator"],
            chips=int(row["chips"]), tp=int(row["tp"]), precision=row["precision"],
            engine=row["engine"], isl=int(row["isl"]), osl=int(row["osl"]),
            concurrency=None if row["concurrency"] == "max" else int(row["concurrency"]),
            metric=row["metric"], value=float(row["value"]),
            exclude_reason=row["exclude_reason"],
        ))
    return tuple(out)


def predict(m: Measurement, catalog: Catalog, engines: EngineTable) -> float:
    """The estimator's value for the measurement's metric and conditions."""
    arch = load_arch(m.arch)
    acc = catalog.accelerator(m.accelerator)
    precision = "bf16" if m.precision == "fp16" else m.precision
    pp = m.chips // m.tp
    if m.metric in THROUGHPUT_METRICS:
        est = estimate(arch, acc, chips=m.chips, tp=m.tp, pp=pp, precision=precision,
                       isl=m.isl, osl=m.osl, engine=m.engine, concurrency=m.concurrency,
                       engines=engines)
        tput = est.throughput_output_tokens_per_s
        # tokens_per_s (ambiguous) is shown as output tokens/s; see the row's exclude_reason.
        return tput
    dep = make_deployment(arch, acc, tp=m.tp, pp=pp, ep=1, precision=precision,
                          engine=m.engine, engines=engines)
    if m.metric == "prefill_ms":
        return 1e3 * prefill_time_s(dep, m.isl)
    if m.metric == "decode_ms_per_token":
        batch = float(m.concurrency or 1)
        return 1e3 * float(step_time_s(dep, decode_seqs=batch,
                                       decode_context_tokens=m.isl + m.osl / 2))
    raise ValueError(f"unknown metric {m.metric!r}")


def validate(measurements: tuple[Measurement, ...] | None = None,
             catalog: Catalog | None = None, engines: EngineTable | None = None,
             predictor: Callable[[Measurement, Catalog, EngineTable], float] = predict,
             ) -> ValidationSummary:
    """Predict every measurement; rows the estimator cannot answer carry the reason."""
    catalog = catalog or load_catalog()
    engines = engines or shipped_engine_table()
    rows = []
    for m in measurements if measurements is not None else shipped_measurements():
        try:
            rows.append(ValidationRow(measurement=m, predicted=predictor(m, catalog, engines)))
        except FleetmixError as exc:
            rows.append(ValidationRow(measurement=m, predicted=None, error=str(exc)))
    return ValidationSummary(rows=tuple(rows))
