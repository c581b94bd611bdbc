"""Real decoder steps on the local device, measured against the performance model.

A decoder of the arch (truncated to `layers` layers) runs prefill steps (each of `batch`
sequences of `context` prompt tokens) and decode steps (`batch` sequences, one new token each,
against a KV cache of `context` tokens); `fleetmix.calibrate.prediction` predicts them.

Scaling back: each step times its layers and its head (final norm + LM head) apart, so the
measured time of the full-depth model is estimated as head + layers × (full layers / layers),
and compared with the model's full-depth prediction (`*_full_s` fields).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import torch

from fleetmix.arch.records import Arch
from fleetmix.calibrate.decoder import Decoder, build_decoder, parameter_count, truncate
from fleetmix.calibrate.device import Device
from fleetmix.calibrate.prediction import MeasureResult, MeasureRow, Predictor, predicted_kernel_s
from fleetmix.errors import InputError
from fleetmix.perf.profile import AcceleratorProfile


def _time_step(model: Decoder, tokens: torch.Tensor, cache: list[tuple[torch.Tensor,
               torch.Tensor]], start: int, device: Device, *, warmup: int, repeats: int
               ) -> tuple[float, float, float]:
    """Median (step, layers, head) seconds: warm-up steps first, each part synchronized."""
    samples = []
    for i in range(warmup + repeats):
        device.sync()
        t0 = time.perf_counter()
        hidden = model.body(tokens, cache, start)
        device.sync()
        t1 = time.perf_counter()
        model.head(hidden)
        device.sync()
        t2 = time.perf_counter()
        if i >= warmup:
            samples.append((t2 - t0, t1 - t0, t2 - t1))
    total = statistics.median(s[0] for s in samples)
    layers = statistics.median(s[1] for s in samples)
    return total, layers, total - layers


def run_measure(arch: Arch, device: Device, *, layers: int | None, batches: Sequence[int],
                contexts: Sequence[int], predictors: Sequence[Predictor], warmup: int = 1,
                repeats: int = 3, seed: int = 0) -> MeasureResult:
    """Build the (truncated) decoder, time prefill and decode at every batch × context, and
    predict each step with every predictor."""
    if not batches or not contexts or min(*batches, *contexts) < 1:
        raise InputError("--batch and --context need positive integers")
    if max(contexts) + 1 > arch.max_context_tokens:
        raise InputError(f"--context {max(contexts)} exceeds {arch.name}'s "
                         f"{arch.max_context_tokens} positions")
    small = truncate(arch, layers)
    model = build_decoder(small, device.torch_device, seed=seed)
    deps = {p.label: (p.deployment(small), p.deployment(arch)) for p in predictors}
    gen = torch.Generator(device=device.torch_device).manual_seed(seed)
    rows = []
    with torch.inference_mode():
        for phase in ("prefill", "decode"):
            for batch in batches:
                for ctx in contexts:
                    new = ctx if phase == "prefill" else 1
                    cache = model.new_cache(batch, ctx + 1)
                    if phase == "decode":
                        for k_cache, v_cache in cache:
                            k_cache.normal_(generator=gen)
                            v_cache.normal_(generator=gen)
                    tokens = torch.randint(small.vocab_size, (batch, new), generator=gen,
                                           device=device.torch_device)
                    start = 0 if phase == "prefill" else ctx
                    total, layers_s, head_s = _time_step(model, tokens, cache, start, device,
                                                         warmup=warmup, repeats=repeats)
                    del cache
                    rows.append(MeasureRow(
                        phase=phase, batch=batch, context_tokens=ctx, measured_s=total,
                        layers_s=layers_s, head_s=head_s,
                        measured_full_s=head_s + layers_s * arch.num_layers / small.num_layers,
                        predicted_s={k: predicted_kernel_s(d[0], phase, batch, ctx)
                                     for k, d in deps.items()},
                        predicted_full_s={k: predicted_kernel_s(d[1], phase, batch, ctx)
                                          for k, d in deps.items()}))
    notes = ["predictions: kernel time at the same depth (GEMMs, attention, LM head), bf16, "
             "tp1; no engine host overheads"]
    if small is not arch:
        notes.append(f"ran {small.num_layers} of {arch.num_layers} layers; measured_full_s "
                     f"scales the layers' time back to {arch.num_layers}")
    return MeasureResult(
        arch=arch.name, layers=small.num_layers, full_layers=arch.num_layers,
        parameters=parameter_count(model), device=device.name,
        torch_version=torch.__version__,
        predictors={p.label: f"{p.accelerator.id}: {p.efficiency.source}" for p in predictors},
        rows=tuple(rows), notes=tuple(notes))


def check_same_device(profile: AcceleratorProfile, device: Device) -> None:
    """A profile predicts the device it was measured on; refuse another kind of device."""
    if profile.device_name != device.name:
        raise InputError(f"profile {profile.origin} was measured on {profile.device_name!r}; "
                         f"this device is {device.name!r}")
