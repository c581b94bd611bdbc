"""`fleetmix calibrate | measure`, and `--profile` on estimate and simulate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from cli_helpers import assert_user_error, invoke, json_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calibrate"))
from calibrate_helpers import tiny_config
from profile_helpers import cpu_profile_doc, make_profile_doc, write_profile


def test_estimate_with_a_profile_of_a_device_the_catalog_lacks(tmp_path: Path) -> None:
    profile = write_profile(cpu_profile_doc(), tmp_path / "cpu.yaml")
    est = json_of("estimate", "--arch", "llama-3.2-1b", "--profile", profile,
                  "--precision", "bf16", "--isl", "128", "--osl", "64")
    assert est["accelerator"] == "amd-epyc-2-threads-cpu" and est["engine"] == "vllm"
    assert est["efficiency_fitted"] and "calibrated" in est["efficiency_source"]
    assert est["usd_per_chip_hour"] is None  # no offering sells it
    # batch 1 decode is weight streaming: ~2.5 GB of bf16 weights at the profile's 10 GB/s
    assert 0.2 < est["tpot_s_batch1"] < 0.4
    table = invoke("estimate", "--arch", "llama-3.2-1b", "--profile", profile,
                   "--precision", "bf16")
    assert table.exit_code == 0, table.output


def test_profile_changes_a_catalog_accelerator_estimate(tmp_path: Path) -> None:
    slow = write_profile(make_profile_doc(weight_bytes_per_s=1.0e12), tmp_path / "slow.yaml")
    base = json_of("estimate", "--arch", "llama-3.1-8b", "--accelerator", "h100-sxm",
                   "--precision", "bf16", "--concurrency", "1")
    calibrated = json_of("estimate", "--arch", "llama-3.1-8b", "--accelerator", "h100-sxm",
                         "--precision", "bf16", "--concurrency", "1", "--profile", slow)
    assert calibrated["accelerator"] == base["accelerator"] == "h100-sxm"
    assert calibrated["tpot_s_batch1"] > 2 * base["tpot_s_batch1"]  # 1.0 TB/s against ~2.8


def test_profile_errors_are_one_line(tmp_path: Path) -> None:
    data = make_profile_doc().model_dump(mode="json")
    data["derived"]["kv_read_bytes_per_s"] = "fast"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert_user_error(invoke("estimate", "--arch", "llama-3.1-8b", "--profile", bad),
                      "ProfileError", str(bad), "field 'derived.kv_read_bytes_per_s'",
                      "valid number")
    good = write_profile(make_profile_doc(), tmp_path / "h100.yaml")
    assert_user_error(invoke("estimate", "--arch", "llama-3.1-8b", "--profile", good,
                             "--accelerator", "mi300x"), "cannot stand for another chip")
    assert_user_error(invoke("estimate", "--arch", "llama-3.1-8b"), "give --accelerator")


def test_simulate_with_a_profile(tmp_path: Path) -> None:
    profile = write_profile(cpu_profile_doc(), tmp_path / "cpu.yaml")
    result = json_of("simulate", "--arch", "llama-3.2-1b", "--profile", profile,
                     "--precision", "bf16", "--isl", "64", "--osl", "8", "--concurrency", "2",
                     "--requests", "4")
    assert result["deployment"]["accelerator"] == "amd-epyc-2-threads-cpu"


def test_calibrate_without_torch_says_how_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    for args in (("calibrate", "--quick", "--out", tmp_path / "p.yaml"),
                 ("measure", "--arch", "llama-3.2-1b")):
        assert_user_error(invoke(*args), "MissingDependencyError",
                          "pip install 'fleetmix[calibrate]'")
    assert not (tmp_path / "p.yaml").exists()


def test_calibrate_quick_then_measure_with_the_profile(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "cpu.yaml"
    result = invoke("calibrate", "--quick", "--out", out, "--repeats", "2", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output and "bf16 GEMM compute" in result.output
    assert yaml.safe_load(out.read_text())["device"]["type"] == "cpu"

    config = tmp_path / "tiny" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps(tiny_config("llama", hidden_size=128, intermediate_size=256)))
    data = json_of("measure", "--arch", config, "--layers", "2", "--batch", "1,2",
                   "--context", "8,16", "--profile", out, "--repeats", "2")
    assert data["layers"] == 2 and data["full_layers"] == 3
    assert list(data["predictors"]) == ["profile"]  # a CPU: no catalog default
    rows = data["rows"]
    assert [(r["phase"], r["batch"], r["context_tokens"]) for r in rows] == [
        (p, b, c) for p in ("prefill", "decode") for b in (1, 2) for c in (8, 16)]
    for row in rows:
        assert row["measured_s"] > 0 and row["predicted_s"]["profile"] > 0
        assert row["error"]["profile"] == pytest.approx(
            row["predicted_s"]["profile"] / row["measured_s"] - 1)
        # scaled back to 3 layers: more than the 2 that ran
        assert row["measured_full_s"] > row["measured_s"]
    assert data["median_abs_error"]["profile"]["all"] is not None

    table = invoke("measure", "--arch", config, "--layers", "1", "--batch", "1",
                   "--context", "8", "--profile", out, "--repeats", "1", "--warmup", "0")
    assert table.exit_code == 0, table.output
    for column in ("phase", "measured ms", "profile ms", "profile err", "median |error|"):
        assert column in table.output, table.output


def test_measure_refuses_bad_lists_and_another_devices_profile(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    assert_user_error(invoke("measure", "--arch", "llama-3.2-1b", "--batch", "1,x"),
                      "--batch '1,x'", "positive integers")
    h100 = write_profile(make_profile_doc(), tmp_path / "h100.yaml")
    assert_user_error(invoke("measure", "--arch", "llama-3.2-1b", "--profile", h100,
                             "--device", "cpu"), "measured on 'NVIDIA H100 80GB HBM3'")
    assert_user_error(invoke("measure", "--arch", "deepseek-v3", "--layers", "1",
                             "--device", "cpu"), "cannot build a deepseek_v3 decoder")
