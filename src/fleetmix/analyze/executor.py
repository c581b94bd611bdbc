"""Executors: where sweeps and Monte Carlo runs execute. Local processes by default; Ray when
asked (an optional extra), on this machine or joining an existing cluster.

An executor maps a picklable function over items and yields the results in item order, each
as soon as it and those before it are done (a progress bar can follow). Work that needs a
large read-only value (a scenario and its candidates) gets it as `shared`, which is sent once
per worker, not once per item: a process pool's initializer, a Ray actor's constructor.

Called with a plain `fn(item)`, an executor is also a `plan.candidates.Mapper`, so capacity
searches can run on it (`candidates_for(..., mapper=executor)`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Protocol, TypeVar

from fleetmix.errors import InputError, MissingDependencyError

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

RAY_HINT = "pip install 'fleetmix[ray]'"


class Executor(Protocol):
    """Runs `fn(shared, item)` for every item, somewhere."""

    @property
    def name(self) -> str:
        """`local` or `ray`."""
        ...

    @property
    def workers(self) -> int:
        """How many items run at once (to size batches)."""
        ...

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        """fn(shared, item) per item, in item order, streamed. `fn`, `shared`, the items and
        the results must pickle; `shared` is sent once per worker."""
        ...

    def __call__(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """fn(item) per item: the `plan.candidates.Mapper` signature."""
        ...

    def close(self) -> None:
        """Release what the executor started (a Ray runtime it initialised)."""
        ...


def _plain(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


# --- local processes --------------------------------------------------------------------------

_SHARED: Any = None  # in a pool's worker process: the value its initializer installed


def _install(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _with_shared(fn: Callable[[Any, T], R], item: T) -> R:
    return fn(_SHARED, item)


@dataclass(frozen=True)
class LocalProcesses:
    """A pool of spawned processes on this machine, started for each `map` (spawned: safe
    with threads in the parent, and the same start method on every OS). With one worker, or
    one item, the work runs in this process."""

    workers: int
    name: str = field(default="local", init=False)

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        count = min(self.workers, len(items))
        if count <= 1:
            yield from (fn(shared, item) for item in items)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=ctx, initializer=_install,
                                 initargs=(shared,)) as pool:
            yield from pool.map(partial(_with_shared, fn), items)

    def __call__(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return self.map(_plain, fn, items)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_processes(workers: int | None = None) -> LocalProcesses:
    """Local processes, `workers` at once (default: one per CPU)."""
    count = workers or os.cpu_count() or 1
    if count < 1:
        raise InputError(f"workers ({count}) must be >= 1")
    return LocalProcesses(workers=count)


# --- Ray --------------------------------------------------------------------------------------

class _Holder:
    """A Ray actor's body: keeps `shared` for every item it is given."""

    def __init__(self, fn: Callable[[Any, Any], Any], shared: Any) -> None:
        self._fn = fn
        self._shared = shared

    def run(self, item: Any) -> Any:
        return self._fn(self._shared, item)


class RayExecutor:
    """Ray: one actor per worker holds `shared` (put in the object store once) and runs the
    items it is handed. Joins the runtime already initialised in this process, else the
    cluster at `address`, else starts one on this machine (shut down again by `close`)."""

    name = "ray"

    def __init__(self, ray: Any, address: str | None = None, workers: int | None = None
                 ) -> None:
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            _check_reachable(address)
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "logging_level": logging.WARNING}
            if address is None and not os.environ.get("RAY_ADDRESS"):
                options["num_cpus"] = workers or os.cpu_count() or 1
            try:
                ray.init(address=address, **options)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise InputError(f"Ray address {address!r}: cannot join the cluster "
                                 f"({exc})") from None
            self._started = True
        cpus = int(ray.available_resources().get("CPU", 0)) or 1
        self._workers = min(workers, cpus) if workers else cpus

    @property
    def workers(self) -> int:
        return self._workers

    def map(self, fn: Callable[[S, T], R], shared: S, items: Sequence[T]) -> Iterator[R]:
        ray = self._ray
        from ray.util import ActorPool

        holder = ray.remote(num_cpus=1)(_Holder)
        ref = ray.put(shared)  # the actors get it from the object store, once each
        actors = [holder.remote(fn, ref) for _ in range(min(self._workers, len(items)))]
        try:
            if actors:
                yield from ActorPool(actors).map(lambda a, item: a.run.remote(item),
                                              list(items))
        finally:
            for actor in actors:
                ray.kill(actor)

    def __call__(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return self.map(_plain, fn, items)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Fail fast on an address nothing listens at: `ray.init` retries such an address for
    minutes."""
    if address is None or address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise InputError(f"Ray address {address!r}: expected host:port, ray://host:port or "
                         f"auto")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise InputError(f"Ray address {address!r}: nothing answers there ({exc}); start "
                         f"the cluster or check the address") from None


def ray_executor(address: str | None = None, workers: int | None = None) -> RayExecutor:
    """Ray on this machine (`workers` CPUs, default all), or the cluster at `address`
    ("auto", "ray://host:10001", "host:6379"). Needs the `ray` extra."""
    try:
        import ray
    except ImportError:
        raise MissingDependencyError(f"--executor ray needs Ray: {RAY_HINT}") from None
    return RayExecutor(ray, address=address, workers=workers)


def make_executor(kind: str, *, workers: int | None = None, address: str | None = None
                  ) -> Executor:
    """The executor named `kind` (`local` or `ray`)."""
    if kind == "local":
        if address is not None:
            raise InputError("--ray-address needs --executor ray")
        return local_processes(workers)
    if kind == "ray":
        return ray_executor(address, workers)
    raise InputError(f"executor {kind!r}: expected local or ray")
