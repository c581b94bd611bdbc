"""One deployment's estimate: layout search, fit errors, energy and cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleetmix.arch import load_arch
from fleetmix.catalog import load_catalog
from fleetmix.errors import (
    DoesNotFitError,
    InputError,
    TargetUnreachableError,
    UnknownNameError,
)
from fleetmix.perf import Estimate, Price, candidate_layouts, estimate, make_deployment
from fleetmix.perf.throughput import operating_point

ESTIMATE_KEYS = {
    "arch", "accelerator", "chips", "tp", "pp", "ep", "precision", "engine", "fits",
    "kv_cache_tokens", "max_batch", "throughput_output_tokens_per_s", "ttft_s", "tpot_s",
    "tokens_per_joule", "usd_per_million_output_tokens",
}


def run(arch: str = "llama-3.1-8b", accelerator: str = "h100-sxm", *, chips: int = 1,
        precision: str = "fp8", isl: int = 1000, osl: int = 1000, **kwargs: Any) -> Estimate:
    acc = load_catalog().accelerator(accelerator)
    return estimate(load_arch(arch), acc, chips=chips, precision=precision, isl=isl, osl=osl,
                    **kwargs)


def quote(usd_per_chip_hour: float = 3.0) -> Price:
    return Price(usd_per_chip_hour=usd_per_chip_hour, offering="user", tier="quoted")


def test_to_dict_is_json_with_the_documented_keys() -> None:
    est = run(price=quote())
    row = json.loads(json.dumps(est.to_dict()))
    assert set(row) >= ESTIMATE_KEYS
    assert (row["arch"], row["accelerator"], row["chips"], row["precision"], row["engine"]) == (
        "llama-3.1-8b", "h100-sxm", 1, "fp8", "trtllm")
    assert row["fits"] is True
    assert row["tp"] * row["pp"] == row["chips"]
    assert 1 <= row["operating_batch"] <= row["max_batch"]
    assert row["throughput_output_tokens_per_s"] > 0 and row["ttft_s"] > 0 and row["tpot_s"] > 0


def test_usd_per_million_tokens_from_the_chip_hour_price() -> None:
    est = run(chips=2, price=quote(3.0))
    # 2 chips x $3/h = $6/h; per second $6/3600; per output token divided by tokens/s
    expected = 3.0 * 2 / 3600 / est.throughput_output_tokens_per_s * 1e6
    assert est.usd_per_million_output_tokens == pytest.approx(expected, rel=1e-12)
    assert (est.usd_per_chip_hour, est.price_offering, est.price_tier) == (3.0, "user", "quoted")
    assert run().usd_per_million_output_tokens is None


def test_unconfirmed_price_is_listed_as_an_assumption() -> None:
    price = Price(usd_per_chip_hour=2.0, offering="vultr/x/y", tier="on_demand",
                  confirmed=False)
    est = run(price=price)
    assert any("vultr/x/y is unconfirmed" in a for a in est.assumptions)


def test_tokens_per_joule_on_an_h100_is_throughput_over_tdp() -> None:
    est = run(chips=2)
    assert est.power_w == 2 * 700.0
    assert est.tokens_per_joule == pytest.approx(est.throughput_output_tokens_per_s / (2 * 700))


def test_tokens_per_joule_is_unknown_without_a_published_tdp() -> None:
    est = run("llama-3.2-1b", "tpu-v5e", precision="bf16")
    assert est.power_w is None and est.tokens_per_joule is None
    assert any("TDP" in a for a in est.assumptions)


def test_does_not_fit_names_the_gigabytes() -> None:
    with pytest.raises(DoesNotFitError, match=r"needs \d+\.\d GB per chip") as info:
        run("llama-3.1-405b", precision="bf16")
    message = str(info.value)
    assert "GB usable" in message and "2000 tokens" in message


def test_layout_search_fits_405b_fp8_on_eight_h100() -> None:
    est = run("llama-3.1-405b", chips=8)
    assert est.fits and est.chips == 8 and est.tp * est.pp == 8
    # 405B at fp8 is ~406 GB: ~51 GB per chip of the 72 GB usable
    assert 49 < est.weight_gb_per_chip < 53
    for tp in (2, 4, 8):
        other = run("llama-3.1-405b", chips=8, tp=tp)
        assert est.throughput_output_tokens_per_s >= other.throughput_output_tokens_per_s


def test_tp_that_does_not_divide_the_chips_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no valid layout of 8 chips"):
        run(chips=8, tp=3)


def test_precision_the_chip_lacks_names_what_it_has() -> None:
    with pytest.raises(InputError, match="h100-sxm does not support precision 'fp4'") as info:
        run(precision="fp4")
    assert "fp8, bf16" in str(info.value)


def test_engine_for_another_vendor_is_an_input_error() -> None:
    with pytest.raises(InputError, match="trtllm") as info:
        run(accelerator="mi300x", engine="trtllm")
    assert "nvidia" in str(info.value)


def test_unknown_engine_suggests_a_name() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'vllm'"):
        run(engine="vlm")


@pytest.mark.parametrize(("isl", "osl"), [(0, 100), (100, 0)])
def test_empty_requests_are_input_errors(isl: int, osl: int) -> None:
    with pytest.raises(InputError, match=r"must be >= 1"):
        run(isl=isl, osl=osl)


def test_concurrency_sets_the_operating_batch() -> None:
    est = run(concurrency=4)
    assert est.operating_batch == 4
    assert est.throughput_output_tokens_per_s == pytest.approx(4 / est.tpot_s)
    # concurrency above the limit is capped at max_batch
    capped = run(isl=4000, osl=50, concurrency=10_000)
    assert capped.operating_batch == capped.max_batch == 101


def test_batch1_latencies_match_a_single_request() -> None:
    est = run()
    arch, acc = load_arch("llama-3.1-8b"), load_catalog().accelerator("h100-sxm")
    dep = make_deployment(arch, acc, tp=1, pp=1, ep=1, precision="fp8")
    single = operating_point(dep, 1000, 1000, 1)
    assert est.tpot_s_batch1 == pytest.approx(single.tpot_s)
    # the client-visible TTFT adds the server's per-request overhead to the engine's prefill
    overhead = dep.efficiency.request_overhead_s
    assert overhead > 0
    assert est.ttft_s_batch1 == pytest.approx(single.ttft_s + overhead)
    assert est.tpot_s >= est.tpot_s_batch1


def test_candidate_layouts_dense() -> None:
    arch, acc = load_arch("llama-3.1-8b"), load_catalog().accelerator("h100-sxm")
    assert candidate_layouts(arch, acc, 8) == [(1, 8, 1), (2, 4, 1), (4, 2, 1), (8, 1, 1)]
    assert candidate_layouts(arch, acc, 8, tp=4) == [(4, 2, 1)]
    assert candidate_layouts(arch, acc, 6) == [(1, 6, 1), (2, 3, 1)]  # 3 and 6 split no heads


def test_candidate_layouts_respect_the_scaleup_domain_and_experts() -> None:
    catalog = load_catalog()
    # TPU v7 scale-up domain counted as 4 chips: tp 8 is out
    tpu = candidate_layouts(load_arch("llama-3.1-8b"), catalog.accelerator("tpu-v7"), 8)
    assert max(t for t, _, _ in tpu) == 4
    # Mixtral (8 experts) on 4 chips of tp 4: ep 1, 2 or 4
    moe = candidate_layouts(load_arch("mixtral-8x7b"), catalog.accelerator("h100-sxm"), 4, tp=4)
    assert moe == [(4, 1, 1), (4, 1, 2), (4, 1, 4)]


def test_tpot_target_picks_a_smaller_batch() -> None:
    free = run()
    target_s = free.tpot_s / 2
    bounded = run(max_tpot_s=target_s)
    assert bounded.tpot_s <= target_s
    assert bounded.operating_batch < free.operating_batch
    assert bounded.throughput_output_tokens_per_s <= free.throughput_output_tokens_per_s


def test_unreachable_tpot_target_says_how_fast_batch1_is() -> None:
    # 8B at fp8 streams ~9 GB per token from 3.35 TB/s: no batch gets under 1 ms
    with pytest.raises(TargetUnreachableError, match=r"fastest is \d+\.\d ms at batch 1"):
        run(max_tpot_s=0.001)
    # a layout that does not fit is still reported as not fitting
    with pytest.raises(DoesNotFitError):
        run("llama-3.1-405b", precision="bf16", max_tpot_s=0.001)
