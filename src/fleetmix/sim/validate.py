"""Compare simulated TTFT/TPOT with published serving benchmarks (sim/data/serving_measurements).

Each row is a closed-loop benchmark at a known concurrency (or an open-loop one at a known rate);
the simulator replays it as the source ran it (number of prompts, warm-up left out or not, prompt
and output lengths fixed or sampled, engine settings the benchmark script sets) on the modelled
engine and reads the same statistic. Rows the simulator cannot replay faithfully are shown with
the reason and left out of the error statistics.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetmix.arch import load_arch
from fleetmix.catalog import Catalog, load_catalog
from fleetmix.errors import FleetmixError
from fleetmix.perf.estimate import make_deployment
from fleetmix.sim.metrics import SimResult
from fleetmix.sim.run import simulate_clients

REQUESTS_PER_CLIENT = 8  # benchmark clients send several requests each (when not published)
MIN_REQUESTS = 64  # the first `concurrency` requests are a warm-up, not measured (when not
# published)
LENGTH_SEED = 0  # sampled prompt/output lengths (range_ratio < 1) are drawn from this seed


class EngineSettings(BaseModel):
    """Engine limits a benchmark script may set (validated as the engine table's fields)."""

    model_config = ConfigDict(extra="forbid")
    max_batch_tokens: int | None = Field(default=None, gt=0)
    max_batch_seqs: int | None = Field(default=None, gt=0)
    decode_round_steps: int | None = Field(default=None, ge=1)
    mixed_prefill: bool | None = None


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
    ep: int | None = None  # expert parallel degree; None: tp for MoE archs whose experts split
    num_prompts: int | None = None  # requests the benchmark sent; None: REQUESTS_PER_CLIENT each
    warmup_requests: int | None = None  # first requests not measured; None: `concurrency`
    range_ratio: float = 1.0  # lengths drawn uniformly from [ratio·isl, isl] and [ratio·osl, osl]
    engine_settings: tuple[tuple[str, int | bool], ...] = ()  # set by the benchmark script

    @property
    def setup(self) -> tuple[object, ...]:
        """Rows sharing a setup are answered by one simulation."""
        return (self.arch, self.accelerator, self.chips, self.tp, self.precision, self.engine,
                self.isl, self.osl, self.concurrency, self.request_rate, self.ep,
                self.num_prompts, self.warmup_requests, self.range_ratio, self.engine_settings)


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

    def errors(self, metric: str, source: str | None = None) -> list[float]:
        return [abs(r.rel_error) for r in self.rows if not r.excluded and r.rel_error is not None
                and r.measurement.metric == metric
                and (source is None or r.measurement.source == source)]

    def median_abs_error(self, metric: str, source: str | None = None) -> float:
        errs = self.errors(metric, source)
        return statistics.median(errs) if errs else float("nan")

    @property
    def sources(self) -> list[str]:
        """Sources with rows in the statistics, in file order."""
        return list(dict.fromkeys(r.measurement.source for r in self.rows if not r.excluded))


def shipped_serving_measurements() -> tuple[ServingMeasurement, ...]:
    text = resources.files("fleetmix.sim").joinpath("data/serving_measurements.csv").read_text(
        "utf-8")
    rows = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rows.append(ServingMeasurement(
                source=row["source"], arch=row["arch"], accelerator=row["accelerator"],
                chips=int(row["chips"]), tp=int(row["tp"]), precision=row["precision"],
                engine=row["engine"], isl=_int_or_none(row["isl"]),
                osl=_int_or_none(row["osl"]), concurrency=_int_or_none(row["concurrency"]),
                request_rate=float(row["request_rate"]) if row["request_rate"] else None,
                metric=row["metric"], statistic=row["statistic"],
                value_ms=float(row["value_ms"]), note=row["note"], ep=_int_or_none(row["ep"]),
                num_prompts=_int_or_none(row["num_prompts"]),
                warmup_requests=_int_or_none(row["warmup_requests"]),
                range_ratio=float(row["range_ratio"]) if row["range_ratio"] else 1.0,
                engine_settings=parse_engine_settings(row["engine_settings"]),
            ))
        except (KeyError, ValueError) as exc:
            raise FleetmixError(f"serving_measurements.csv line {line}: {exc}") from exc
    return tuple(rows)


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def parse_engine_settings(text: str) -> tuple[tuple[str, int | bool], ...]:
    """'max_batch_tokens=196608;decode_round_steps=4' -> (('max_batch_tokens', 196608), ...)."""
    pairs = dict(item.partition("=")[::2] for item in
                 filter(None, (part.strip() for part in text.split(";"))))
    try:
        settings = EngineSettings.model_validate({k.strip(): v.strip() for k, v in pairs.items()})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"engine setting {field}: {first['msg']} (names: "
                         f"{', '.join(EngineSettings.model_fields)})") from None
    return tuple(settings.model_dump(exclude_unset=True).items())


