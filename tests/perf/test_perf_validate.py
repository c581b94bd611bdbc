"""The estimator against published measurements: product accuracy targets and the bookkeeping."""

from __future__ import annotations

import functools
import statistics
from typing import Any

import pytest

from fleetmix.catalog import Catalog
from fleetmix.errors import DoesNotFitError
from fleetmix.perf import EngineTable
from fleetmix.perf.validate import (
    THROUGHPUT_METRICS,
    Measurement,
    ValidationRow,
    ValidationSummary,
    shipped_measurements,
    validate,
)

MEDIAN_TARGET = 0.15  # product target: median |error| over included throughput rows
ROW_TARGET = 0.40  # product target: no included row further off than this


@functools.cache
def shipped() -> ValidationSummary:
    return validate()


def make_measurement(**overrides: Any) -> Measurement:
    """A TRT-LLM perf-overview row: Llama-3.1-8B fp8 on one H100 at ISL/OSL 1000/1000."""
    fields: dict[str, Any] = {
        "source": "TRT-LLM perf-overview", "arch": "llama-3.1-8b", "accelerator": "h100-sxm",
        "chips": 1, "tp": 1, "precision": "fp8", "engine": "trtllm", "isl": 1000, "osl": 1000,
        "concurrency": None, "metric": "output_tokens_per_s", "value": 15220.0,
        "exclude_reason": "",
    }
    return Measurement(**(fields | overrides))


def test_shipped_validation_meets_the_median_target() -> None:
    summary = shipped()
    errors = [abs(r.rel_error) for r in summary.rows if r.included and r.rel_error is not None
              and r.measurement.metric in THROUGHPUT_METRICS]
    assert len(errors) >= 30  # the TRT-LLM tables alone are 35 rows
    assert statistics.median(errors) <= MEDIAN_TARGET
    assert summary.median_abs_error_throughput == pytest.approx(statistics.median(errors))


def test_every_included_row_is_within_the_row_target() -> None:
    summary = shipped()
    off = [(r.measurement.arch, r.measurement.accelerator, r.measurement.isl,
            r.measurement.osl, r.rel_error) for r in summary.rows
           if r.included and r.rel_error is not None and abs(r.rel_error) > ROW_TARGET]
    assert off == []
    assert summary.max_abs_error <= ROW_TARGET


def test_every_row_names_a_source_and_every_exclusion_a_reason() -> None:
    summary = shipped()
    for row in summary.rows:
        m = row.measurement
        assert m.source.strip(), m
        if not row.included:
            assert m.exclude_reason.strip() or row.error.strip(), m
    # the estimator answers every shipped measurement
    assert all(r.predicted is not None for r in summary.rows), [
        (r.measurement, r.error) for r in summary.rows if r.predicted is None]
    assert summary.included_count == sum(not r.measurement.exclude_reason for r in summary.rows)


def test_shipped_measurements_are_well_formed() -> None:
    rows = shipped_measurements()
    assert len(rows) >= 40
    for m in rows:
        assert m.value > 0 and m.chips >= m.tp >= 1 and m.chips % m.tp == 0
        assert m.metric in (*THROUGHPUT_METRICS, "prefill_ms", "decode_ms_per_token")


def test_rel_error_and_inclusion() -> None:
    m = make_measurement(value=100.0)
    assert ValidationRow(measurement=m, predicted=110.0).rel_error == pytest.approx(0.10)
    assert ValidationRow(measurement=m, predicted=80.0).rel_error == pytest.approx(-0.20)
    assert ValidationRow(measurement=m, predicted=80.0).included
    excluded = make_measurement(exclude_reason="throughput definition not recorded")
    assert not ValidationRow(measurement=excluded, predicted=80.0).included
    failed = ValidationRow(measurement=m, predicted=None, error="does not fit")
    assert failed.rel_error is None and not failed.included


def test_summary_statistics_on_a_fixture() -> None:
    ratios = {1.0: 1.10, 2.0: 0.80, 3.0: 1.05}  # errors +10%, -20%, +5%

    def predictor(m: Measurement, catalog: Catalog, engines: EngineTable) -> float:
        return m.value * ratios[m.value]

    measurements = tuple(make_measurement(value=v) for v in ratios)
    summary = validate(measurements, predictor=predictor)
    assert summary.median_abs_error == pytest.approx(0.10)
    assert summary.max_abs_error == pytest.approx(0.20)
    assert summary.included_count == 3


def test_a_failed_prediction_is_kept_with_its_reason() -> None:
    def predictor(m: Measurement, catalog: Catalog, engines: EngineTable) -> float:
        if m.chips == 2:
            raise DoesNotFitError("needs 90 GB per chip against 72 GB usable")
        return m.value

    measurements = (make_measurement(), make_measurement(chips=2, tp=2))
    summary = validate(measurements, predictor=predictor)
    failed = summary.rows[1]
    assert failed.predicted is None and "72 GB usable" in failed.error
    assert summary.included_count == 1
    assert summary.median_abs_error == 0.0


def test_the_default_predictor_answers_a_throughput_row() -> None:
    summary = validate((make_measurement(),))
    (row,) = summary.rows
    assert row.predicted is not None
    assert abs(row.rel_error or 0.0) <= ROW_TARGET
