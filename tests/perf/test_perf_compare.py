"""Ranking accelerators for one arch on a small fixture catalog."""

from __future__ import annotations

import dataclasses
import functools

import pytest

from fleetmix.arch import load_arch
from fleetmix.catalog import Accelerator, Catalog, load_catalog
from fleetmix.perf import Comparison, catalog_price, compare, default_precision
from fleetmix.perf.compare import chip_counts


def t4_like() -> Accelerator:
    """A 16 GB, bf16-only inference card with no scale-up link (NVIDIA T4-like)."""
    base = load_catalog().accelerator("l40s")
    return dataclasses.replace(
        base, id="t4-like", name="T4-like 16 GB", peak_flops_per_s={"bf16": 65e12},
        mem_bytes=16e9, mem_bw_bytes_per_s=320e9, scaleup_bw_bytes_per_s=None,
        scaleup_domain_chips=1, scaleup_link="none", tdp_w=70.0, aliases=(), sources={},
    )


def small_catalog() -> Catalog:
    """H100 (priced), MI300X (unconfirmed prices), GB200 (no offering) and a T4-like card."""
    shipped = load_catalog()
    ids = ("h100-sxm", "mi300x", "gb200")
    accelerators = {i: shipped.accelerators[i] for i in ids} | {"t4-like": t4_like()}
    offerings = tuple(o for o in shipped.offerings if o.accelerator in ids)
    return Catalog(accelerators=accelerators, offerings=offerings)


@functools.cache
def compare_8b() -> Comparison:
    return compare(load_arch("llama-3.1-8b"), small_catalog(), isl=1000, osl=1000)


def test_rows_rank_by_usd_per_million_with_unpriced_last() -> None:
    result = compare_8b()
    ids = [r.accelerator for r in result.rows]
    assert sorted(ids) == ["gb200", "h100-sxm", "mi300x", "t4-like"]
    costs = [r.usd_per_million_output_tokens for r in result.rows]
    priced = [c for c in costs if c is not None]
    assert costs[:len(priced)] == priced  # unpriced rows come after every priced one
    assert priced == sorted(priced) and len(priced) == 2
    # unpriced rows rank by output tokens/s per chip: a GB200 far ahead of a 16 GB card
    assert ids[2:] == ["gb200", "t4-like"]
    assert result.sort_key == "usd_per_million_output_tokens"
    assert result.skipped == ()


def test_row_cost_uses_the_cheapest_chip_hour() -> None:
    catalog = small_catalog()
    for row in compare_8b().rows:
        listed = [o.prices_usd_per_hour["on_demand"] / o.chips
                  for o in catalog.offerings_for(row.accelerator)
                  if "on_demand" in o.prices_usd_per_hour]
        if not listed:
            assert row.usd_per_million_output_tokens is None
            continue
        usd = min(listed)  # H100: Lambda 8x at $31.92/h = $3.99 per chip-hour
        assert row.usd_per_chip_hour == pytest.approx(usd)
        expected = usd * row.chips / 3600 / row.throughput_output_tokens_per_s * 1e6
        assert row.usd_per_million_output_tokens == pytest.approx(expected, rel=1e-12)


def test_a_card_too_small_for_one_replica_is_pipelined_over_several() -> None:
    (t4,) = [r for r in compare_8b().rows if r.accelerator == "t4-like"]
    # 8B in bf16 is 16.06 GB of weights against 16 GB x 0.9 usable: at least 2 stages
    assert t4.precision == "bf16" and t4.tp == 1 and t4.pp >= 2


def test_an_accelerator_where_nothing_fits_is_skipped_with_the_reason() -> None:
    catalog = Catalog(accelerators={"t4-like": t4_like()}, offerings=())
    result = compare(load_arch("llama-3.1-405b"), catalog, isl=1000, osl=1000)
    # 810 GB of bf16 weights over at most 16 cards of 14.4 GB usable
    assert result.rows == ()
    ((acc_id, reason),) = result.skipped
    assert acc_id == "t4-like"
    assert "does not fit" in reason and "GB usable" in reason


def test_precision_the_chip_lacks_is_skipped() -> None:
    result = compare(load_arch("llama-3.2-1b"), small_catalog(), isl=500, osl=500,
                     precision="fp4", vendors=["nvidia"])
    assert [r.accelerator for r in result.rows] == ["gb200"]  # the only chip with fp4
    reasons = dict(result.skipped)
    assert reasons == {"h100-sxm": "no fp4 support (has fp8, bf16)",
                       "t4-like": "no fp4 support (has bf16)"}


def test_vendor_filter() -> None:
    result = compare(load_arch("llama-3.2-1b"), small_catalog(), isl=500, osl=500,
                     vendors=["amd"])
    assert [r.accelerator for r in result.rows] == ["mi300x"]
    assert result.skipped == ()


def test_tpot_target_holds_for_every_row() -> None:
    result = compare(load_arch("llama-3.2-1b"), small_catalog(), isl=500, osl=500,
                     max_tpot_s=0.010)
    assert result.rows
    assert all(r.tpot_s <= 0.010 for r in result.rows)


def test_unconfirmed_price_is_flagged_on_the_row() -> None:
    (mi300x,) = [r for r in compare_8b().rows if r.accelerator == "mi300x"]
    assert any("unconfirmed" in a for a in mi300x.assumptions)


def test_catalog_price_is_the_cheapest_in_the_tier() -> None:
    catalog = load_catalog()
    price = catalog_price(catalog, "h100-sxm")
    assert price is not None
    assert price.offering == "lambda/us-east-1/gpu_8x_h100_sxm5"
    assert price.usd_per_chip_hour == pytest.approx(31.92 / 8)  # $31.92/h for 8 H100s
    assert catalog_price(catalog, "gb200") is None


def test_default_precision_and_chip_counts() -> None:
    catalog = load_catalog()
    assert default_precision(catalog.accelerator("h100-sxm")) == "fp8"
    assert default_precision(catalog.accelerator("tpu-v5e")) == "bf16"
    assert default_precision(catalog.accelerator("maia-200")) == "fp8"
    # powers of two up to 16 chips (pipelines span scale-up domains), and 12 for 12-chip hosts
    assert chip_counts(catalog.accelerator("h100-sxm")) == [1, 2, 4, 8, 16]
    assert chip_counts(catalog.accelerator("gb200")) == [1, 2, 4, 8, 16]
    assert chip_counts(catalog.accelerator("inferentia2")) == [1, 2, 4, 8, 12, 16]