def _why_excluded(m: ServingMeasurement) -> str:
    if m.isl is None or m.osl is None:
        return ("request lengths vary (ShareGPT prompts) and the source does not publish them; "
                "the dataset is not shipped")
    if m.concurrency is None:
        return "open-loop rows need the benchmark's arrival process, which is not published"
    return ""


def simulate_measurement(m: ServingMeasurement, catalog: Catalog,
                         efficiency_overrides: Mapping[str, float] | None = None) -> SimResult:
    """Replay the benchmark of `m` (closed loop) on the modelled deployment, as it was run;
    `efficiency_overrides` replace fields of the engine's efficiency (what-if, fitting)."""
    assert m.isl is not None and m.osl is not None and m.concurrency is not None
    arch = load_arch(m.arch)
    ep = m.ep
    if ep is None:  # unpublished: MoE serving stacks usually run experts in parallel
        ep = m.tp if arch.is_moe and arch.num_experts % m.tp == 0 else 1
    dep = make_deployment(arch, catalog.accelerator(m.accelerator), tp=m.tp,
                          pp=m.chips // m.tp, ep=ep, precision=m.precision, engine=m.engine)
    if efficiency_overrides:
        fields: dict[str, Any] = dict(efficiency_overrides)
        dep = dataclasses.replace(dep, efficiency=dataclasses.replace(dep.efficiency, **fields))
    if m.engine_settings:
        settings: dict[str, Any] = dict(m.engine_settings)
        dep = dataclasses.replace(dep, engine=dataclasses.replace(dep.engine, **settings))
    requests = m.num_prompts or max(MIN_REQUESTS, REQUESTS_PER_CLIENT * m.concurrency)
    warmup = m.concurrency if m.warmup_requests is None else m.warmup_requests
    isl, osl = _lengths(m.isl, m.range_ratio, requests), _lengths(m.osl, m.range_ratio, requests)
    return simulate_clients(dep, concurrency=m.concurrency, num_requests=requests,
                            input_tokens=isl, output_tokens=osl, warmup_requests=warmup)


def _lengths(nominal: int, range_ratio: float, count: int) -> list[int]:
    """`nominal` for every request, or lengths drawn uniformly from [ratio·nominal, nominal]
    (the random dataset of vLLM's benchmark_serving with --random-range-ratio)."""
    if range_ratio >= 1.0:
        return [nominal]
    rng = np.random.default_rng([LENGTH_SEED, nominal])
    low = max(1, int(nominal * range_ratio))
    return [int(v) for v in rng.integers(low, nominal + 1, size=count)]


def validate_serving(measurements: tuple[ServingMeasurement, ...] | None = None,
                     catalog: Catalog | None = None,
                     efficiency_overrides: Mapping[str, float] | None = None
                     ) -> ServingSummary:
    """Simulate each distinct setup once and compare every row of it (`efficiency_overrides`:
    as `simulate_measurement`)."""
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
                runs[m.setup] = simulate_measurement(m, catalog, efficiency_overrides)
            except FleetmixError as exc:
                runs[m.setup] = str(exc)
        run = runs[m.setup]
        if isinstance(run, str):
            rows.append(ServingRow(measurement=m, predicted_ms=None, excluded=run))
            continue
        stats = run.ttft_s if m.metric == "ttft" else run.tpot_s
        rows.append(ServingRow(measurement=m, predicted_ms=1e3 * stats.at(m.statistic)))
    return ServingSummary(rows=tuple(rows))
