"""`fleetmix calibrate | measure`: the local PyTorch device, measured.

PyTorch is imported inside the commands only (after `require_torch`), so the rest of the CLI
runs without the `calibrate` extra.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from fleetmix import arch as arch_lib
from fleetmix import catalog as catalog_lib
from fleetmix.calibrate import require_torch
from fleetmix.catalog.records import VENDORS
from fleetmix.cli._common import JsonOpt, ProfileOpt, _print_json, err, out, user_errors
from fleetmix.errors import FleetmixError, InputError
from fleetmix.perf import Efficiency, shipped_engine_table
from fleetmix.perf.profile import (
    AcceleratorProfile,
    apply_profile,
    load_profile,
    profile_efficiency,
    save_profile,
)
from fleetmix.report.calibration import measure_table, profile_table

DeviceOpt = Annotated[str | None, typer.Option(
    "--device", help="cuda, xpu or cpu (default: the first accelerator torch sees, else cpu).")]


def _int_list(text: str, option: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise InputError(f"{option} {text!r}: expected positive integers separated by commas, "
                         f"e.g. 1,8,32")
    return values


def _efficiencies(profile: AcceleratorProfile, cat: catalog_lib.Catalog
                  ) -> dict[str, Efficiency]:
    """The efficiency the profile gives at each precision its accelerator supports."""
    table = shipped_engine_table()
    target = apply_profile(profile, cat.accelerators, precision="bf16")
    base = table.efficiency(target.accelerator, target.engine)
    return {p: profile_efficiency(profile, target.accelerator, p, base)
            for p in target.accelerator.precisions}


@user_errors
def calibrate_cmd(
    out_path: Annotated[Path, typer.Option("--out", help="Profile YAML to write.")],
    quick: Annotated[bool, typer.Option(
        "--quick", help="Tiny shapes: a smoke test in seconds, not a usable profile.")] = False,
    arch: Annotated[str | None, typer.Option(
        help="Arch whose GEMM and attention shapes to measure (default: llama-3.2-1b on a "
             "CPU, llama-3.1-8b on an accelerator).")] = None,
    device: DeviceOpt = None,
    accelerator: Annotated[str | None, typer.Option(
        help="Catalog accelerator this device is (default: matched by device name).")] = None,
    vendor: Annotated[str | None, typer.Option(
        help="Vendor of a device the catalog lacks (default: detected).")] = None,
    repeats: Annotated[int | None, typer.Option(min=1, help="Timed repeats per kernel.")
                       ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Microbenchmark the local PyTorch device and write its accelerator profile."""
    require_torch()
    from fleetmix.calibrate.device import detect_device
    from fleetmix.calibrate.run import plan_for, run_calibration

    if vendor is not None and vendor not in VENDORS:
        raise InputError(f"--vendor {vendor!r}: expected one of {', '.join(VENDORS)}")
    cat = catalog_lib.load_catalog()
    acc_id = cat.accelerator(accelerator).id if accelerator else None
    dev = detect_device(device)
    arch_name = None if quick else arch or ("llama-3.2-1b" if dev.type == "cpu"
                                            else "llama-3.1-8b")
    plan = plan_for(dev, arch_lib.load_arch(arch_name) if arch_name else None, quick=quick,
                    repeats=repeats)
    err.print(f"calibrating {dev.name} ({dev.type}) ...", highlight=False)
    command = ["fleetmix", "calibrate", "--out", str(out_path)]
    for flag, value in (("--arch", arch), ("--device", device), ("--accelerator", accelerator),
                        ("--vendor", vendor), ("--repeats", repeats)):
        if value is not None:
            command += [flag, str(value)]
    doc = run_calibration(dev, plan, command=shlex.join(command + ["--quick"] * quick),
                          accelerator=acc_id, vendor=vendor, arch_name=arch_name,
                          progress=lambda msg: err.print(f"  {msg}", highlight=False))
    profile = AcceleratorProfile(doc=doc, origin=str(out_path))
    save_profile(profile, out_path)
    if as_json:
        _print_json({"out": str(out_path), **doc.model_dump(mode="json")})
        return
    try:
        effs = _efficiencies(profile, cat)
    except FleetmixError:  # e.g. no vendor detected: the profile is written, shown without
        effs = {}
    out.print(profile_table(profile, effs))
    out.print(f"wrote {out_path}", highlight=False)


@user_errors
def measure_cmd(
    arch: Annotated[str, typer.Option(help="Built-in arch name or config.json path.")],
    layers: Annotated[int | None, typer.Option(
        min=1, help="Run only the first N layers (predictions are for the same N layers).")
                      ] = None,
    batch: Annotated[str, typer.Option(help="Sequences per step, comma-separated.")] = "1,8",
    context: Annotated[str, typer.Option(
        help="Prompt tokens (prefill) and cached tokens (decode), comma-separated.")] = "128,512",
    profile: ProfileOpt = None,
    device: DeviceOpt = None,
    repeats: Annotated[int, typer.Option(min=1, help="Timed steps per point (median).")] = 3,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed steps per point first.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Time real prefill and decode steps of an arch with random weights, against the model."""
    batches, contexts = _int_list(batch, "--batch"), _int_list(context, "--context")
    require_torch()
    from fleetmix.calibrate.device import detect_device
    from fleetmix.calibrate.measure import check_same_device, run_measure
    from fleetmix.calibrate.prediction import predictors_for

    arch_rec = arch_lib.load_arch(arch)
    prof = load_profile(profile) if profile is not None else None
    dev = detect_device(device)
    if prof is not None:
        check_same_device(prof, dev)
    predictors = predictors_for(dev.name, prof, catalog_lib.load_catalog().accelerators)
    result = run_measure(arch_rec, dev, layers=layers, batches=batches, contexts=contexts,
                         predictors=predictors, warmup=warmup, repeats=repeats)
    if as_json:
        _print_json(result.to_dict())
    else:
        out.print(measure_table(result))
