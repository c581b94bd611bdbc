"""Serving engines: their scheduling limits and the efficiencies they reach on each accelerator.

Data lives in `perf/data/engines.yaml`; see its header for what each number means and where it
comes from. A calibrated profile (`fleetmix calibrate`) supplies an `Efficiency` that replaces the
shipped one for its accelerator.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetmix.catalog.records import VENDORS, Accelerator
from fleetmix.errors import InputError, ProfileError, UnknownNameError

KvReserve = Literal["full", "on_demand"]


@dataclass(frozen=True, kw_only=True)
class EngineProfile:
    """A serving engine's scheduling limits (its documented defaults)."""

    id: str
    name: str
    vendors: tuple[str, ...]  # vendors whose accelerators the engine runs on
    max_batch_seqs: int  # max running sequences per replica
    max_batch_tokens: int  # token budget of one engine step (prefill chunk + decode tokens)
    kv_block_tokens: int  # tokens per paged KV block
    kv_reserve: KvReserve  # "full": reserve ISL+OSL at admission; "on_demand": grow, preempt
    mem_utilization: float  # fraction of device memory the engine may use (see mem_fraction_of)
    mem_fraction_of: Literal["total", "free"] = "total"  # "free": KV gets that fraction of the
    # memory left after weights and workspace (TensorRT-LLM's free_gpu_memory_fraction)
    mixed_prefill: bool = True  # prompt chunks share steps with decodes (False: prefill-only
    # steps pause the decodes, SGLang without --enable-mixed-chunk)
    decode_round_steps: int = 1  # decode steps run between looks at the queue (SGLang's
    # --num-continuous-decode-steps)
    source: str


