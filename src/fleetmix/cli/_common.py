"""What every command shares: consoles, error handling, option types, loading and rendering."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fleetmix import arch as arch_lib
from fleetmix import catalog as catalog_lib
from fleetmix import workload
from fleetmix.atomic import write_text_atomic
from fleetmix.catalog.records import Accelerator
from fleetmix.errors import FleetmixError, InputError
from fleetmix.perf import Deployment, Efficiency, estimate, make_deployment
from fleetmix.perf.estimate import fastest_layout
from fleetmix.perf.profile import apply_profile, load_profile
from fleetmix.sim import Slo

# Piped output keeps full tables (Rich would otherwise wrap them to 80 columns).
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

OfferingsOpt = Annotated[list[Path] | None, typer.Option(
    "--offerings", help="Extra offerings CSV (adds rows; same id replaces a shipped row).")]
AcceleratorsOpt = Annotated[list[Path] | None, typer.Option(
    "--accelerators", help="Extra accelerators YAML (adds or replaces chips).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
TraceFormatOpt = Annotated[str | None, typer.Option(
    "--format", help="azure, burstgpt, csv or parquet (default: detected).")]
ColumnOpt = Annotated[list[str] | None, typer.Option(
    "--column", help="Column mapping for csv/parquet, e.g. arrival_s=ts (repeatable).")]
ProfileOpt = Annotated[Path | None, typer.Option(
    "--profile", help="Accelerator profile from `fleetmix calibrate`: measured efficiencies "
                      "(and, for a chip the catalog lacks, the accelerator itself).")]

_TRACE_FORMATS: tuple[workload.TraceFormat, ...] = ("azure", "burstgpt", "csv", "parquet")
_COLUMN_FIELDS = ("arrival_s", "input_tokens", "output_tokens")


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a FleetmixError into a one-line message and exit status 1, never a traceback."""
    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FleetmixError as exc:
            err.print(f"[bold red]{type(exc).__name__}[/]: {escape(str(exc))}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    return wrapper


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr; yields a (done, total) callback."""
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(label, total=None, visible=False)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, visible=done < total)

        yield progress


def write_json(json_out: str | None, payload: Any) -> bool:
    """Write `payload` as JSON to the file `json_out` (atomically) or to stdout ('-'); True
    when tables should still be printed (no JSON asked for, or it went to a file)."""
    if json_out is None:
        return True
    text = json.dumps(payload, indent=2, default=str) + "\n"
    if json_out == "-":
        sys.stdout.write(text)
        return False
    write_text_atomic(json_out, text)
    err.print(f"wrote {escape(json_out)}")
    return True


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _catalog(offerings: list[Path] | None, accelerators: list[Path] | None
             ) -> catalog_lib.Catalog:
    return catalog_lib.load_catalog(extra_offerings=offerings or (),
                                    extra_accelerators=accelerators or ())


def _trace_format(fmt: str | None) -> workload.TraceFormat | None:
    if fmt is None:
        return None
    for known in _TRACE_FORMATS:
        if fmt == known:
            return known
    raise InputError(f"--format {fmt!r}: expected azure, burstgpt, csv or parquet")


def _columns(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in _COLUMN_FIELDS:
            raise InputError(f"--column {pair!r}: expected arrival_s=NAME, input_tokens=NAME "
                             f"or output_tokens=NAME")
        mapping[key] = value
    return mapping


def _trace(name: str, fmt: str | None, columns: list[str] | None) -> workload.Trace:
    return workload.load_trace(name, format=_trace_format(fmt), columns=_columns(columns))


def _slo(ttft: dict[int, float | None], tpot_ms: dict[int, float | None]) -> Slo:
    try:
        return Slo(ttft_s={p: v for p, v in ttft.items() if v is not None},
                   tpot_s={p: v for p, v in tpot_ms.items() if v is not None})
    except ValueError as exc:
        raise InputError(f"SLO: {exc}") from None


def _hardware(cat: catalog_lib.Catalog, accelerator: str | None, profile: Path | None,
              precision: str, engine: str | None
              ) -> tuple[Accelerator, str | None, Efficiency | None]:
    """(accelerator, engine, efficiency): the catalog's (efficiency None: the engine table's),
    or a calibrated profile's, checked against --accelerator when both are given."""
    if profile is None:
        if accelerator is None:
            raise InputError("give --accelerator, or --profile with a profile from "
                             "`fleetmix calibrate`")
        return cat.accelerator(accelerator), engine, None
    target = apply_profile(load_profile(profile), cat.accelerators, precision=precision,
                           accelerator=accelerator, engine=engine)
    return target.accelerator, target.engine, target.efficiency


def _deployment(cat: catalog_lib.Catalog, arch: str, accelerator: str | None, chips: int,
                precision: str, tp: int | None, pp: int | None, ep: int | None,
                engine: str | None, isl: int, osl: int, profile: Path | None = None
                ) -> Deployment:
    """The deployment to simulate: the layout given, else the one with the lowest TPOT."""
    acc, engine, efficiency = _hardware(cat, accelerator, profile, precision, engine)
    arch_rec = arch_lib.load_arch(arch)
    if tp is None and pp is None and ep is None:
        est = fastest_layout(arch_rec, acc, chips=chips, precision=precision, isl=isl,
                             osl=osl, engine=engine, efficiency=efficiency)
    else:
        est = estimate(arch_rec, acc, chips=chips, precision=precision, isl=isl, osl=osl,
                       tp=tp, pp=pp, ep=ep, engine=engine, efficiency=efficiency)
    return make_deployment(arch_rec, acc, tp=est.tp, pp=est.pp, ep=est.ep,
                           precision=precision, engine=engine, efficiency=efficiency)


def _deployment_dict(dep: Deployment) -> dict[str, Any]:
    return {"arch": dep.arch.name, "accelerator": dep.accelerator.id, "chips": dep.chips,
            "tp": dep.tp, "pp": dep.pp, "ep": dep.ep, "precision": dep.precision,
            "engine": dep.engine.id}


def _deployment_title(dep: Deployment) -> str:
    return (f"{dep.arch.name} on {dep.chips}x {dep.accelerator.id} (tp{dep.tp} pp{dep.pp}"
            f"{f' ep{dep.ep}' if dep.ep > 1 else ''}, {dep.precision}, {dep.engine.id})")
