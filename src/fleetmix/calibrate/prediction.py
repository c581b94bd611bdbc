"""Predictions for `fleetmix measure`, and its results (no torch: the report renders these).

Predictions are for the decoder that ran (the truncated arch), in bf16, at tp = pp = 1, and are
kernel time only (weight GEMMs, attention, LM head): the harness has no serving engine, so the
engine table's host overheads are left out of every prediction.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fleetmix.arch.records import Arch
from fleetmix.catalog.records import Accelerator
from fleetmix.perf.deployment import Deployment
from fleetmix.perf.engines import Efficiency, EngineTable, shipped_engine_table
from fleetmix.perf.estimate import make_deployment
from fleetmix.perf.profile import AcceleratorProfile, apply_profile, match_catalog_id
from fleetmix.perf.steptime import step_breakdown


@dataclass(frozen=True, kw_only=True)
class Predictor:
    """One source of predictions: an accelerator and efficiency (default or calibrated)."""

    label: str  # "default" or "profile"
    accelerator: Accelerator
    engine: str
    efficiency: Efficiency

    def deployment(self, arch: Arch) -> Deployment:
        return make_deployment(arch, self.accelerator, tp=1, pp=1, ep=1, precision="bf16",
                               kv_precision="bf16", engine=self.engine,
                               efficiency=self.efficiency)


def predicted_kernel_s(dep: Deployment, phase: str, batch: int, context: int) -> float:
    """Model time of one step without host overheads: weight GEMMs + attention + collectives."""
    if phase == "prefill":
        parts = step_breakdown(dep, decode_seqs=0, decode_context_tokens=0,
                               prefill_tokens=batch * context,
                               prefill_attn_pairs=batch * context * (context + 1) / 2.0,
                               prefill_seqs=batch)
    else:
        parts = step_breakdown(dep, decode_seqs=batch, decode_context_tokens=context + 1)
    return float(parts.linear_s + parts.attention_s + parts.comm_s)


@dataclass(frozen=True, kw_only=True)
class MeasureRow:
    phase: str  # "prefill" or "decode"
    batch: int  # sequences in the step
    context_tokens: int  # prefill: prompt tokens per sequence; decode: tokens already cached
    measured_s: float  # median step time of the truncated decoder
    layers_s: float  # of which the layers (embedding included)
    head_s: float  # of which the final norm and LM head
    measured_full_s: float  # scaled back to the arch's full depth
    predicted_s: Mapping[str, float]  # predictor label -> predicted step time (truncated)
    predicted_full_s: Mapping[str, float]  # predictor label -> prediction at full depth

    def error(self, label: str) -> float | None:
        """(predicted - measured) / measured, or None without that prediction."""
        if label not in self.predicted_s:
            return None
        return self.predicted_s[label] / self.measured_s - 1.0


@dataclass(frozen=True, kw_only=True)
class MeasureResult:
    arch: str
    layers: int  # layers run
    full_layers: int  # layers of the full arch
    parameters: int  # parameters of the decoder run
    device: str
    torch_version: str
    predictors: Mapping[str, str]  # label -> "accelerator id, efficiency source"
    rows: tuple[MeasureRow, ...]
    notes: tuple[str, ...]

    def median_abs_error(self, label: str, phase: str | None = None) -> float | None:
        errors = [abs(e) for r in self.rows if phase in (None, r.phase)
                  if (e := r.error(label)) is not None]
        return statistics.median(errors) if errors else None

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["rows"] = [{**asdict(r), "error": {k: r.error(k) for k in r.predicted_s}}
                       for r in self.rows]
        out["median_abs_error"] = {
            label: {phase or "all": self.median_abs_error(label, phase)
                    for phase in (None, "prefill", "decode")}
            for label in self.predictors}
        return out


def predictors_for(device_name: str, profile: AcceleratorProfile | None,
                   catalog_accelerators: Mapping[str, Accelerator],
                   engines: EngineTable | None = None) -> list[Predictor]:
    """"default": the shipped model, when the device is a catalog accelerator; "profile": the
    calibrated one, when a profile is given."""
    table = engines or shipped_engine_table()
    predictors = []
    acc_id = profile.accelerator_id if profile is not None else match_catalog_id(device_name)
    if acc_id is not None and acc_id in catalog_accelerators:
        acc = catalog_accelerators[acc_id]
        engine = table.default_for(acc).id
        predictors.append(Predictor(label="default", accelerator=acc, engine=engine,
                                    efficiency=table.efficiency(acc, engine)))
    if profile is not None:
        target = apply_profile(profile, catalog_accelerators, precision="bf16", engines=table)
        predictors.append(Predictor(label="profile", accelerator=target.accelerator,
                                    engine=target.engine, efficiency=target.efficiency))
    return predictors