@dataclass(frozen=True, kw_only=True)
class Efficiency:
    """Fractions of peak an engine reaches on an accelerator, and its host overheads."""

    matmul_eff: float  # of dense peak FLOP/s, in weight GEMMs
    attn_eff: float  # of bf16 dense peak FLOP/s, in attention
    mem_eff: float  # of memory bandwidth, streaming weights and KV cache
    comm_eff: float  # of scale-up bandwidth, in collectives
    step_overhead_s: float  # host time per engine step
    seq_overhead_s: float  # host time per running sequence per step
    collective_latency_s: float  # latency of one step of a collective; an all-reduce over tp
    # chips takes 2·log2(tp) steps, an all-to-all 2
    request_overhead_s: float = 0.0  # server time per request outside engine steps (HTTP,
    # tokenization, streaming the first chunk): added to TTFT and end-to-end latency
    kv_mem_eff: float | None = None  # of memory bandwidth, reading the KV cache in decode
    # attention; None: mem_eff (a calibrated profile measures it apart from weight streaming)
    moe_matmul_ratio: float = 1.0  # MoE expert GEMMs reach this fraction of matmul_eff
    fitted: bool  # True: fitted to public measurements; False: an assumption
    source: str

    def __post_init__(self) -> None:
        for name in ("matmul_eff", "attn_eff", "mem_eff", "comm_eff", "kv_mem_eff",
                     "moe_matmul_ratio"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value <= 1.0:
                raise ValueError(f"{name} ({value}) must be in (0, 1]")
        for name in ("step_overhead_s", "seq_overhead_s", "collective_latency_s",
                     "request_overhead_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} ({getattr(self, name)}) must be >= 0")

    @property
    def kv_read_eff(self) -> float:
        """Fraction of memory bandwidth reached reading the KV cache (kv_mem_eff, else mem_eff)."""
        return self.mem_eff if self.kv_mem_eff is None else self.kv_mem_eff

    @property
    def expert_matmul_eff(self) -> float:
        """Fraction of dense peak FLOP/s reached in MoE expert GEMMs."""
        return self.matmul_eff * self.moe_matmul_ratio


class _EngineRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    vendors: list[str]
    max_batch_seqs: int = Field(gt=0)
    max_batch_tokens: int = Field(gt=0)
    kv_block_tokens: int = Field(gt=0)
    kv_reserve: KvReserve
    mem_utilization: float = Field(gt=0, le=1)
    mem_fraction_of: Literal["total", "free"] = "total"
    mixed_prefill: bool = True
    decode_round_steps: int = Field(default=1, ge=1)
    source: str


class _EfficiencyRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: str
    vendor: str | None = None
    accelerators: list[str] | None = None
    matmul_eff: float = Field(gt=0, le=1)
    attn_eff: float = Field(gt=0, le=1)
    mem_eff: float = Field(gt=0, le=1)
    comm_eff: float = Field(gt=0, le=1)
    step_overhead_s: float = Field(ge=0)
    seq_overhead_s: float = Field(ge=0)
    collective_latency_s: float = Field(ge=0)
    request_overhead_s: float = Field(default=0.015, ge=0)
    kv_mem_eff: float | None = Field(default=None, gt=0, le=1)
    moe_matmul_ratio: float | None = Field(default=None, gt=0, le=1)
    fitted: bool
    source: str


class _EnginesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date
    engines: list[_EngineRow]
    default_engine: dict[str, str]
    moe_matmul_ratio: float = Field(default=1.0, gt=0, le=1)
    moe_matmul_ratio_source: str = "not fitted: expert GEMMs as efficient as dense ones"
    efficiencies: list[_EfficiencyRow]


@dataclass(frozen=True, kw_only=True)
class EngineTable:
    """All engines, the default per vendor, and the efficiency rules in match order."""

    engines: dict[str, EngineProfile]
    default_engine: dict[str, str]
    rules: tuple[_EfficiencyRow, ...]
    moe_matmul_ratio: float = 1.0  # for rules that do not set their own
    moe_matmul_ratio_source: str = ""

    def engine(self, engine_id: str) -> EngineProfile:
        if engine_id not in self.engines:
            raise UnknownNameError("engine", engine_id, self.engines)
        return self.engines[engine_id]

    def default_for(self, acc: Accelerator) -> EngineProfile:
        """The vendor's best-known stack for this accelerator."""
        engine_id = self.default_engine.get(acc.vendor)
        if engine_id is None:
            raise ProfileError(
                f"no default engine for vendor {acc.vendor!r} ({acc.id}); default_engine "
                f"covers: {', '.join(sorted(self.default_engine))}. Pass an engine explicitly."
            )
        return self.engines[engine_id]

    def efficiency(self, acc: Accelerator, engine_id: str) -> Efficiency:
        """The first rule matching (engine, accelerator id or vendor)."""
        engine = self.engine(engine_id)
        if acc.vendor not in engine.vendors:
            raise InputError(
                f"engine {engine_id!r} ({engine.name}) does not run on {acc.vendor} "
                f"accelerators such as {acc.id}; it runs on: {', '.join(engine.vendors)}"
            )
        for rule in self.rules:
            if rule.engine != engine_id:
                continue
            if rule.accelerators is not None and acc.id not in rule.accelerators:
                continue
            if rule.vendor is not None and rule.vendor != acc.vendor:
                continue
            fields = rule.model_dump(exclude={"engine", "vendor", "accelerators"})
            if fields["moe_matmul_ratio"] is None:
                fields["moe_matmul_ratio"] = self.moe_matmul_ratio
            return Efficiency(**fields)
        raise ProfileError(
            f"engine {engine_id!r} ({engine.name}) has no efficiency for {acc.id} "
            f"(vendor {acc.vendor}); it runs on: {', '.join(engine.vendors)}"
        )


def parse_engine_table(data: Any, origin: str) -> EngineTable:
    """Validate an engines YAML document; errors name `origin` and the field."""
    try:
        doc = _EnginesFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ProfileError(f"{origin}: field {where!r}: {first['msg']}") from None
    engines = {
        row.id: EngineProfile(**{**row.model_dump(), "vendors": tuple(row.vendors)})
        for row in doc.engines
    }
    for vendor, engine_id in doc.default_engine.items():
        if vendor not in VENDORS or engine_id not in engines:
            raise ProfileError(
                f"{origin}: default_engine.{vendor} = {engine_id!r}: expected a vendor in "
                f"{VENDORS} and an engine in {sorted(engines)}"
            )
    for engine_row in doc.engines:
        unknown = sorted(set(engine_row.vendors) - set(VENDORS))
        if unknown:
            raise ProfileError(f"{origin}: engines[{engine_row.id}].vendors: unknown "
                               f"{', '.join(unknown)} (expected some of {', '.join(VENDORS)})")
    for i, rule in enumerate(doc.efficiencies):
        if rule.engine not in engines:
            raise ProfileError(f"{origin}: efficiencies[{i}].engine {rule.engine!r} is not defined")
        if rule.vendor is not None and rule.vendor not in VENDORS:
            raise ProfileError(f"{origin}: efficiencies[{i}].vendor {rule.vendor!r}: expected "
                               f"one of {', '.join(VENDORS)}")
    return EngineTable(engines=engines, default_engine=dict(doc.default_engine),
                       rules=tuple(doc.efficiencies), moe_matmul_ratio=doc.moe_matmul_ratio,
                       moe_matmul_ratio_source=doc.moe_matmul_ratio_source)


@functools.lru_cache(maxsize=1)
def shipped_engine_table() -> EngineTable:
    """The engine table shipped in the package."""
    text = resources.files("fleetmix.perf").joinpath("data/engines.yaml").read_text("utf-8")
    return parse_engine_table(yaml.safe_load(text), "fleetmix/perf/data/engines.yaml")


def read_profile_yaml(path: Path) -> Any:
    """A profile-like YAML file's content; unreadable or invalid YAML is a ProfileError."""
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({exc})") from None


def load_engine_table(path: Path) -> EngineTable:
    """An engine table from a user's YAML file, same schema as the shipped one."""
    return parse_engine_table(read_profile_yaml(path), str(path))
