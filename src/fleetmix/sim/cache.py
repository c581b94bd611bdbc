"""On-disk cache of capacity results, keyed by everything that affects them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fleetmix import __version__
from fleetmix.perf.deployment import Deployment
from fleetmix.sim.metrics import Slo
from fleetmix.workload import Trace


def default_cache_dir() -> Path:
    """$FLEETMIX_CACHE_DIR, else $XDG_CACHE_HOME/fleetmix, else ~/.cache/fleetmix."""
    env = os.environ.get("FLEETMIX_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fleetmix"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("sources", "notes", "source")}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def trace_fingerprint(trace: Trace) -> str:
    digest = hashlib.sha256()
    for column in (trace.arrival_s, trace.input_tokens, trace.output_tokens):
        digest.update(column.tobytes())
    return digest.hexdigest()


def capacity_key(dep: Deployment, trace: Trace, slo: Slo, requests: int, tolerance: float,
                 search_version: int, extra: dict[str, Any] | None = None) -> str:
    """A hash of the deployment (arch, chip, layout, engine, efficiencies), the trace's data,
    the SLO and the search settings, and the fleetmix version."""
    payload = {
        "version": __version__, "search": search_version, "deployment": _plain(dep),
        "trace": trace_fingerprint(trace), "slo": _plain(slo), "requests": requests,
        "tolerance": tolerance, "extra": extra or {},
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class CapacityCache:
    """JSON files, one per key, written atomically; an unreadable entry is a miss."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = (directory or default_cache_dir()) / "capacity"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.directory / f"{key}.json"
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, sort_keys=True)
            os.replace(tmp, self.directory / f"{key}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
