"""Compare simulated TTFT/TPOT with published serving benchmarks (sim/data/serving_measurements).

Each row is a closed-loop benchmark at a known concurrency (or an open-loop one at a known rate)
with fixed input/output lengths; the simulator replays it on the modelled engine and reads the
same statistic. Rows the simulator cannot replay faithfully are shown with the reason and left
out of the error statistics.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from importlib import resources

from fleetmix.arch import load_arch
from fleetmix.catalog import Catalog, load_catalog
from fleetmix.errors import FleetmixError
from fleetmix.perf.estimate import make_deployment
from fleetmix.sim.metrics import SimResult
from fleetmix.sim.run import simulate_clients

REQUESTS_PER_CLIENT = 8  # benchmark clients send several requests each
MIN_REQUESTS = 64  # the first `concurrency` requests are a warm-up, not measured


@dataclass(frozen=True, kw_only=True)
class ServingMeasurement:
    source: str
    arch: str
    accelerator: str
    chips: int
    tp: int
    precision: str
    engine: str
    isl: int | None
    osl: int | None
    concurrency: int | None
    request_rate: float | None
    metric: str  # "ttft" or "tpot"
    statistic: str  # mean, median, p90, p99
    value_ms: float
    note: str

    @property
    def setup(self) -> tuple[object, ...]:
        """Rows sharing a setup are answered by one simulation."""
        return (self.arch, self.accelerator, self.chips, self.tp, self.precision, self.engine,
                self.isl, self.osl, self.concurrency, self.request_rate)


@dataclass(frozen=True, kw_only=True)
class ServingRow:
    measurement: ServingMeasurement
    predicted_ms: float | None
    excluded: str = ""  # why the row is left out of the statistics

    @property
    def rel_error(self) -> float | None:
        if self.predicted_ms is None:
            return None
        return (self.predicted_ms - self.measurement.value_ms) / self.measurement.value_ms


@dataclass(frozen=True, kw_only=True)
class ServingSummary:
    rows: tuple[ServingRow, ...]

    def errors(self, metric: str) -> list[float]:
        return [abs(r.rel_error) for r in self.rows if not r.excluded and r.rel_error is not None
                and r.measurement.metric == metric]

    def median_abs_error(self, metric: str) -> float:
        errs = self.errors(metric)
        return statistics.median(errs) if errs else float("nan")


def shipped_serving_measurements() -> tuple[ServingMeasurement, ...]:
    text = resources.files("fleetmix.sim").joinpath("data/serving_measurements.csv").read_text(
        "utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append(ServingMeasurement(
            source=row["source"], arch=row["arch"], accelerator=row["accelerator"],
            chips=int(row["chips"]), tp=int(row["tp"]), precision=row["precision"],
            engine=row["engine"], isl=int(row["isl"]) if row["isl"] else None,
            osl=int(row["osl"]) if row["osl"] else None,
            concurrency=int(row["concurrency"]) if row["concurrency"] else None,
            request_rate=float(row["request_rate"]) if row["request_rate"] else None,
            metric=row["metric"], statistic=row["statistic"], value_ms=float(row["value_ms"]),
            note=row["note"],
        ))
    return tuple(rows)


def _why_excluded(m: ServingMeasurement) -> str:
    if m.isl is None or m.osl is None:
        return ("request lengths vary (ShareGPT prompts) and the source does not publish them; "
                "the dataset is not shipped")
    if m.concurrency is None:
        return "open-loop rows need the benchmark's arrival process, which is not published"
    return ""


def simulate_measurement(m: ServingMeasurement, catalog: Catalog) -> SimResult:
    """Replay the benchmark of `m` (closed loop, fixed lengths) on the modelled deployment."""
    assert m.isl is not None and m.osl is not None and m.concurrency is not None
    arch = load_arch(m.arch)
    # Mixture-of-experts benchmarks (SGLang, TRT-LLM on DeepSeek) run experts in parallel.
    ep = m.tp if arch.is_moe and arch.num_experts % m.tp == 0 else 1
    dep = make_deployment(arch, catalog.accelerator(m.accelerator), tp=m.tp,
                          pp=m.chips // m.tp, ep=ep, precision=m.precision, engine=m.engine)
    requests = max(MIN_REQUESTS, REQUESTS_PER_CLIENT * m.concurrency)
    return simulate_clients(dep, concurrency=m.concurrency, num_requests=requests,
                            input_tokens=[m.isl], output_tokens=[m.osl],
                            warmup_requests=m.concurrency)


def validate_serving(measurements: tuple[ServingMeasurement, ...] | None = None,
                     catalog: Catalog | None = None) -> ServingSummary:
    """Simulate each distinct setup once and compare every row of it."""
    catalog = catalog or load_catalog()
    runs: dict[tuple[object, ...], SimResult | str] = {}
    rows = []
    for m in measurements if measurements is not None else shipped_serving_measurements():
        reason = _why_excluded(m)
        if reason:
            rows.append(ServingRow(measurement=m, predicted_ms=None, excluded=reason))
            continue
        if m.setup not in runs:
            try:
                runs[m.setup] = simulate_measurement(m, catalog)
            except FleetmixError as exc:
                runs[m.setup] = str(exc)
        run = runs[m.setup]
        if isinstance(run, str):
            rows.append(ServingRow(measurement=m, predicted_ms=None, excluded=run))
            continue
        stats = run.ttft_s if m.metric == "ttft" else run.tpot_s
        rows.append(ServingRow(measurement=m, predicted_ms=1e3 * stats.at(m.statistic)))
    return ServingSummary(rows=tuple(rows))
