"""A mixed fleet: capacity-weighted routing across replicas of different deployments."""

from __future__ import annotations

import numpy as np
import pytest

from fleetmix import arch, catalog
from fleetmix.perf import make_deployment
from fleetmix.sim import RequestTable, Slo, simulate_fleet, simulate_trace
from fleetmix.sim.run import weighted_assignment
from fleetmix.workload import FixedLengths, synthetic_trace


def test_weighted_assignment_shares_follow_the_weights() -> None:
    targets = weighted_assignment([1.0, 3.0, 6.0], 10_000)
    shares = np.bincount(targets, minlength=3) / targets.size
    assert shares == pytest.approx([0.1, 0.3, 0.6], abs=2e-3)
    # spread over time, not in blocks: every window of 100 requests sees every replica
    assert all(len(set(targets[i:i + 100].tolist())) == 3 for i in range(0, 10_000, 100))
    with pytest.raises(ValueError, match="positive"):
        weighted_assignment([1.0, 0.0], 5)


def test_fleet_of_two_deployments_routes_by_weight(tables: list[RequestTable]) -> None:
    cat = catalog.load_catalog()
    a8 = arch.load_arch("llama-3.1-8b")
    fast = make_deployment(a8, cat.accelerator("h100-sxm"), tp=1, pp=1, ep=1, precision="fp8")
    slow = make_deployment(a8, cat.accelerator("l40s"), tp=1, pp=1, ep=1, precision="fp8")
    trace = synthetic_trace(rate_rps=4.0, num_requests=600,
                            lengths=FixedLengths(input_tokens=512, output_tokens=128), seed=3)
    slo = Slo(ttft_s={99: 5.0})
    result = simulate_fleet([(fast, 1, 3.0), (slow, 2, 1.0)], trace, slo=slo)
    assert result.replicas == 3 and result.completed == 600
    served = np.bincount(np.array(tables[-1].replica), minlength=3)
    assert served[0] / 600 == pytest.approx(0.6, abs=0.02)  # weight 3 of 5
    assert served[1] == pytest.approx(served[2], abs=10)
    # one group behaves like the homogeneous run: same requests, same replica count
    alone = simulate_fleet([(fast, 2, 1.0)], trace, slo=slo)
    plain = simulate_trace(fast, trace, replicas=2, slo=slo)
    assert alone.completed == plain.completed
    assert alone.ttft_s.p50 == pytest.approx(plain.ttft_s.p50, rel=0.2)
    assert alone.energy_j is not None and result.energy_j is not None
