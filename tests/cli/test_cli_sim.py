"""`fleetmix trace info`, `simulate`, `capacity` and `validate --serving`."""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_user_error, invoke, json_of

REPO = Path(__file__).resolve().parents[2]
AZURE_CONV = REPO / "src" / "fleetmix" / "workload" / "data" / "AzureLLMInferenceTrace_conv.csv"
LLAMA_8B_ON_H100 = ("--arch", "llama-3.1-8b", "--accelerator", "h100-sxm")
SIM_KEYS = {
    "requests", "completed", "ttft_s", "tpot_s", "e2e_s", "throughput_output_tokens_per_s",
    "simulated_s", "wall_s", "preemptions",
}
LATENCY_KEYS = {"mean", "p50", "p90", "p99"}










def simulate_json(*args: str) -> dict[str, Any]:
    return json_of("simulate", *LLAMA_8B_ON_H100, *args)


def azure_conv_mean_rate_rps() -> tuple[int, float]:
    """(rows, rows / (last - first timestamp)), read straight from the shipped CSV."""
    with AZURE_CONV.open(encoding="utf-8-sig", newline="") as fh:
        stamps = [row["TIMESTAMP"] for row in csv.DictReader(fh)]
    span_s = (datetime.fromisoformat(stamps[-1]) - datetime.fromisoformat(stamps[0]))
    return len(stamps), len(stamps) / span_s.total_seconds()


def test_trace_info_reports_the_azure_conv_size_and_mean_rate() -> None:
    doc = json_of("trace", "info", "azure-conv")
    rows, rate_rps = azure_conv_mean_rate_rps()
    assert rows == 19_366
    assert doc["name"] == "azure-conv"
    assert doc["requests"] == rows
    assert doc["mean_rate_rps"] == pytest.approx(rate_rps, rel=1e-6)


def test_simulate_a_trace_prefix_completes_every_request() -> None:
    doc = simulate_json("--trace", "azure-conv", "--requests", "300")
    assert set(doc) >= SIM_KEYS
    for latency in ("ttft_s", "tpot_s", "e2e_s"):
        assert set(doc[latency]) >= LATENCY_KEYS, latency
        assert 0 < doc[latency]["p50"] <= doc[latency]["p99"], latency
    assert doc["requests"] == doc["completed"] == 300
    assert doc["throughput_output_tokens_per_s"] > 0 and doc["simulated_s"] > 0
    assert doc["deployment"]["arch"] == "llama-3.1-8b"
    assert doc["slo_met"] is None  # no SLO given


def test_simulate_closed_loop_measures_every_request() -> None:
    # The CLI passes no warm-up to simulate_clients, so all 40 requests are measured.
    doc = simulate_json("--isl", "512", "--osl", "128", "--concurrency", "4",
                        "--requests", "40")
    assert doc["requests"] == doc["completed"] == 40
    assert doc["rejected"] == 0


def test_simulate_poisson_stream_of_fixed_shape_requests() -> None:
    doc = simulate_json("--isl", "512", "--osl", "128", "--rate", "5", "--requests", "50")
    assert doc["requests"] == doc["completed"] == 50
    assert doc["simulated_s"] > 0


@pytest.mark.parametrize(("args", "needle"), [
    (("--trace", "azure-conv", "--concurrency", "4"), "--concurrency (closed loop) excludes"),
    (("--trace", "azure-conv", "--isl", "512"), "--trace brings its own lengths"),
    ((), "give --trace [--rate], or --isl --osl --rate"),
    (("--isl", "512", "--osl", "128"), "give --trace [--rate], or --isl --osl --rate"),
    (("--concurrency", "4", "--isl", "512"), "--concurrency needs --isl and --osl"),
])
def test_simulate_rejects_conflicting_or_missing_traffic(args: tuple[str, ...],
                                                         needle: str) -> None:
    result = invoke("simulate", *LLAMA_8B_ON_H100, *args)
    assert_user_error(result, "InputError", needle)


def test_simulate_unknown_router_lists_the_choices() -> None:
    result = invoke("simulate", *LLAMA_8B_ON_H100, "--trace", "azure-conv", "--router", "random")
    assert_user_error(result, "--router 'random'", "round-robin", "least-outstanding-tokens")


def test_simulate_with_an_slo_says_whether_it_was_met() -> None:
    doc = simulate_json("--trace", "azure-conv", "--requests", "100", "--slo-tpot-p99", "0.2",
                        "--slo-ttft-p90", "5")
    assert isinstance(doc["slo_met"], bool)
    assert "TPOT p99" in doc["slo"] and "TTFT p90" in doc["slo"]



@pytest.mark.parametrize("slo", [
    ("--slo-ttft-p99", "1", "--slo-tpot-p99", "0.2"),
    ("--slo-tpot-p99", "0.2"),
], ids=["ttft+tpot", "tpot-only"])
def test_capacity_is_searched_once_then_read_from_the_cache(
        slo: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETMIX_CACHE_DIR", str(tmp_path))
    args = ("capacity", *LLAMA_8B_ON_H100, "--trace", "azure-conv", *slo, "--requests", "200")
    first = json_of(*args)
    assert math.isfinite(first["max_rate_rps"]) and first["max_rate_rps"] > 0
    assert first["cached"] is False
    assert first["trace"] == "azure-conv" and first["requests_per_probe"] == 200
    assert list((tmp_path / "capacity").glob("*.json"))
    second = json_of(*args)
    assert second["cached"] is True
    assert second["max_rate_rps"] == first["max_rate_rps"]
    # a cached answer reports the same latencies as the search that produced it
    assert second["ttft_s"] == first["ttft_s"] and second["tpot_s"] == first["tpot_s"]


def test_capacity_without_an_slo_is_an_error() -> None:
    result = invoke("capacity", *LLAMA_8B_ON_H100, "--trace", "azure-conv")
    assert_user_error(result, "capacity needs an SLO", "--slo-ttft-pXX")


def test_validate_serving_json_reports_median_errors() -> None:
    doc = json_of("validate", "--serving")
    assert doc["median_abs_error_tpot"] <= 0.15
    ttft = doc["median_abs_error_ttft"]
    assert isinstance(ttft, float) and math.isfinite(ttft)
    assert doc["rows"]


def test_malformed_trace_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                   "2023-11-16 18:15:46.6805900,374,44\n"
                   "2023-11-16 18:15:50.9951690,-5,109\n")
    result = invoke("simulate", *LLAMA_8B_ON_H100, "--trace", bad)
    assert_user_error(result, "TraceError", "bad.csv, line 3", "negative token count -5")
