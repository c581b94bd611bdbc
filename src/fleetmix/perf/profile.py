"""Accelerator profiles measured by `fleetmix calibrate`: the schema, reading, writing, applying.

A profile records what the microbenchmarks measured on one device (`measured`) and the rates the
performance model needs, fitted from those measurements (`derived`, absolute units). Applying a
profile turns the rates into an `Efficiency`:

- a device the catalog knows (e.g. CUDA's "NVIDIA H100 80GB HBM3" is h100-sxm): fractions of the
  catalog's published peaks, so the accelerator record (memory, scale-up, TDP, prices) stays;
- a device the catalog lacks (a CPU, a new chip): its own `Accelerator`, whose "peaks" are the
  best rates measured, with efficiencies relative to those.

What the microbenchmarks cannot see (a serving engine's host overheads per step, sequence and
request; collectives when only one device was present) stays the engine table's.

No torch here: profiles are read wherever `perf` runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleetmix.atomic import write_text_atomic
from fleetmix.catalog.accelerators import normalize_name
from fleetmix.catalog.records import VENDORS, Accelerator, FieldSource
from fleetmix.errors import InputError, ProfileError
from fleetmix.perf.engines import (
    Efficiency,
    EngineTable,
    read_profile_yaml,
    shipped_engine_table,
)

PROFILE_VERSION = 1

OWN_DEVICE_ENGINE = "vllm"
"""Engine whose limits and host overheads a device the catalog lacks gets: vLLM runs on CUDA,
ROCm, XPU, TPU and CPU backends."""

# Device names as drivers report them -> catalog id. First match wins; names not listed (e.g.
# "NVIDIA H100 PCIe", whose clocks and bandwidth differ from the SXM part) match nothing.
_DEVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bGB200\b", "gb200"),
    (r"\bB200\b", "b200"),
    (r"\bH200\b(?!.*\bNVL\b)", "h200"),
    (r"\bH100\b.*\b(SXM\d?|HBM3)\b", "h100-sxm"),
    (r"\bA100\b.*SXM.*80\s*GB", "a100-80gb"),
    (r"\bA100\b.*SXM.*40\s*GB", "a100-40gb"),
    (r"\bL40S\b", "l40s"),
    (r"\bMI300X\b", "mi300x"),
    (r"\bMI325X\b", "mi325x"),
    (r"\bMI355X\b", "mi355x"),
)


def match_catalog_id(device_name: str) -> str | None:
    """The catalog id of a device from its driver name, or None when the catalog lacks it."""
    upper = device_name.upper()
    for pattern, acc_id in _DEVICE_PATTERNS:
        if re.search(pattern, upper):
            return acc_id
    return None


# ---- schema (pydantic at the file boundary) ----------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceInfo(_Strict):
    name: str = Field(min_length=1)  # as the driver reports it
    type: Literal["cuda", "rocm", "xpu", "cpu"]
    count: int = Field(ge=1)  # devices of this kind present (all-reduce measured if > 1)
    vendor: str | None  # one of catalog VENDORS; None when not detected
    memory_bytes: float = Field(gt=0)  # device memory (CPU: system RAM)
    threads: int | None = Field(default=None, ge=1)  # CPU threads torch used


class SoftwareInfo(_Strict):
    torch: str
    python: str
    cuda: str | None = None
    hip: str | None = None
    driver: str | None = None


class MatmulRow(_Strict):
    precision: str  # fp32, bf16, fp16, fp8
    op: str  # the weight GEMM it stands for (qkv, o, gate_up, down, lm_head)
    m: int = Field(ge=1)  # tokens
    k: int = Field(ge=1)  # input features
    n: int = Field(ge=1)  # output features
    time_s: float = Field(gt=0)
    flops_per_s: float | None = None  # 2·m·k·n / time_s, for reading; recomputed on load


class AttentionRow(_Strict):
    phase: Literal["prefill", "decode"]
    batch: int = Field(ge=1)
    context_tokens: int = Field(ge=1)
    heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    time_s: float = Field(gt=0)
    rate: float | None = None  # prefill: FLOP/s; decode: KV bytes/s (for reading)


class MemoryRow(_Strict):
    op: Literal["copy"]
    bytes: int = Field(ge=1)  # buffer size; a copy moves twice this
    time_s: float = Field(gt=0)
    bytes_per_s: float | None = None


class AllReduceRow(_Strict):
    bytes: int = Field(ge=1)  # message size per device
    time_s: float = Field(gt=0)


class Measured(_Strict):
    matmul: list[MatmulRow] = Field(min_length=1)
    attention: list[AttentionRow] = Field(min_length=1)
    memory: list[MemoryRow] = Field(min_length=1)
    allreduce: list[AllReduceRow] = Field(default_factory=list)
    dispatch_s: float = Field(ge=0)  # host time of one tiny kernel (eager dispatch + launch)


class Derived(_Strict):
    """Rates fitted from `measured`, in absolute units; what the performance model uses."""

    matmul_flops_per_s: dict[str, float]  # precision -> compute ceiling of weight GEMMs
    weight_bytes_per_s: float = Field(gt=0)  # memory ceiling of weight GEMMs (bf16 fit)
    attention_flops_per_s: float = Field(gt=0)  # prefill attention (causal SDPA)
    kv_read_bytes_per_s: float = Field(gt=0)  # decode attention, KV bytes read per second
    copy_bytes_per_s: float = Field(gt=0)  # device memory copy (read + write)
    allreduce_link_bytes_per_s: float | None = Field(default=None, gt=0)  # per direction
    collective_latency_s: float | None = Field(default=None, ge=0)  # per collective step


class ProfileDoc(_Strict):
    """The profile file, as written by `fleetmix calibrate`."""

    fleetmix_profile: Literal[1]
    device: DeviceInfo
    software: SoftwareInfo
    measured_at: dt.datetime
    command: str
    accelerator: str | None  # catalog id the device matches; None: none
    measured: Measured
    derived: Derived
    notes: list[str] = Field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class AcceleratorProfile:
    """A validated profile and where it was read from."""

    doc: ProfileDoc
    origin: str  # file path, for messages and sources

    @property
    def device_name(self) -> str:
        return self.doc.device.name

    @property
    def accelerator_id(self) -> str | None:
        return self.doc.accelerator

    @property
    def measured_on(self) -> dt.date:
        return self.doc.measured_at.date()


def parse_profile(data: Any, origin: str) -> AcceleratorProfile:
    """Validate a profile document; errors name `origin`, the field and what was expected."""
    try:
        doc = ProfileDoc.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        got = first.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        raise ProfileError(f"{origin}: field {where!r}: {first['msg']}{shown}") from None
    derived = doc.derived
    for precision, rate in derived.matmul_flops_per_s.items():
        if rate <= 0:
            raise ProfileError(f"{origin}: field 'derived.matmul_flops_per_s.{precision}': "
                               f"expected a rate > 0 (got {rate})")
    if "bf16" not in derived.matmul_flops_per_s:
        raise ProfileError(f"{origin}: field 'derived.matmul_flops_per_s': expected a bf16 "
                           f"entry (got {sorted(derived.matmul_flops_per_s)})")
    if doc.device.vendor is not None and doc.device.vendor not in VENDORS:
        raise ProfileError(f"{origin}: field 'device.vendor': expected one of "
                           f"{', '.join(VENDORS)} or null (got {doc.device.vendor!r})")
    return AcceleratorProfile(doc=doc, origin=origin)


def load_profile(path: Path) -> AcceleratorProfile:
    """Read a profile YAML file."""
    return parse_profile(read_profile_yaml(path), str(path))


def save_profile(profile: AcceleratorProfile | ProfileDoc, path: Path) -> None:
    """Write a profile atomically: a temporary file in the same folder, then os.replace."""
    doc = profile.doc if isinstance(profile, AcceleratorProfile) else profile
    text = ("# fleetmix accelerator profile (fleetmix calibrate). `measured`: the microbenchmarks;"
            "\n# `derived`: rates fitted from them, which `--profile` applies.\n"
            + yaml.safe_dump(doc.model_dump(mode="json"), sort_keys=False, width=100))
    write_text_atomic(path, text, make_parents=True)


# ---- applying a profile ------------------------------------------------------------------------

def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "device"


def own_accelerator(profile: AcceleratorProfile) -> Accelerator:
    """An accelerator record built from the measured rates, for a device the catalog lacks.

    Peaks are the best rates measured (bf16: weight GEMMs or attention, whichever is higher;
    fp8 where measured), memory bandwidth the best of copy, weight streaming and KV reads.
    """
    doc, derived = profile.doc, profile.doc.derived
    if doc.device.vendor is None:
        raise ProfileError(f"{profile.origin}: field 'device.vendor' is null; set it to one of "
                           f"{', '.join(VENDORS)} to use this profile (calibrate --vendor)")
    rates = derived.matmul_flops_per_s
    peaks = {"bf16": max(rates["bf16"], derived.attention_flops_per_s)}
    if "fp8" in rates:
        peaks["fp8"] = rates["fp8"]
    mem_bw = max(derived.copy_bytes_per_s, derived.weight_bytes_per_s,
                 derived.kv_read_bytes_per_s)
    link = derived.allreduce_link_bytes_per_s
    source = FieldSource(source=f"fleetmix calibrate: {profile.origin} ({doc.device.name})",
                         as_of=profile.measured_on, note="measured, not published")
    return Accelerator(
        id=f"{_slug(doc.device.name)}-{doc.device.type}", name=doc.device.name,
        vendor=doc.device.vendor, peak_flops_per_s=peaks, mem_bytes=doc.device.memory_bytes,
        mem_bw_bytes_per_s=mem_bw,
        scaleup_bw_bytes_per_s=None if link is None else 2.0 * link,
        scaleup_domain_chips=doc.device.count if link is not None else 1,
        scaleup_link="measured all-reduce" if link is not None else "none",
        tdp_w=None, sources={"peak_flops_per_s": source, "mem_bw_bytes_per_s": source},
        notes="built from a calibrated profile: peaks are the best rates measured",
    )


def profile_accelerator(profile: AcceleratorProfile,
                        catalog_accelerators: Mapping[str, Accelerator]) -> Accelerator:
    """The catalog accelerator the profile was measured on, else one built from the profile."""
    acc_id = profile.accelerator_id
    if acc_id is None:
        return own_accelerator(profile)
    if acc_id not in catalog_accelerators:
        raise ProfileError(f"{profile.origin}: field 'accelerator': {acc_id!r} is not in the "
                           f"catalog (expected a catalog id or null)")
    return catalog_accelerators[acc_id]


def check_profile_matches(profile: AcceleratorProfile, acc: Accelerator, name: str) -> None:
    """Raise InputError unless `name` (an id or alias the user gave) names `acc`, the
    accelerator the profile was measured on."""
    if normalize_name(name) not in {normalize_name(n) for n in (acc.id, *acc.aliases)}:
        raise InputError(f"--accelerator {name!r}: profile {profile.origin} was measured on "
                         f"{profile.device_name} ({acc.id}) and cannot stand for another chip")


def profile_engine(profile: AcceleratorProfile, acc: Accelerator,
                   engines: EngineTable | None = None) -> str:
    """The default engine: the vendor's for a catalog device, vLLM for a device of its own."""
    table = engines or shipped_engine_table()
    if profile.accelerator_id is None:
        return OWN_DEVICE_ENGINE
    return table.default_for(acc).id


