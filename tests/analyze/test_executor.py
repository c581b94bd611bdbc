"""Executors: order, streaming, the shared value sent once per worker, pickling of what they
ship, Ray on this machine, and Ray's absence."""

from __future__ import annotations

import operator
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from tests.plan.plan_helpers import H100, MI300X, write_scenario

from fleetmix.analyze import montecarlo as mc
from fleetmix.analyze.executor import local_processes, make_executor, ray_executor
from fleetmix.errors import InputError, MissingDependencyError
from fleetmix.plan import load_scenario
from fleetmix.plan.measured import measured_candidates

LOADS = 0  # in a worker process: how many times a Counted value was unpickled there


class Counted:
    """A shared value that counts its unpickling in the process that receives it."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def __setstate__(self, state: dict[str, Any]) -> None:
        global LOADS
        LOADS += 1
        self.__dict__.update(state)


def scaled(shared: Counted, item: int) -> tuple[int, int, int]:
    return item * shared.factor, os.getpid(), LOADS


def test_local_processes_keep_order_and_receive_shared_once_per_worker() -> None:
    results = list(local_processes(2).map(scaled, Counted(3), list(range(24))))
    assert [r[0] for r in results] == [3 * i for i in range(24)]
    pids = {pid for _, pid, _ in results}  # one or two: a worker may finish everything first
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    assert {loads for _, _, loads in results} == {1}  # not once per item


def test_one_worker_runs_in_this_process_and_maps_plain_functions() -> None:
    ex = local_processes(1)
    assert [pid for _, pid, _ in ex.map(scaled, Counted(2), [1, 2])] == [os.getpid()] * 2
    assert list(ex(abs, [-1, 2, -3])) == [1, 2, 3]  # the plan.candidates.Mapper signature


def test_results_stream_before_the_last_item_is_done() -> None:
    items = iter(local_processes(1).map(operator.mul, 2, [1, 2, 3]))
    assert isinstance(items, Iterator) and next(items) == 2


def test_executor_names_and_arguments_are_checked() -> None:
    with pytest.raises(InputError, match="expected local or ray"):
        make_executor("dask")
    with pytest.raises(InputError, match="--ray-address needs --executor ray"):
        make_executor("local", address="auto")
    assert make_executor("local", workers=3).workers == 3


def test_without_ray_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'fleetmix\[ray\]'"):
        ray_executor()


def test_an_address_nothing_answers_at_fails_fast() -> None:
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    with pytest.raises(InputError, match=r"'127\.0\.0\.1:1': nothing answers there"):
        ray_executor(address="127.0.0.1:1")
    with pytest.raises(InputError, match="expected host:port"):
        ray_executor(address="ray://head")


def test_a_loaded_scenario_and_its_candidates_pickle(tmp_path: Path) -> None:
    sc = load_scenario(write_scenario(tmp_path))
    cands = measured_candidates(sc, tmp_path / "caps.csv").candidates
    sc2, cands2 = pickle.loads(pickle.dumps((sc, cands)))
    assert cands2 == cands and sc2.catalog == sc.catalog
    assert isinstance(sc2.catalog.accelerators, MappingProxyType)
    assert sc2.catalog.accelerator("H100").id == "h100-sxm"  # the alias index is rebuilt
    assert np.array_equal(sc2.workloads[0].demand_rps, sc.workloads[0].demand_rps)


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    """Ray on this machine, for this module's tests (starting it takes a few seconds)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_keeps_order_and_leaves_a_runtime_it_did_not_start(ray_local: Any) -> None:
    with ray_executor(workers=2) as ex:
        assert ex.name == "ray" and ex.workers == 2
        assert list(ex.map(operator.mul, 3, list(range(11)))) == [3 * i for i in range(11)]
        assert list(ex(abs, [-4, 5])) == [4, 5]
    assert ray_local.is_initialized()


def test_monte_carlo_gives_the_same_runs_on_ray_and_local_processes(
        tmp_path: Path, ray_local: Any) -> None:
    path = write_scenario(tmp_path, capacities={H100: 4.0, MI300X: 1.0}, uncertainty={
        "seed": 11, "prices": {"default": {"dist": "lognormal", "sigma": 0.4}},
        "demand": {"all": {"dist": "uniform", "low": 0.5, "high": 1.5}},
        "supply": {MI300X: {"availability": 0.7},
                   "h100-sxm": {"chips": {"dist": "fixed", "value": 2}}}})
    sc = load_scenario(path)
    unc, _ = mc.uncertainty_of(sc)
    cands = mc.candidates_for_runs(sc, unc, tmp_path / "caps.csv").candidates
    local = mc.monte_carlo(sc, cands, runs=16, executor=local_processes(1))
    with ray_executor() as ex:
        on_ray = mc.monte_carlo(sc, cands, runs=16, executor=ex)
    assert on_ray.executor == "ray" and local.executor == "local"
    assert on_ray.runs.status == local.runs.status
    assert 0 < on_ray.infeasible_fraction < 1
    assert np.array_equal(on_ray.runs.cost_usd_per_hour, local.runs.cost_usd_per_hour,
                          equal_nan=True)
    assert np.array_equal(on_ray.runs.chips, local.runs.chips)
