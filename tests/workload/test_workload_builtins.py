"""The shipped Azure 2023 traces: row counts, order, and summaries checked independently."""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import statistics
from datetime import datetime
from importlib import resources

import numpy as np
import pytest

from fleetmix.workload import builtin_trace_names, load_trace

DATA = resources.files("fleetmix.workload") / "data"
FILES = {
    "azure-code": "AzureLLMInferenceTrace_code.csv",
    "azure-conv": "AzureLLMInferenceTrace_conv.csv",
}
# Data rows (header excluded). `wc -l` reports one fewer: the files end without a newline.
ROWS = {"azure-code": 8819, "azure-conv": 19366}


def read_rows(name: str) -> list[dict[str, str]]:
    text = (DATA / FILES[name]).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text[:26], "%Y-%m-%d %H:%M:%S.%f")  # %f takes 6 digits


def test_builtin_names() -> None:
    assert builtin_trace_names() == ("azure-code", "azure-conv")


@pytest.mark.parametrize("name", sorted(ROWS))
def test_row_counts_and_order(name: str) -> None:
    trace = load_trace(name)
    text = (DATA / FILES[name]).read_text(encoding="utf-8")
    assert len(text.splitlines()) - 1 == ROWS[name] == trace.num_requests
    assert trace.name == name
    assert trace.arrival_s[0] == 0.0
    assert np.all(np.diff(trace.arrival_s) >= 0)
    assert trace.notes[0].startswith("t=0 is the first request")  # nothing dropped or clamped
    assert len(trace.notes) == 1
    assert "CC-BY 4.0" in trace.source


@pytest.mark.parametrize("name", sorted(ROWS))
def test_summary_matches_independent_computation(name: str) -> None:
    rows = read_rows(name)
    inp = [int(r["ContextTokens"]) for r in rows]
    out = [int(r["GeneratedTokens"]) for r in rows]
    times = [parse_ts(r["TIMESTAMP"]) for r in rows]
    arrival = [(t - times[0]).total_seconds() for t in times]
    gaps = [b - a for a, b in itertools.pairwise(arrival)]
    peak = max(bisect.bisect_left(arrival, t + 60.0) - i for i, t in enumerate(arrival)) / 60.0

    s = load_trace(name).summary()
    approx = pytest.approx
    assert s["requests"] == len(rows)
    assert s["duration_s"] == approx(arrival[-1], abs=1e-6)
    assert s["mean_rate_rps"] == approx(len(rows) / arrival[-1])
    assert s["peak_rate_rps_60s"] == approx(peak)
    assert s["interarrival_cv"] == approx(
        statistics.pstdev(gaps) / statistics.fmean(gaps), rel=1e-6
    )
    for col, values in (("input_tokens", inp), ("output_tokens", out)):
        pct = statistics.quantiles(values, n=100, method="inclusive")
        assert s[f"{col}_mean"] == approx(statistics.fmean(values))
        assert s[f"{col}_p50"] == approx(statistics.median(values))
        assert s[f"{col}_p90"] == approx(pct[89])
        assert s[f"{col}_p99"] == approx(pct[98])
        assert s[f"{col}_max"] == max(values)
        assert s[f"{col}_total"] == sum(values)
    assert s["total_tokens"] == sum(inp) + sum(out)


def test_azure_conv_headline_numbers() -> None:
    s = load_trace("azure-conv").summary()
    assert s["input_tokens_mean"] == pytest.approx(1154.70, abs=0.01)
    assert s["output_tokens_mean"] == pytest.approx(211.13, abs=0.01)
    assert s["mean_rate_rps"] == pytest.approx(5.53, abs=0.01)


def test_builtins_are_cached_and_read_only() -> None:
    trace = load_trace("azure-conv")
    assert load_trace("azure-conv") is trace
    with pytest.raises(ValueError):
        trace.input_tokens[0] = 1


def test_licence_and_attribution_ship_with_the_data() -> None:
    assert "Attribution 4.0 International" in (DATA / "LICENSE").read_text(encoding="utf-8-sig")
    attribution = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Splitwise" in attribution
    assert "ISCA 2024" in attribution
    assert "https://github.com/Azure/AzurePublicDataset" in attribution
    assert "unmodified" in attribution
