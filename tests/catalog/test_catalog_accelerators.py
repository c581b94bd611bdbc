"""The shipped accelerator table: coverage, sources on every number, units, and schema errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from fleetmix.catalog import Accelerator, load_accelerators, load_catalog
from fleetmix.errors import CatalogError, UnknownNameError

# fmt: off
REQUIRED_IDS = (
    "a100-40gb", "a100-80gb", "h100-sxm", "h200", "b200", "gb200", "l40s",
    "mi300x", "mi325x", "mi355x", "maia-100", "maia-200",
    "trainium", "trainium2", "inferentia2", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7",
    "gaudi2", "gaudi3",
)
# fmt: on
# Scalar numeric fields of Accelerator; peak_flops_per_s is checked per precision.
NUMERIC_FIELDS = (
    "mem_bytes",
    "mem_bw_bytes_per_s",
    "scaleup_bw_bytes_per_s",
    "scaleup_domain_chips",
    "tdp_w",
    "year",
)
GIB = 2**30


def test_shipped_catalog_has_every_required_accelerator() -> None:
    catalog = load_catalog()
    assert set(REQUIRED_IDS) <= set(catalog.accelerators)
    assert catalog.vendors() == ("nvidia", "amd", "microsoft", "aws", "google", "intel")


def test_numeric_field_list_covers_the_record() -> None:
    numeric = {
        f.name
        for f in dataclasses.fields(Accelerator)
        if any(t in str(f.type) for t in ("float", "int")) and f.name != "peak_flops_per_s"
    }
    assert numeric == set(NUMERIC_FIELDS)


@pytest.mark.parametrize("acc_id", REQUIRED_IDS)
def test_every_number_has_a_source_and_date(acc_id: str) -> None:
    acc = load_catalog().accelerator(acc_id)
    keys = [f"peak_flops_per_s.{p}" for p in acc.peak_flops_per_s] + list(NUMERIC_FIELDS)
    for key in keys:
        source = acc.sources[key]
        assert source.source.strip(), (acc_id, key)
        assert isinstance(source.as_of, dt.date), (acc_id, key)
        assert dt.date(2020, 1, 1) <= source.as_of <= dt.date(2026, 11, 25), (acc_id, key)


def test_values_match_the_reference_table() -> None:
    catalog = load_catalog()
    assert catalog.accelerator("h100-sxm").peak_flops_per_s["bf16"] == 989e12
    assert catalog.accelerator("h100-sxm").peak_flops_per_s["fp8"] == 1979e12
    assert catalog.accelerator("h100-sxm").mem_bw_bytes_per_s == pytest.approx(3.35e12)
    assert catalog.accelerator("mi300x").mem_bytes == 192e9
    assert catalog.accelerator("mi300x").scaleup_bw_bytes_per_s == 896e9
    assert catalog.accelerator("trainium2").mem_bytes == 96 * GIB
    assert catalog.accelerator("tpu-v7").mem_bytes == 192 * GIB
    assert catalog.accelerator("b200").mem_bytes == 180e9  # usable, not the 192 physical
    assert catalog.accelerator("gaudi3").peak_flops_per_s["bf16"] == 1677e12  # planning clock
    assert catalog.accelerator("a100-40gb").mem_bw_bytes_per_s == pytest.approx(1.555e12)
    assert catalog.accelerator("gb200").scaleup_domain_chips == 72
    assert catalog.accelerator("l40s").scaleup_bw_bytes_per_s == 64e9


def test_precisions_follow_what_the_vendor_lists() -> None:
    catalog = load_catalog()
    assert catalog.accelerator("a100-80gb").precisions == ("bf16",)
    assert catalog.accelerator("tpu-v5e").precisions == ("bf16",)
    assert catalog.accelerator("maia-100").precisions == ("bf16",)
    assert catalog.accelerator("mi355x").precisions == ("fp4", "fp8", "bf16")
    maia200 = catalog.accelerator("maia-200")
    assert maia200.precisions == ("fp4", "fp8")
    assert not maia200.sources["peak_flops_per_s.fp8"].confirmed
    assert "not published" in maia200.sources["peak_flops_per_s.bf16"].note


def test_unknowns_are_none_or_marked_unconfirmed() -> None:
    catalog = load_catalog()
    for acc_id in ("tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7", "trainium", "trainium2"):
        assert catalog.accelerator(acc_id).tdp_w is None
    maia = catalog.accelerator("maia-200")
    assert maia.scaleup_domain_chips == 1
    assert not maia.sources["scaleup_domain_chips"].confirmed


def test_sources_cite_and_date_the_reference() -> None:
    h100 = load_catalog().accelerator("h100-sxm")
    s1 = h100.sources["peak_flops_per_s.bf16"]
    assert s1.source.startswith("S1: stas00/ml-engineering")
    assert s1.as_of == dt.date(2026, 8, 1)
    assert "read on 2026-11-25" in load_catalog().accelerator("tpu-v6e").sources["mem_bytes"].source


@pytest.mark.parametrize(
    ("name", "acc_id"),
    [
        ("H100", "h100-sxm"),
        ("H100 SXM5", "h100-sxm"),
        ("h100_sxm", "h100-sxm"),
        ("A100", "a100-40gb"),
        ("A100-80GB", "a100-80gb"),
        ("TPU7x", "tpu-v7"),
        ("Trainium", "trainium"),
        ("Gaudi 3", "gaudi3"),
    ],
)
def test_aliases_resolve(name: str, acc_id: str) -> None:
    assert load_catalog().accelerator(name).id == acc_id


def test_unknown_accelerator_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match="h100-sxm"):
        load_catalog().accelerator("h100x")


CHIP_YAML = """\
sources:
  X1: {{citation: "vendor datasheet, https://example.com/x1.pdf", as_of: 2026-10-01}}
