"""Candidates from a user's own capacity measurements instead of the simulator.

CSV columns (header names exact; extra columns ignored):

    offering   an offering id (cloud/region/instance) or an accelerator id (every allowed
               offering of that accelerator)
    workload   a workload name of the scenario, or a workload's `size_class`
    max_rps    requests per second one replica sustains within that workload's SLO
    chips      chips per replica (optional: default one whole instance)
    tp, pp, ep layout (optional: tp = chips, pp = ep = 1)
    precision  optional, default the workload's first precision
    source     optional, where the number comes from (printed in the plan)

Rows for offerings the scenario does not allow are skipped (counted in the plan's notes). When a
row names its chips and precision, the modelled deployment of that shape is kept so the plan
can still be verified by simulation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fleetmix.catalog.records import Offering
from fleetmix.errors import FleetmixError, InputError
from fleetmix.perf.estimate import make_deployment
from fleetmix.plan.candidates import Candidate, CandidateSet, allowed_offerings, packs
from fleetmix.plan.scenario import Scenario, Workload

REQUIRED = ("offering", "workload", "max_rps")


def measured_candidates(scenario: Scenario, path: str | Path) -> CandidateSet:
    """Candidates whose capacities are the CSV's measured values."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the capacity file ({exc.strerror})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; expected at least "
                         f"{', '.join(REQUIRED)} (optional: chips, tp, pp, ep, precision, "
                         f"source)")
    allowed = allowed_offerings(scenario)
    candidates: list[Candidate] = []
    skipped = 0
    for cells in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in cells.values()):
            continue
        where = f"{path}:{line}"
        workload = _workload(scenario, cells["workload"] or "", where)
        offs = _offerings(scenario, allowed, (cells["offering"] or "").strip(), where)
        if not offs:
            skipped += 1
            continue
        rate = _number(cells, "max_rps", where, float, required=True)
        assert rate is not None
        if rate <= 0:
            raise InputError(f"{where}: field 'max_rps': expected a rate > 0 req/s, got {rate}")
        for o in offs:
            candidates.append(_candidate(scenario, workload, o, cells, rate, where))
    if not candidates:
        raise InputError(f"{path}: no row names an offering the scenario allows ({skipped} rows "
                         f"skipped); check the catalog filters and tiers")
    return CandidateSet(candidates=tuple(candidates), rejected=(), simulated=0, cached=0,
                        skipped=skipped)


def _workload(scenario: Scenario, name: str, where: str) -> Workload:
    name = name.strip()
    for w in scenario.workloads:
        if name in (w.name, w.size_class):
            return w
    known = sorted({w.name for w in scenario.workloads}
                   | {w.size_class for w in scenario.workloads if w.size_class})
    raise InputError(f"{where}: field 'workload': {name!r} is not a workload or size_class of "
                     f"the scenario; expected one of {', '.join(known)}")


def _offerings(scenario: Scenario, allowed: tuple[Offering, ...], key: str, where: str
               ) -> list[Offering]:
    if "/" in key:
        try:
            scenario.catalog.offering(key)
        except FleetmixError as exc:
            raise InputError(f"{where}: field 'offering': {exc}") from None
        return [o for o in allowed if o.id == key]
    try:
        acc_id = scenario.catalog.accelerator(key).id
    except FleetmixError as exc:
        raise InputError(f"{where}: field 'offering': expected an offering id "
                         f"(cloud/region/instance) or an accelerator id; {exc}") from None
    return [o for o in allowed if o.accelerator == acc_id]


def _number(cells: dict[str, str | None], field: str, where: str, kind: type[float] | type[int],
            required: bool = False) -> float | None:
    raw = (cells.get(field) or "").strip()
    if not raw:
        if required:
            raise InputError(f"{where}: field {field!r}: missing; expected a number")
        return None
    try:
        return kind(raw)
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise InputError(f"{where}: field {field!r}: expected {expected}, got {raw!r}") from None


def _candidate(scenario: Scenario, w: Workload, o: Offering, cells: dict[str, str | None],
               rate: float, where: str) -> Candidate:
    acc = scenario.catalog.accelerators[o.accelerator]
    chips_given = _number(cells, "chips", where, int)
    chips = int(chips_given) if chips_given is not None else o.chips
    tp = int(_number(cells, "tp", where, int) or chips)
    pp = int(_number(cells, "pp", where, int) or 1)
    ep = int(_number(cells, "ep", where, int) or 1)
    if chips <= 0 or not packs(chips, o.chips, tp, ep):
        raise InputError(f"{where}: field 'chips': {chips} chips per replica (tp {tp}, ep {ep}) "
                         f"do not tile {o.id}'s {o.chips}-chip instances: one must divide the "
                         f"other, and a replica spanning instances keeps tp and ep inside one")
    precision = (cells.get("precision") or "").strip() or w.precisions[0]
    dep = None
    if chips_given is not None and (cells.get("precision") or "").strip():
        try:
            dep = make_deployment(w.arch, acc, tp=tp, pp=pp, ep=ep, precision=precision,
                                  engine=w.engine)
        except FleetmixError:
            dep = None  # the model cannot build it; the plan says it was not verified
    source = (cells.get("source") or "").strip() or f"measured ({where})"
    return Candidate(workload=w.name, offering=o, accelerator=acc, chips=chips, tp=tp, pp=pp,
                     ep=ep, precision=precision, engine=w.engine, capacity_rps=rate,
                     source=source, deployment=dep)
