"""Accelerator profiles: schema, atomic writes, catalog matching, and what applying one yields."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from profile_helpers import cpu_profile_doc, make_profile_doc, write_profile

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.errors import InputError, ProfileError
from fleetmix.perf import make_deployment, shipped_engine_table, step_breakdown
from fleetmix.perf import profile as profile_mod
from fleetmix.perf.profile import (
    AcceleratorProfile,
    apply_profile,
    load_profile,
    match_catalog_id,
    own_accelerator,
)


@pytest.mark.parametrize(("name", "acc_id"), [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    ("NVIDIA H100 SXM5 80GB", "h100-sxm"),
    ("NVIDIA H100 PCIe", None),  # other clocks and bandwidth: not the catalog's SXM part
    ("NVIDIA H200", "h200"),
    ("NVIDIA H200 NVL", None),
    ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
    ("AMD Instinct MI300X", "mi300x"),
    ("NVIDIA B200", "b200"),
    ("AMD EPYC 7763 64-Core Processor (2 threads)", None),
])
def test_device_names_match_catalog_ids(name: str, acc_id: str | None) -> None:
    assert match_catalog_id(name) == acc_id


def test_profile_round_trips_through_yaml(tmp_path: Path) -> None:
    doc = make_profile_doc()
    loaded = load_profile(write_profile(doc, tmp_path / "h100.yaml"))
    assert loaded.doc == doc
    assert loaded.accelerator_id == "h100-sxm" and loaded.origin == str(tmp_path / "h100.yaml")


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_profile(make_profile_doc(), tmp_path / "p.yaml")
    before = path.read_text()

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk full")
    monkeypatch.setattr(profile_mod.yaml, "safe_dump", broken)
    with pytest.raises(RuntimeError):
        profile_mod.save_profile(cpu_profile_doc(), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


def _edited(tmp_path: Path, edit: dict[str, object]) -> Path:
    data = make_profile_doc().model_dump(mode="json")
    for dotted, value in edit.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("edit", "needles"), [
    ({"derived.weight_bytes_per_s": -1.0},
     ("field 'derived.weight_bytes_per_s'", "greater than 0", "-1.0")),
    ({"device.name": None}, ("field 'device.name'", "Field required")),
    ({"device.type": "tpu"}, ("field 'device.type'", "'cuda', 'rocm', 'xpu' or 'cpu'")),
    ({"derived.matmul_flops_per_s": {"fp32": 1e9}},
     ("field 'derived.matmul_flops_per_s'", "bf16")),
    ({"device.vendor": "ibm"}, ("field 'device.vendor'", "'ibm'")),
    ({"fleetmix_profile": 2}, ("field 'fleetmix_profile'",)),
])
def test_malformed_profile_names_file_and_field(tmp_path: Path, edit: dict[str, object],
                                                needles: tuple[str, ...]) -> None:
    path = _edited(tmp_path, edit)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for needle in needles:
        assert needle in message, message


def test_unreadable_and_non_yaml_profiles(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("device: [unclosed")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(bad)


def test_catalog_device_gets_fractions_of_published_peaks() -> None:
    cat = load_catalog()
    profile = AcceleratorProfile(doc=make_profile_doc(), origin="h100.yaml")
    target = apply_profile(profile, cat.accelerators, precision="bf16")
    eff = target.efficiency
    assert target.accelerator is cat.accelerators["h100-sxm"] and target.engine == "trtllm"
    assert eff.matmul_eff == pytest.approx(600e12 / 989e12)
    assert eff.attn_eff == pytest.approx(400e12 / 989e12)
    assert eff.mem_eff == pytest.approx(2.8e12 / 3.35e12)
    assert eff.kv_read_eff == pytest.approx(2.0e12 / 3.35e12)
    shipped = shipped_engine_table().efficiency(target.accelerator, "trtllm")
    assert eff.step_overhead_s == shipped.step_overhead_s  # host overheads: not measured
    assert eff.comm_eff == shipped.comm_eff  # one device: no all-reduce measured
    assert eff.fitted and "calibrated: h100.yaml" in eff.source
    fp8 = apply_profile(profile, cat.accelerators, precision="fp8").efficiency
    assert fp8.matmul_eff == pytest.approx(1100e12 / 1979e12)


def test_rate_above_the_published_peak_is_capped_and_said() -> None:
    profile = AcceleratorProfile(doc=make_profile_doc(matmul_flops_per_s={"bf16": 1200e12}),
                                 origin="p.yaml")
    target = apply_profile(profile, load_catalog().accelerators, precision="bf16")
    assert target.efficiency.matmul_eff == 1.0
    assert "bf16 matmul measured 1.21x the published peak" in target.efficiency.source
    fp8 = apply_profile(profile, load_catalog().accelerators, precision="fp8").efficiency
    assert fp8.matmul_eff == shipped_engine_table().efficiency(
        target.accelerator, "trtllm").matmul_eff  # fp8 not measured: kept
    assert "fp8 matmul not measured" in fp8.source


def test_device_the_catalog_lacks_becomes_its_own_accelerator() -> None:
    profile = AcceleratorProfile(doc=cpu_profile_doc(), origin="cpu.yaml")
    acc = own_accelerator(profile)
    assert acc.id == "amd-epyc-2-threads-cpu" and acc.vendor == "amd"
    assert dict(acc.peak_flops_per_s) == {"bf16": 25e9}  # attention beat the GEMMs
    assert acc.mem_bw_bytes_per_s == 15e9 and acc.scaleup_bw_bytes_per_s is None
    target = apply_profile(profile, load_catalog().accelerators, precision="bf16")
    assert target.accelerator == acc and target.engine == "vllm"
    eff = target.efficiency
    # rates come back exactly: peak × efficiency
    assert acc.peak_flops_per_s["bf16"] * eff.matmul_eff == pytest.approx(20e9)
    assert acc.mem_bw_bytes_per_s * eff.mem_eff == pytest.approx(10e9)
    assert acc.mem_bw_bytes_per_s * eff.kv_read_eff == pytest.approx(0.5e9)
    assert eff.attn_eff == 1.0


def test_profile_must_name_a_vendor_and_match_the_accelerator_asked_for() -> None:
    cat = load_catalog()
    nameless = AcceleratorProfile(doc=cpu_profile_doc().model_copy(
        update={"device": cpu_profile_doc().device.model_copy(update={"vendor": None})}),
        origin="cpu.yaml")
    with pytest.raises(ProfileError, match=r"field 'device\.vendor' is null"):
        apply_profile(nameless, cat.accelerators, precision="bf16")
    h100 = AcceleratorProfile(doc=make_profile_doc(), origin="h100.yaml")
    assert apply_profile(h100, cat.accelerators, precision="bf16",
                         accelerator="H100").accelerator.id == "h100-sxm"
    with pytest.raises(InputError, match="--accelerator 'mi300x'"):
        apply_profile(h100, cat.accelerators, precision="bf16", accelerator="mi300x")


def test_kv_reads_use_their_own_bandwidth_in_decode() -> None:
    """Decode attention of llama-3.2-1b on the CPU profile, by hand: memory-bound at 0.5 GB/s."""
    arch = load_arch("llama-3.2-1b")
    profile = AcceleratorProfile(doc=cpu_profile_doc(), origin="cpu.yaml")
    target = apply_profile(profile, load_catalog().accelerators, precision="bf16")
    dep = make_deployment(arch, target.accelerator, tp=1, pp=1, ep=1, precision="bf16",
                          engine=target.engine, efficiency=target.efficiency)
    parts = step_breakdown(dep, decode_seqs=8, decode_context_tokens=512)
    kv_bytes_per_token_layer = 8 * (64 + 64) * 2.0  # kv heads × (K + V) × bf16
    expected_s = arch.num_layers * kv_bytes_per_token_layer * 8 * 512 / 0.5e9
    assert float(parts.attention_s) == pytest.approx(expected_s)
