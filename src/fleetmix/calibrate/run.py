"""`fleetmix calibrate`: run the microbenchmarks on the local device and build its profile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fleetmix.arch.records import Arch
from fleetmix.calibrate.allreduce import allreduce_rows
from fleetmix.calibrate.device import Device, software_info
from fleetmix.calibrate.fit import derive
from fleetmix.calibrate.microbenchmarks import (
    QUICK_SHAPES,
    Shapes,
    attention_rows,
    dispatch_s,
    matmul_rows,
    memory_rows,
    shapes_of,
)
from fleetmix.perf.profile import PROFILE_VERSION, Measured, ProfileDoc, match_catalog_id

MIB = 1 << 20


@dataclass(frozen=True, kw_only=True)
class CalibrationPlan:
    """What to run: shapes, token counts, contexts, precisions, buffer sizes, repeats."""

    shapes: Shapes
    tokens: tuple[int, ...]  # GEMM rows (m): decode batches and prefill chunks
    contexts: tuple[int, ...]  # attention context lengths, tokens
    decode_batches: tuple[int, ...]  # sequences in a decode attention call
    precisions: tuple[str, ...]
    buffer_bytes: int  # memory-copy buffer; also the pool of weight copies a GEMM cycles through
    allreduce_bytes: tuple[int, ...]  # message sizes per device
    repeats: int


def plan_for(device: Device, arch: Arch | None, *, quick: bool, repeats: int | None = None
             ) -> CalibrationPlan:
    """Shapes of `arch` (None: tiny ones, for --quick), sized for the device: a CPU gets
    fewer and smaller GEMMs than an accelerator, and fp32 next to bf16."""
    cpu = device.type == "cpu"
    precisions = ("fp32", "bf16") if cpu else ("bf16", "fp16", "fp8")
    if quick or arch is None:
        return CalibrationPlan(shapes=QUICK_SHAPES, tokens=(1, 8, 64), contexts=(32, 64),
                               decode_batches=(1, 4), precisions=precisions,
                               buffer_bytes=8 * MIB, allreduce_bytes=(64 << 10, 4 * MIB),
                               repeats=repeats or 3)
    return CalibrationPlan(
        shapes=shapes_of(arch),
        tokens=(1, 8, 32, 128, 512) if cpu else (1, 8, 32, 128, 512, 2048, 8192),
        contexts=(128, 512, 2048) if cpu else (512, 2048, 8192),
        decode_batches=(1, 8) if cpu else (1, 8, 32), precisions=precisions,
        buffer_bytes=256 * MIB if cpu else 1024 * MIB,
        allreduce_bytes=tuple(s << 10 for s in (64, 512, 4096, 32768, 262144)),
        repeats=repeats or 5)


def run_calibration(device: Device, plan: CalibrationPlan, *, command: str,
                    accelerator: str | None = None, vendor: str | None = None,
                    arch_name: str | None = None,
                    progress: Callable[[str], None] | None = None) -> ProfileDoc:
    """Measure the device and return its profile. `accelerator` (a catalog id) overrides the
    match by device name; `vendor` overrides the detected vendor."""
    say = progress or (lambda _msg: None)
    notes = []
    say("weight GEMMs")
    matmul = matmul_rows(device, plan.shapes, plan.tokens, plan.precisions,
                         repeats=plan.repeats, pool_bytes=plan.buffer_bytes)
    missing = sorted(set(plan.precisions) - {r.precision for r in matmul})
    if missing:
        notes.append(f"not supported here: {', '.join(missing)}")
    say("memory copy")
    memory = memory_rows(device, plan.buffer_bytes, repeats=plan.repeats)
    say("attention")
    attention = attention_rows(device, plan.shapes, plan.contexts, plan.decode_batches,
                               repeats=plan.repeats)
    allreduce = []
    if device.count > 1:
        say(f"all-reduce over {device.count} devices")
        allreduce = allreduce_rows(device.type, device.count, plan.allreduce_bytes,
                                   repeats=plan.repeats)
    measured = Measured(matmul=matmul, attention=attention, memory=memory,
                        allreduce=allreduce, dispatch_s=dispatch_s(device, repeats=plan.repeats))
    if device.type == "cpu":
        notes.append("CPU: fp32 GEMMs are measured for reference; the model runs bf16")
    shapes = arch_name or "tiny --quick shapes"
    notes.append(f"GEMM and attention shapes of {shapes}; tokens {list(plan.tokens)}, "
                 f"contexts {list(plan.contexts)}, {plan.repeats} repeats (median)")
    info = device.info()
    if vendor is not None:
        info = info.model_copy(update={"vendor": vendor})
    return ProfileDoc(
        fleetmix_profile=PROFILE_VERSION, device=info, software=software_info(),
        measured_at=dt.datetime.now(dt.UTC).replace(microsecond=0), command=command,
        accelerator=accelerator or match_catalog_id(device.name), measured=measured,
        derived=derive(measured, device.count), notes=notes)