accelerators:
  - id: x1
    name: Example X1
    vendor: {vendor}
    aliases: [X1]
    peak_dense_tflops:
      bf16: {{value: 500, source: X1}}
    mem: {{value: 64, unit: {unit}, source: X1}}
    mem_bw: {{value: 2.0, unit: TB/s, source: {bw_source}}}
    scaleup_bw: {{value: 400, unit: GB/s, source: X1}}
    scaleup_domain_chips: {{value: 8, source: X1}}
    scaleup_link: Ethernet
    tdp_w: {{value: null, source: S1, note: "not published"}}
    year: {{value: 2026, source: X1}}
"""


def write_chip(
    tmp_path: Path, vendor: str = "amd", unit: str = "GB", bw_source: str = "X1"
) -> Path:
    path = tmp_path / "chips.yaml"
    path.write_text(CHIP_YAML.format(vendor=vendor, unit=unit, bw_source=bw_source))
    return path


def test_user_chip_file_loads_and_may_cite_shipped_sources(tmp_path: Path) -> None:
    catalog = load_catalog(extra_accelerators=[write_chip(tmp_path, unit="GiB")])
    x1 = catalog.accelerator("X1")
    assert x1.mem_bytes == 64 * GIB
    assert x1.sources["tdp_w"].source.startswith("S1: ")
    assert x1.sources["mem_bytes"].as_of == dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"unit": "gb"}, r"accelerator 'x1' \(entry 1\): field 'mem.unit'"),
        ({"bw_source": "S99"}, r"'x1': field 'mem_bw': source 'S99' is not in the sources table"),
        ({"vendor": "acme"}, r"'x1': vendor \('acme'\) must be one of"),
    ],
)
def test_schema_errors_name_file_accelerator_and_field(
    tmp_path: Path, kwargs: dict[str, str], expected: str
) -> None:
    path = write_chip(tmp_path, **kwargs)
    with pytest.raises(CatalogError, match=expected) as info:
        load_catalog(extra_accelerators=[path])
    assert str(path) in str(info.value)


def test_a_file_read_alone_knows_only_its_own_sources(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"field 'tdp_w': source 'S1' is not in the sources"):
        load_accelerators(write_chip(tmp_path))


def test_unknown_keys_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "chips.yaml"
    path.write_text(CHIP_YAML.format(vendor="amd", unit="GB", bw_source="X1") + "    hbm_gb: 64\n")
    with pytest.raises(CatalogError, match=r"field 'hbm_gb': Extra inputs are not permitted"):
        load_accelerators(path)


def test_user_alias_may_not_steal_a_shipped_name(tmp_path: Path) -> None:
    path = tmp_path / "chips.yaml"
    path.write_text(
        CHIP_YAML.format(vendor="amd", unit="GB", bw_source="X1").replace("[X1]", "[H100]")
    )
    with pytest.raises(CatalogError, match=r"'H100' of 'x1' is already used by 'h100-sxm'"):
        load_catalog(extra_accelerators=[path])