def _fraction(rate: float, peak: float, what: str, clamped: list[str]) -> float:
    value = rate / peak
    if value > 1.0:
        clamped.append(f"{what} measured {value:.2f}x the published peak, taken as 1.0")
        return 1.0
    return value


def profile_efficiency(profile: AcceleratorProfile, acc: Accelerator, precision: str,
                       base: Efficiency) -> Efficiency:
    """`base` (the engine table's efficiency) with the measured fractions of `acc`'s peaks.

    Replaced: matmul (at `precision`, if measured), attention, memory, KV reads and, when an
    all-reduce was measured and `acc` has a scale-up link, collectives. Kept from `base`: the
    host overheads, and whatever the profile did not measure.
    """
    derived = profile.doc.derived
    clamped: list[str] = []
    kept: list[str] = []
    peaks = acc.peak_flops_per_s
    attn_peak = peaks["bf16"] if "bf16" in peaks else peaks["fp8"] / 2.0
    if precision in derived.matmul_flops_per_s and precision in peaks:
        matmul_eff = _fraction(derived.matmul_flops_per_s[precision], peaks[precision],
                               f"{precision} matmul", clamped)
    else:
        matmul_eff = base.matmul_eff
        kept.append(f"{precision} matmul not measured: {base.matmul_eff} kept")
    updates: dict[str, Any] = {
        "matmul_eff": matmul_eff,
        "attn_eff": _fraction(derived.attention_flops_per_s, attn_peak, "attention", clamped),
        "mem_eff": _fraction(derived.weight_bytes_per_s, acc.mem_bw_bytes_per_s,
                             "weight streaming", clamped),
        "kv_mem_eff": _fraction(derived.kv_read_bytes_per_s, acc.mem_bw_bytes_per_s,
                                "KV reads", clamped),
    }
    link = derived.allreduce_link_bytes_per_s
    if link is not None and acc.scaleup_bw_uni_bytes_per_s is not None:
        updates["comm_eff"] = _fraction(link, acc.scaleup_bw_uni_bytes_per_s, "all-reduce",
                                        clamped)
    if derived.collective_latency_s is not None:
        updates["collective_latency_s"] = derived.collective_latency_s
    notes = "; ".join(clamped + kept)
    source = (f"calibrated: {profile.origin} ({profile.device_name}, "
              f"{profile.measured_on.isoformat()}); host overheads from {base.source[:60]}"
              + (f"; {notes}" if notes else ""))
    return replace(base, **updates, fitted=True, source=source)


@dataclass(frozen=True, kw_only=True)
class ProfiledTarget:
    """What a profile makes of a deployment's hardware: the accelerator, engine, efficiency."""

    accelerator: Accelerator
    engine: str
    efficiency: Efficiency


def apply_profile(profile: AcceleratorProfile, catalog_accelerators: Mapping[str, Accelerator],
                  *, precision: str, accelerator: str | None = None, engine: str | None = None,
                  engines: EngineTable | None = None) -> ProfiledTarget:
    """Resolve the accelerator (checked against `accelerator` if given), the engine and the
    calibrated efficiency at `precision`."""
    table = engines or shipped_engine_table()
    acc = profile_accelerator(profile, catalog_accelerators)
    if accelerator is not None:
        check_profile_matches(profile, acc, accelerator)
    engine_id = engine or profile_engine(profile, acc, table)
    base = table.efficiency(acc, engine_id)
    return ProfiledTarget(accelerator=acc, engine=engine_id,
                          efficiency=profile_efficiency(profile, acc, precision, base))
