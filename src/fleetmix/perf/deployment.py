"""A deployment: one replica of an arch on accelerators, with its parallel layout and precision."""

from __future__ import annotations

from dataclasses import dataclass

from fleetmix.arch.records import Arch
from fleetmix.catalog.records import Accelerator
from fleetmix.errors import InputError
from fleetmix.perf.engines import Efficiency, EngineProfile

WEIGHT_BYTES_PER_PARAM = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}
"""Bytes per weight. fp4 carries one fp8 scale per 16 weights (NVFP4/MXFP4-style blocks)."""

KV_BYTES_PER_ELEMENT = {"bf16": 2.0, "fp8": 1.0}
ACTIVATION_BYTES = 2.0  # activations and collectives move bf16


def default_kv_precision(precision: str, acc: Accelerator) -> str:
    """Quantized deployments keep an fp8 KV cache where the chip has fp8, as TRT-LLM and vLLM do."""
    return "fp8" if precision in ("fp8", "fp4") and acc.supports("fp8") else "bf16"


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """arch × accelerator × layout × precision × engine: what one replica is."""

    arch: Arch
    accelerator: Accelerator
    tp: int  # tensor-parallel degree (within one scale-up domain)
    pp: int  # pipeline stages
    ep: int  # expert-parallel degree inside the TP group (1 = experts tensor-split)
    precision: str  # weight/GEMM precision: "bf16", "fp8", "fp4"
    kv_precision: str  # KV-cache element type: "bf16" or "fp8"
    engine: EngineProfile
    efficiency: Efficiency

    def __post_init__(self) -> None:
        acc, arch = self.accelerator, self.arch
        if self.tp < 1 or self.pp < 1 or self.ep < 1:
            raise InputError(f"tp ({self.tp}), pp ({self.pp}) and ep ({self.ep}) must be >= 1")
        if not acc.supports(self.precision):
            raise InputError(
                f"{acc.id} does not support precision {self.precision!r}; "
                f"it supports: {', '.join(acc.precisions)}"
            )
        if self.kv_precision not in KV_BYTES_PER_ELEMENT:
            raise InputError(f"kv precision ({self.kv_precision!r}) must be bf16 or fp8")
        if self.tp > acc.scaleup_domain_chips:
            raise InputError(
                f"tp ({self.tp}) exceeds the scale-up domain of {acc.id} "
                f"({acc.scaleup_domain_chips} chips over {acc.scaleup_link})"
            )
        if self.tp > 1 and acc.scaleup_bw_bytes_per_s is None:
            raise InputError(f"tp ({self.tp}) > 1 needs a scale-up link; {acc.id} has none known")
        if self.pp > arch.num_layers:
            raise InputError(f"pp ({self.pp}) exceeds the layer count ({arch.num_layers})")
        if arch.num_heads % self.tp and self.tp % arch.num_heads:
            raise InputError(f"tp ({self.tp}) must divide num_heads ({arch.num_heads})")
        if self.ep > 1:
            if not arch.is_moe:
                raise InputError(f"ep ({self.ep}) > 1 needs a mixture-of-experts arch")
            if self.tp % self.ep or arch.num_experts % self.ep:
                raise InputError(
                    f"ep ({self.ep}) must divide tp ({self.tp}) and num_experts "
                    f"({arch.num_experts})"
                )
        if acc.vendor not in self.engine.vendors:
            raise InputError(
                f"engine {self.engine.id!r} does not run on {acc.vendor} accelerators; "
                f"it runs on: {', '.join(self.engine.vendors)}"
            )

    @property
    def chips(self) -> int:
        return self.tp * self.pp

    @property
    def weight_bytes_per_param(self) -> float:
        return WEIGHT_BYTES_PER_PARAM[self.precision]

    @property
    def kv_bytes_per_element(self) -> float:
        return KV_BYTES_PER_ELEMENT[self.kv_precision]

    @property
    def layout(self) -> str:
        return f"tp{self.tp}-pp{self.pp}-ep{self.ep}"
