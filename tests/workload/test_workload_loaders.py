"""Loading trace files: BurstGPT, generic CSV, format detection, and every error path."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fleetmix.errors import InputError, TraceError, UnknownNameError
from fleetmix.workload import load_trace

DATA = Path(__file__).parent / "data"
AZURE_HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens\n"


def write(tmp_path: Path, text: str, name: str = "trace.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def azure_csv(tmp_path: Path, *rows: str) -> Path:
    return write(tmp_path, AZURE_HEADER + "".join(r + "\n" for r in rows))


# --- BurstGPT -------------------------------------------------------------------------------


def test_burstgpt_fixture_drops_failed_requests() -> None:
    trace = load_trace(DATA / "burstgpt_sample.csv")
    assert trace.name == "burstgpt_sample"
    assert "(burstgpt)" in trace.source
    assert trace.num_requests == 10  # 12 rows, 2 with Response tokens 0
    assert list(trace.arrival_s) == [0, 40, 113, 130, 146, 146, 185, 199, 226, 244]
    assert list(trace.input_tokens[:3]) == [472, 1087, 417]
    assert list(trace.output_tokens[-2:]) == [23, 152]
    assert "t=0 is the first request: 5 s in the file's first row" in trace.notes
    assert "dropped 2 requests with 0 output tokens (failed requests)" in trace.notes


def test_burstgpt_clamp_keeps_failed_requests() -> None:
    trace = load_trace(DATA / "burstgpt_sample.csv", zero_output="clamp")
    assert trace.num_requests == 12
    assert trace.output_tokens[3] == 1
    assert "clamped 2 requests with 0 output tokens to 1 output token" in trace.notes


def test_zero_input_tokens_are_clamped(tmp_path: Path) -> None:
    path = azure_csv(tmp_path, "2023-11-16 18:00:00.0000000,0,10", "2023-11-16 18:00:01.0,5,10")
    trace = load_trace(path)
    assert list(trace.input_tokens) == [1, 5]
    assert "clamped 1 requests with 0 input tokens to 1 input token" in trace.notes


def test_dropping_the_first_request_rezeroes(tmp_path: Path) -> None:
    text = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
    text += "10,ChatGPT,5,0,5,API log\n12,ChatGPT,5,3,8,API log\n15,ChatGPT,5,3,8,API log\n"
    trace = load_trace(write(tmp_path, text))
    assert list(trace.arrival_s) == [0.0, 3.0]
    assert trace.notes[0] == "t=0 is the first request: +2 s from 10 s in the file's first row"


# --- Azure format from a path ---------------------------------------------------------------


def test_azure_file_seven_digit_fractions(tmp_path: Path) -> None:
    path = azure_csv(
        tmp_path, "2023-11-16 18:15:46.6805900,374,44", "2023-11-16 18:15:50.9951690,396,109"
    )
    trace = load_trace(path)
    assert trace.arrival_s[1] == pytest.approx(4.314579, abs=1e-6)
    assert "2023-11-16T18:15:46.680590" in trace.notes[0]


# --- generic CSV ----------------------------------------------------------------------------


def test_generic_csv_with_mapping_and_ms(tmp_path: Path) -> None:
    path = write(tmp_path, "t_ms,prompt,completion,user\n1500,100,20,a\n2000,50,10,b\n4500,7,3,c\n")
    cols = {"arrival_s": "t_ms", "input_tokens": "prompt", "output_tokens": "completion"}
    trace = load_trace(path, columns=cols, time_unit="ms")
    assert list(trace.arrival_s) == [0.0, 0.5, 3.0]
    assert list(trace.input_tokens) == [100, 50, 7]
    assert list(trace.output_tokens) == [20, 10, 3]
    assert "(csv)" in trace.source


def test_generic_csv_default_column_names_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "arrival_s,input_tokens,output_tokens\n0,10,2\n0.25,20.0,4\n")
    trace = load_trace(path)
    assert list(trace.arrival_s) == [0.0, 0.25]
    assert list(trace.input_tokens) == [10, 20]


def test_generic_csv_iso_timestamps(tmp_path: Path) -> None:
    text = "when,in,out\n2024-03-01T12:00:00Z,10,2\n2024-03-01T12:00:02.5Z,20,4\n"
    cols = {"arrival_s": "when", "input_tokens": "in", "output_tokens": "out"}
    trace = load_trace(write(tmp_path, text), columns=cols)
    assert list(trace.arrival_s) == [0.0, 2.5]


def test_quoted_fields_and_blank_lines(tmp_path: Path) -> None:
    text = 'arrival_s,input_tokens,output_tokens,note\n0,10,2,"a, b"\n\n1,20,4,"c"\n'
    trace = load_trace(write(tmp_path, text))
    assert trace.num_requests == 2


# --- errors ---------------------------------------------------------------------------------


def test_missing_column_lists_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "arrival_s,prompt,output_tokens\n0,1,1\n")
    with pytest.raises(TraceError) as err:
        load_trace(path, columns={"arrival_s": "arrival_s"})
    msg = str(err.value)
    assert str(path) in msg
    assert "missing column 'input_tokens'" in msg
    assert "['arrival_s', 'prompt', 'output_tokens']" in msg


def test_negative_tokens_name_the_line(tmp_path: Path) -> None:
    path = azure_csv(
        tmp_path,
        "2023-11-16 18:00:00.0,5,10",
        "2023-11-16 18:00:01.0,5,10",
        "2023-11-16 18:00:02.0,5,-3",
    )
    with pytest.raises(
        TraceError, match=r"line 4, column 'GeneratedTokens': negative token count -3"
    ):
        load_trace(path)


def test_non_numeric_value_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "arrival_s,input_tokens,output_tokens\n0,10,2\n1,ten,2\n")
    with pytest.raises(TraceError, match=r"trace\.csv, line 3, column 'input_tokens': 'ten'"):
        load_trace(path)


def test_bad_timestamp_names_the_line(tmp_path: Path) -> None:
    path = azure_csv(tmp_path, "2023-11-16 18:00:00.0,5,10", "yesterday,5,10")
    with pytest.raises(TraceError, match=r"line 3, column 'TIMESTAMP': 'yesterday'"):
        load_trace(path)


def test_unsorted_names_the_line_unless_sort(tmp_path: Path) -> None:
    text = "arrival_s,input_tokens,output_tokens\n0,10,2\n5,11,2\n3,12,2\n"
    path = write(tmp_path, text)
    with pytest.raises(TraceError, match=r"line 4, column 'arrival_s': '3' is earlier .* '5'"):
        load_trace(path)
    trace = load_trace(path, sort=True)
    assert list(trace.arrival_s) == [0, 3, 5]
    assert list(trace.input_tokens) == [10, 12, 11]  # lengths travel with their arrival
    assert any(n.startswith("sorted by arrival: 1 rows") for n in trace.notes)


def test_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "arrival_s,input_tokens,output_tokens\n0,10,2\n1,10\n")
    with pytest.raises(TraceError, match="line 3: 2 fields, the header has 3"):
        load_trace(path)


@pytest.mark.parametrize("text", ["", "\n", "arrival_s,input_tokens,output_tokens\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(TraceError, match=r"empty file|no requests"):
        load_trace(write(tmp_path, text))


def test_only_failed_requests(tmp_path: Path) -> None:
    path = azure_csv(tmp_path, "2023-11-16 18:00:00.0,5,0")
    with pytest.raises(TraceError, match="no requests left"):
        load_trace(path)


def test_unknown_header_asks_for_format(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"cannot tell the trace format .*\['a', 'b'\]"):
        load_trace(write(tmp_path, "a,b\n1,2\n"))


def test_unknown_builtin_suggests_close_name() -> None:
    with pytest.raises(UnknownNameError) as err:
        load_trace("azure-cod")
    assert "azure-code" in err.value.suggestions
    assert "Did you mean 'azure-code'" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="not found"):
        load_trace(tmp_path / "nope.csv")


def test_builtin_rejects_file_options() -> None:
    with pytest.raises(TraceError, match="built-in"):
        load_trace("azure-conv", columns={"arrival_s": "x"})


def test_unknown_mapping_field(tmp_path: Path) -> None:
    path = write(tmp_path, "arrival_s,input_tokens,output_tokens\n0,10,2\n")
    with pytest.raises(TraceError, match="unknown fields \\['prompt'\\]"):
        load_trace(path, columns={"prompt": "input_tokens"})


def test_parquet_without_pyarrow_gives_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import fails even where installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "trace.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(InputError, match=r"pip install 'fleetmix\[parquet\]'"):
        load_trace(path)


def test_loaded_arrays_are_numpy_columns() -> None:
    trace = load_trace(DATA / "burstgpt_sample.csv")
    assert trace.arrival_s.dtype == np.float64
    assert trace.input_tokens.dtype == np.int64
