"""The engine table: schema errors name the field; defaults and efficiency rules per vendor."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fleetmix.catalog import load_catalog
from fleetmix.errors import FleetmixError, ProfileError, UnknownNameError
from fleetmix.perf import Efficiency, load_engine_table, shipped_engine_table
from fleetmix.perf.engines import parse_engine_table


def engines_doc(**overrides: Any) -> dict[str, Any]:
    """A one-engine table as a user would write it: vLLM-like limits, one NVIDIA rule."""
    doc: dict[str, Any] = {
        "as_of": "2026-11-01",
        "engines": [{
            "id": "myvllm", "name": "my vLLM build", "vendors": ["nvidia", "amd"],
            "max_batch_seqs": 256, "max_batch_tokens": 8192, "kv_block_tokens": 16,
            "kv_reserve": "on_demand", "mem_utilization": 0.9, "source": "our fork",
        }],
        "default_engine": {"nvidia": "myvllm", "amd": "myvllm"},
        "efficiencies": [{
            "engine": "myvllm", "vendor": "nvidia", "matmul_eff": 0.6, "attn_eff": 0.45,
            "mem_eff": 0.8, "comm_eff": 0.7, "step_overhead_s": 0.002, "seq_overhead_s": 1e-5,
            "collective_latency_s": 1e-5, "fitted": True, "source": "calibrated on our H100s",
        }],
    }
    return copy.deepcopy(doc | overrides)


def test_a_good_table_parses() -> None:
    table = parse_engine_table(engines_doc(), "mine.yaml")
    h100 = load_catalog().accelerator("h100-sxm")
    assert table.default_for(h100).id == "myvllm"
    eff = table.efficiency(h100, "myvllm")
    assert (eff.matmul_eff, eff.mem_eff, eff.fitted) == (0.6, 0.8, True)
    assert table.engine("myvllm").kv_block_tokens == 16


def test_moe_ratio_comes_from_the_table_unless_the_rule_sets_its_own() -> None:
    h100 = load_catalog().accelerator("h100-sxm")
    doc = engines_doc(moe_matmul_ratio=0.05)
    assert parse_engine_table(doc, "m.yaml").efficiency(h100, "myvllm").moe_matmul_ratio == 0.05
    doc["efficiencies"][0]["moe_matmul_ratio"] = 0.2
    eff = parse_engine_table(doc, "m.yaml").efficiency(h100, "myvllm")
    assert (eff.moe_matmul_ratio, eff.expert_matmul_eff) == (0.2, pytest.approx(0.12))
    assert parse_engine_table(engines_doc(), "m.yaml").efficiency(
        h100, "myvllm").moe_matmul_ratio == 1.0  # unset: experts as efficient as dense GEMMs
    with pytest.raises(ProfileError, match=r"field 'moe_matmul_ratio'"):
        parse_engine_table(engines_doc(moe_matmul_ratio=0.0), "m.yaml")


def test_missing_engine_field_is_named() -> None:
    doc = engines_doc()
    del doc["engines"][0]["kv_block_tokens"]
    with pytest.raises(ProfileError, match=r"mine\.yaml: field 'engines\.0\.kv_block_tokens'"):
        parse_engine_table(doc, "mine.yaml")


@pytest.mark.parametrize(("field", "value"), [
    ("matmul_eff", 1.5), ("mem_eff", 0.0), ("step_overhead_s", -1.0),
])
def test_out_of_range_efficiency_is_named(field: str, value: float) -> None:
    doc = engines_doc()
    doc["efficiencies"][0][field] = value
    with pytest.raises(ProfileError, match=rf"field 'efficiencies\.0\.{field}'"):
        parse_engine_table(doc, "mine.yaml")


def test_unknown_field_is_rejected() -> None:
    doc = engines_doc()
    doc["engines"][0]["max_batch_sequences"] = 128  # a typo of max_batch_seqs
    with pytest.raises(ProfileError, match="max_batch_sequences"):
        parse_engine_table(doc, "mine.yaml")


def test_rule_for_an_undefined_engine_is_rejected() -> None:
    doc = engines_doc()
    doc["efficiencies"][0]["engine"] = "tensorrt"
    with pytest.raises(ProfileError, match=r"efficiencies\[0\]\.engine 'tensorrt' is not defined"):
        parse_engine_table(doc, "mine.yaml")


def test_default_engine_must_be_a_vendor_and_a_defined_engine() -> None:
    with pytest.raises(ProfileError, match=r"default_engine\.nvidia = 'trtllm'"):
        parse_engine_table(engines_doc(default_engine={"nvidia": "trtllm"}), "mine.yaml")
    with pytest.raises(ProfileError, match=r"default_engine\.nvida"):
        parse_engine_table(engines_doc(default_engine={"nvida": "myvllm"}), "mine.yaml")


def test_no_rule_for_the_accelerator_is_a_profile_error() -> None:
    table = parse_engine_table(engines_doc(), "mine.yaml")
    with pytest.raises(ProfileError, match="no efficiency for mi300x"):
        table.efficiency(load_catalog().accelerator("mi300x"), "myvllm")


def test_vendor_without_a_default_engine_is_a_fleetmix_error() -> None:
    table = parse_engine_table(engines_doc(default_engine={"nvidia": "myvllm"}), "mine.yaml")
    with pytest.raises(FleetmixError):
        table.default_for(load_catalog().accelerator("mi300x"))


def test_load_engine_table_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "engines.yaml"
    bad.write_text("engines: [unclosed\n")
    with pytest.raises(ProfileError, match=r"engines\.yaml: not valid YAML"):
        load_engine_table(bad)
    with pytest.raises(ProfileError, match=r"missing\.yaml: cannot read"):
        load_engine_table(tmp_path / "missing.yaml")


def test_shipped_defaults_per_vendor() -> None:
    table, catalog = shipped_engine_table(), load_catalog()
    expected = {"h100-sxm": "trtllm", "b200": "trtllm", "mi300x": "vllm", "tpu-v6e": "jetstream",
                "trainium2": "neuron", "gaudi3": "vllm-gaudi", "maia-200": "maia"}
    for acc_id, engine in expected.items():
        assert table.default_for(catalog.accelerator(acc_id)).id == engine


def test_accelerator_rule_wins_over_the_vendor_rule() -> None:
    table, catalog = shipped_engine_table(), load_catalog()
    # TRT-LLM has a B200/GB200 rule listed before its NVIDIA-wide rule
    b200 = table.efficiency(catalog.accelerator("b200"), "trtllm")
    h100 = table.efficiency(catalog.accelerator("h100-sxm"), "trtllm")
    assert (b200.matmul_eff, b200.step_overhead_s) == (0.40, 0.005)
    assert (h100.matmul_eff, h100.step_overhead_s) == (0.55, 0.0015)


def test_every_engine_has_an_efficiency_on_every_chip_it_runs_on() -> None:
    table = shipped_engine_table()
    for acc in load_catalog().accelerators.values():
        for engine in table.engines.values():
            if acc.vendor in engine.vendors:
                eff = table.efficiency(acc, engine.id)
                assert eff.source, (acc.id, engine.id)
        assert acc.vendor in table.engine(table.default_for(acc).id).vendors


def test_unknown_engine_suggests() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'sglang'"):
        shipped_engine_table().engine("sglan")


@pytest.mark.parametrize(("field", "value"), [
    ("matmul_eff", 0.0), ("attn_eff", 1.01), ("seq_overhead_s", -1e-6), ("moe_matmul_ratio", 0.0),
])
def test_efficiency_record_checks_its_ranges(field: str, value: float) -> None:
    fields: dict[str, Any] = {
        "matmul_eff": 0.5, "attn_eff": 0.5, "mem_eff": 0.8, "comm_eff": 0.7,
        "step_overhead_s": 0.001, "seq_overhead_s": 0.0, "collective_latency_s": 1e-5,
        "fitted": False, "source": "test",
    }
    with pytest.raises(ValueError, match=field):
        Efficiency(**(fields | {field: value}))
