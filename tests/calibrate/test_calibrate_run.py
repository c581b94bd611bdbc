"""`calibrate --quick` end to end on the CPU, and the missing-torch message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fleetmix.calibrate import INSTALL_HINT, require_torch
from fleetmix.errors import MissingDependencyError


def test_missing_torch_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import fails even where installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'fleetmix\[calibrate\]'"):
        require_torch()
    assert INSTALL_HINT == "pip install 'fleetmix[calibrate]'"


def test_the_cli_does_not_import_torch() -> None:
    code = ("import sys; from typer.testing import CliRunner; from fleetmix.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
            "r = CliRunner().invoke(app, ['estimate', '--arch', 'llama-3.1-8b', "
            "'--accelerator', 'h100-sxm', '--json']); assert r.exit_code == 0, r.output; "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_quick_calibration_builds_a_plausible_profile(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from fleetmix.calibrate.device import detect_device
    from fleetmix.calibrate.run import plan_for, run_calibration
    from fleetmix.perf.profile import AcceleratorProfile, load_profile, save_profile

    device = detect_device("cpu")
    plan = plan_for(device, None, quick=True, repeats=2)
    doc = run_calibration(device, plan, command="test", vendor="amd")
    assert doc.device.type == "cpu" and doc.device.vendor == "amd" and doc.accelerator is None
    assert {r.precision for r in doc.measured.matmul} == {"fp32", "bf16"}
    ops = {r.op for r in doc.measured.matmul}
    assert ops == {"qkv", "o", "gate_up", "down", "lm_head"}
    assert not any(r.op == "lm_head" and r.m > 128 for r in doc.measured.matmul)
    assert {(r.phase, r.context_tokens) for r in doc.measured.attention} == {
        (p, c) for p in ("prefill", "decode") for c in (32, 64)}
    d = doc.derived
    # plausible for any CPU or accelerator: 0.1 GB/s .. 100 TB/s of copy; tiny GEMMs and
    # attention calls are dominated by their fixed cost, so only their order of magnitude
    assert 1e8 < d.copy_bytes_per_s < 1e14
    assert 1e6 < d.weight_bytes_per_s < 1e14 and 0 < d.kv_read_bytes_per_s < 1e14
    for rate in (d.matmul_flops_per_s["bf16"], d.attention_flops_per_s):
        assert 1e6 < rate < 1e16
    assert d.allreduce_link_bytes_per_s is None  # one CPU
    path = tmp_path / "cpu.yaml"
    save_profile(AcceleratorProfile(doc=doc, origin=str(path)), path)
    assert load_profile(path).doc == doc


def test_allreduce_over_two_cpu_processes() -> None:
    pytest.importorskip("torch")
    from fleetmix.calibrate.allreduce import allreduce_rows

    rows = allreduce_rows("cpu", 2, (1 << 12, 1 << 20), repeats=2)
    assert [r.bytes for r in rows] == [1 << 12, 1 << 20]
    assert all(r.time_s > 0 for r in rows)
