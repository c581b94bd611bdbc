"""The scenario file: workloads, catalog choices, buying policy and objective.

A scenario is YAML, validated with pydantic; an error names the file, the line and the field
(`scenario.yaml:14: workloads[1].peak_rps: Input should be greater than 0`). Names it refers to
(architectures, traces, offerings files) are resolved here, so the planner gets a `Scenario`
whose parts are loaded records. Relative paths are relative to the scenario file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fleetmix import arch as arch_lib
from fleetmix import workload as workload_lib
from fleetmix.arch import Arch
from fleetmix.catalog import Catalog, load_catalog
from fleetmix.catalog.records import PRICE_TIERS, VENDORS
from fleetmix.errors import FleetmixError, ScenarioError
from fleetmix.perf.deployment import WEIGHT_BYTES_PER_PARAM
from fleetmix.sim import Slo
from fleetmix.workload import Trace

COMMITTED_TIERS = ("reserved_1y", "reserved_3y", "quoted")
"""Tiers bought for the whole horizon. A private quote is taken to be a term commitment."""
HOURS_PER_DAY = 24.0
LossDomain = Literal["vendor", "cloud", "region"]
Objective = Literal["cost", "energy", "mix"]
ShareBasis = Literal["chips", "spend"]

_SLO_KEY = re.compile(r"^(ttft|tpot)_p(50|90|99)_(s|ms)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkloadSpec(_Strict):
    name: str = Field(min_length=1)
    arch: str  # built-in name or a config.json path
    trace: str  # built-in name or a trace file path
    trace_format: Literal["azure", "burstgpt", "csv", "parquet"] | None = None
    trace_columns: dict[str, str] | None = None
    peak_rps: float | None = Field(default=None, gt=0)
    daily_profile: list[float] | None = Field(default=None, min_length=1)  # fraction of peak
    rates_rps: list[float] | None = Field(default=None, min_length=1)  # demand per period
    slo: dict[str, float]  # ttft_p99_s: 2, tpot_p99_ms: 100, ...
    precisions: list[str] = Field(default_factory=lambda: ["fp8", "bf16"], min_length=1)
    engine: str | None = None
    size_class: str | None = None  # label a capacity CSV may use instead of the name

    @field_validator("slo")
    @classmethod
    def _slo_keys(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("needs at least one target, e.g. ttft_p99_s: 2 or tpot_p99_ms: 100")
        for key, target in value.items():
            if not _SLO_KEY.match(key):
                raise ValueError(f"key {key!r}: expected ttft_p<50|90|99>_s or "
                                 f"tpot_p<50|90|99>_ms (or _s)")
            if target <= 0:
                raise ValueError(f"{key} ({target}) must be > 0")
        return value

    @field_validator("precisions")
    @classmethod
    def _precisions(cls, value: list[str]) -> list[str]:
        for p in value:
            if p not in WEIGHT_BYTES_PER_PARAM:
                raise ValueError(f"precision {p!r}: expected one of "
                                 f"{', '.join(WEIGHT_BYTES_PER_PARAM)}")
        return value

    @field_validator("daily_profile", "rates_rps")
    @classmethod
    def _non_negative(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and any(v < 0 for v in value):
            raise ValueError("values must be >= 0")
        return value

    @model_validator(mode="after")
    def _demand(self) -> WorkloadSpec:
        if self.rates_rps is not None:
            if self.peak_rps is not None or self.daily_profile is not None:
                raise ValueError("give either rates_rps, or peak_rps with an optional "
                                 "daily_profile, not both")
        elif self.peak_rps is None:
            raise ValueError("demand missing: give peak_rps (and optionally daily_profile) "
                             "or rates_rps")
        if self.daily_profile is not None and abs(max(self.daily_profile) - 1.0) > 1e-9:
            raise ValueError(f"daily_profile is a fraction of peak: its largest value must be "
                             f"1.0, not {max(self.daily_profile):g}")
        return self


class CatalogSpec(_Strict):
    vendors: list[str] | None = None
    clouds: list[str] | None = None
    regions: list[str] | None = None
    accelerators: list[str] | None = None
    exclude_accelerators: list[str] = Field(default_factory=list)
    offerings: list[str] = Field(default_factory=list)  # extra offerings CSV files
    accelerator_files: list[str] = Field(default_factory=list)  # extra accelerators YAML files
    tiers: list[str] = Field(default_factory=lambda: ["on_demand"], min_length=1)
    confirmed_prices_only: bool = False

    @field_validator("vendors")
    @classmethod
    def _vendors(cls, value: list[str] | None) -> list[str] | None:
        for v in value or ():
            if v not in VENDORS:
                raise ValueError(f"vendor {v!r}: expected one of {', '.join(VENDORS)}")
        return value

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[str]) -> list[str]:
        for t in value:
            if t not in PRICE_TIERS:
                raise ValueError(f"tier {t!r}: expected one of {', '.join(PRICE_TIERS)}")
        return value


class PolicySpec(_Strict):
    max_vendor_share: float | None = Field(default=None, gt=0, le=1)
    vendor_share_basis: ShareBasis = "chips"
    min_vendors: int | None = Field(default=None, ge=1)
    survive_loss_of: list[LossDomain] = Field(default_factory=list)
    surviving_fraction: float = Field(default=1.0, gt=0, le=1)
    power_budget_kw: float | None = Field(default=None, gt=0)
    supply_caps: dict[str, int] = Field(default_factory=dict)  # offering or accelerator -> chips
    budget_usd_per_hour: float | None = Field(default=None, gt=0)

    @field_validator("supply_caps")
    @classmethod
    def _caps(cls, value: dict[str, int]) -> dict[str, int]:
        for key, chips in value.items():
            if chips < 0:
                raise ValueError(f"supply cap for {key!r} ({chips}) must be >= 0 chips")
        return value


class ObjectiveSpec(_Strict):
    minimize: Objective = "cost"
    energy_usd_per_kwh: float | None = Field(default=None, gt=0)  # weight of energy in "mix"

    @model_validator(mode="after")
    def _mix(self) -> ObjectiveSpec:
        if self.minimize == "mix" and self.energy_usd_per_kwh is None:
            raise ValueError("minimize: mix needs energy_usd_per_kwh, the price put on a kWh")
        return self


class SolverSpec(_Strict):
    time_limit_s: float = Field(default=10.0, gt=0)
    mip_rel_gap: float = Field(default=0.01, ge=0, lt=1)  # prices are rarely known better


DistName = Literal["normal", "lognormal", "uniform", "triangular", "fixed"]
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"), "lognormal": ("median", "sigma"), "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"), "fixed": ("value",)}
"""The parameters each distribution takes (lognormal's median defaults to 1)."""


class DistSpec(_Strict):
    """A distribution to draw from; `dist` says which parameters it takes (DIST_PARAMS)."""

    dist: DistName
    mean: float | None = Field(default=None, ge=0)  # normal
    sd: float | None = Field(default=None, ge=0)  # normal: standard deviation
    median: float | None = Field(default=None, gt=0)  # lognormal: exp(μ) (default 1)
    sigma: float | None = Field(default=None, ge=0)  # lognormal: standard deviation of the log
    low: float | None = Field(default=None, ge=0)  # uniform, triangular
    mode: float | None = Field(default=None, ge=0)  # triangular: the most likely value
    high: float | None = Field(default=None, ge=0)  # uniform, triangular
    value: float | None = Field(default=None, ge=0)  # fixed: always this

    @model_validator(mode="after")
    def _params(self) -> DistSpec:
        takes = DIST_PARAMS[self.dist]
        given = [k for k in ("mean", "sd", "median", "sigma", "low", "mode", "high", "value")
                 if getattr(self, k) is not None]
        missing = [k for k in takes if getattr(self, k) is None and k != "median"]
        extra = [k for k in given if k not in takes]
        if missing or extra:
            wrong = [f"missing {', '.join(missing)}"] if missing else []
            wrong += [f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not one of "
                      f"them"] if extra else []
            raise ValueError(f"{self.dist} takes {', '.join(takes)}; {'; '.join(wrong)}")
        low, mode, high = self.low or 0.0, self.mode or 0.0, self.high or 0.0
        if self.dist == "uniform" and low > high:
            raise ValueError(f"uniform needs low ({low:g}) <= high ({high:g})")
        if self.dist == "triangular" and not (low <= mode <= high and low < high):
            raise ValueError(f"triangular needs low ({low:g}) <= mode ({mode:g}) <= high "
                             f"({high:g}) and low < high")
        return self


class FactorSpec(DistSpec):
    """A multiplicative factor on a price or a demand: it must stay above 0. A normal factor
    is truncated at 0 (draws <= 0 are drawn again)."""

    @model_validator(mode="after")
    def _positive(self) -> FactorSpec:
        for key in ("mean", "low", "value"):
            value = getattr(self, key)
            if value is not None and value <= 0:
                raise ValueError(f"a factor multiplies a price or a demand and must stay above "
                                 f"0: {key} ({value:g}) must be > 0")
        return self


class PriceUncertaintySpec(_Strict):
    """Factors on every tier's price of an offering. The most specific entry names its
    factor: offerings, then accelerators, then vendors, then default. An accelerator's or a
    vendor's factor is drawn once per run and moves all its offerings together; `default`
    (and an offering's own entry) is drawn for each offering on its own."""

    default: FactorSpec | None = None
    vendors: dict[str, FactorSpec] = Field(default_factory=dict)
    accelerators: dict[str, FactorSpec] = Field(default_factory=dict)  # accelerator id ->
    offerings: dict[str, FactorSpec] = Field(default_factory=dict)  # offering id ->

    @field_validator("vendors")
    @classmethod
    def _vendors(cls, value: dict[str, FactorSpec]) -> dict[str, FactorSpec]:
        for v in value:
            if v not in VENDORS:
                raise ValueError(f"vendor {v!r}: expected one of {', '.join(VENDORS)}")
        return value


class DemandUncertaintySpec(_Strict):
    """Factors on a workload's demand in every period. `all` is one draw per run for every
    workload (common growth); a workload's own entry, or else `default`, is drawn per
    workload and multiplies it."""

    all: FactorSpec | None = None
    default: FactorSpec | None = None
    workloads: dict[str, FactorSpec] = Field(default_factory=dict)  # workload name ->


class SupplyUncertaintySpec(_Strict):
    """Supply of one offering or accelerator: chips to be had (a sampled cap, rounded down to
    whole chips, at least 0, replacing a policy cap on the same key), and the probability that
    it can be bought at all (else its cap is 0 in that run)."""

    chips: DistSpec | None = None
    availability: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _something(self) -> SupplyUncertaintySpec:
        if self.chips is None and self.availability == 1.0:
            raise ValueError("give chips (a distribution of the chips to be had) and/or an "
                             "availability below 1")
        return self


class UncertaintySpec(_Strict):
    """What `fleetmix montecarlo` samples (examples/uncertain.yaml documents it)."""

    runs: int = Field(default=200, ge=1)  # default for --runs
    seed: int = Field(default=0, ge=0)  # default for --seed
    prices: PriceUncertaintySpec = Field(default_factory=PriceUncertaintySpec)
    demand: DemandUncertaintySpec = Field(default_factory=DemandUncertaintySpec)
    supply: dict[str, SupplyUncertaintySpec] = Field(default_factory=dict)  # offering or
    # accelerator id ->

    @model_validator(mode="after")
    def _something(self) -> UncertaintySpec:
        p, d = self.prices, self.demand
        if not (p.default or p.vendors or p.accelerators or p.offerings or d.all or d.default
                or d.workloads or self.supply):
            raise ValueError("nothing to sample: give prices, demand and/or supply")
        return self


class ScenarioSpec(_Strict):
    name: str | None = None
    capacity_headroom: float = Field(default=0.1, ge=0, lt=1)  # plan replicas at (1 - this)
    # of the capacity the simulator found: p99 latencies near capacity vary with the sample
    workloads: list[WorkloadSpec] = Field(min_length=1)
    catalog: CatalogSpec = Field(default_factory=CatalogSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    uncertainty: UncertaintySpec | None = None  # what `fleetmix montecarlo` samples

    @model_validator(mode="after")
    def _periods(self) -> ScenarioSpec:
        names = [w.name for w in self.workloads]
        if len(set(names)) != len(names):
            raise ValueError(f"workload names must be unique: {names}")
        lengths = {len(w.daily_profile or w.rates_rps or [0.0]) for w in self.workloads} - {1}
        if len(lengths) > 1:
            raise ValueError(f"every workload's daily_profile / rates_rps must have the same "
                             f"number of periods (or one); got {sorted(lengths)}")
        return self


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One stream of requests for one arch, its SLO and its demand per period."""

    name: str
    arch: Arch
    trace: Trace
    trace_name: str
    slo: Slo
    demand_rps: NDArray[np.float64]  # (periods,) requests per second
    precisions: tuple[str, ...]
    engine: str | None
    size_class: str | None

    @property
    def peak_period(self) -> int:
        return int(np.argmax(self.demand_rps))


@dataclass(frozen=True, kw_only=True)
class Policy:
    """The buyer's rules; None or empty means the rule is off."""

    max_vendor_share: float | None = None
    vendor_share_basis: ShareBasis = "chips"
    min_vendors: int | None = None
    survive_loss_of: tuple[LossDomain, ...] = ()
    surviving_fraction: float = 1.0
    power_budget_kw: float | None = None
    supply_caps: dict[str, int] = field(default_factory=dict)
    budget_usd_per_hour: float | None = None

    def rules(self) -> tuple[str, ...]:
        """The rules that are on, one name each (`supply_cap:<key>` per cap): the names
        `without` and `describe` take."""
        on = []
        if self.max_vendor_share is not None:
            on.append("max_vendor_share")
        if self.min_vendors is not None:
            on.append("min_vendors")
        on += [f"survive_loss_of_{d}" for d in self.survive_loss_of]
        if self.power_budget_kw is not None:
            on.append("power_budget_kw")
        on += [f"supply_cap:{key}" for key in self.supply_caps]
        if self.budget_usd_per_hour is not None:
            on.append("budget_usd_per_hour")
        return tuple(on)

    def describe(self, rule: str) -> str:
        """A rule and its setting, in words."""
        if rule == "max_vendor_share":
            return f"max vendor share {self.max_vendor_share:.0%} of {self.vendor_share_basis}"
        if rule == "min_vendors":
            return f"at least {self.min_vendors} vendors"
        if rule.startswith("survive_loss_of_"):
            return (f"survive the loss of any one {rule.removeprefix('survive_loss_of_')} "
                    f"keeping {self.surviving_fraction:.0%} of demand")
        if rule == "power_budget_kw":
            return f"power budget {self.power_budget_kw:g} kW"
        if rule.startswith("supply_cap:"):
            key = rule.removeprefix("supply_cap:")
            return f"supply of {key} capped at {self.supply_caps[key]} chips"
        if rule == "budget_usd_per_hour":
            return f"budget ${self.budget_usd_per_hour:,.0f}/hour"
        raise ValueError(f"unknown policy rule {rule!r}; known: {self.rules()}")

    def without(self, *rules: str) -> Policy:
        """This policy with the named rules switched off."""
        known = self.rules()
        survive = list(self.survive_loss_of)
        caps = dict(self.supply_caps)
        changes: dict[str, Any] = {}
        for rule in rules:
            if rule not in known:
                raise ValueError(f"unknown policy rule {rule!r}; known: {known}")
            if rule.startswith("survive_loss_of_"):
                survive.remove(rule.removeprefix("survive_loss_of_"))  # type: ignore[arg-type]
            elif rule.startswith("supply_cap:"):
                del caps[rule.removeprefix("supply_cap:")]
            else:
                changes[rule] = None
        return replace(self, survive_loss_of=tuple(survive), supply_caps=caps, **changes)

    def only(self, *rules: str) -> Policy:
        """This policy with every rule but the named ones switched off."""
        return self.without(*(r for r in self.rules() if r not in rules))


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A loaded scenario: everything the planner needs, resolved."""

    name: str
    path: Path | None
    workloads: tuple[Workload, ...]
    catalog: Catalog
    vendors: tuple[str, ...] | None
    clouds: tuple[str, ...] | None
    regions: tuple[str, ...] | None
    accelerators: tuple[str, ...] | None  # resolved ids; None: all
    exclude_accelerators: tuple[str, ...]
    tiers: tuple[str, ...]
    confirmed_prices_only: bool
    policy: Policy
    objective: Objective
    energy_usd_per_kwh: float | None
    time_limit_s: float
    mip_rel_gap: float
    capacity_headroom: float = 0.1  # replicas are planned at (1 - this) of their capacity
    uncertainty: UncertaintySpec | None = None  # validated; names checked against the catalog

    @property
    def num_periods(self) -> int:
        return len(self.workloads[0].demand_rps)

    @property
    def period_hours(self) -> float:
        """Periods split one day evenly."""
        return HOURS_PER_DAY / self.num_periods


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario YAML file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ScenarioError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
                            ) from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a mapping with a 'workloads' list at the top")
    try:
        spec = ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{_where(path, root, loc)}: {_dotted(loc) or 'scenario'}: "
                            f"{first['msg']}{more}") from None
    return resolve(spec, path, root)


def resolve(spec: ScenarioSpec, path: Path | None = None, root: yaml.Node | None = None
            ) -> Scenario:
    """Load what a validated spec names (archs, traces, catalog files)."""
    base = path.parent if path is not None else Path.cwd()

    def at(*loc: str | int) -> str:
        return f"{_where(path, root, loc)}: {_dotted(loc)}"

    cat_spec = spec.catalog
    try:
        catalog = load_catalog(extra_offerings=[base / p for p in cat_spec.offerings],
                               extra_accelerators=[base / p for p in cat_spec.accelerator_files])
    except FleetmixError as exc:
        raise ScenarioError(f"{at('catalog')}: {exc}") from None
    accelerators = None
    if cat_spec.accelerators is not None:
        accelerators = tuple(_resolved(catalog, name, at("catalog", "accelerators", i))
                             for i, name in enumerate(cat_spec.accelerators))
    excluded = tuple(_resolved(catalog, name, at("catalog", "exclude_accelerators", i))
                     for i, name in enumerate(cat_spec.exclude_accelerators))
    offering_ids = {o.id for o in catalog.offerings}
    for key in spec.policy.supply_caps:
        if key not in catalog.accelerators and key not in offering_ids:
            raise ScenarioError(f"{at('policy', 'supply_caps', key)}: {key!r} is neither an "
                                f"accelerator id nor an offering id of the catalog")
    num_periods = max(len(w.daily_profile or w.rates_rps or [0.0]) for w in spec.workloads)
    workloads = tuple(_workload(w, i, base, num_periods, at)
                      for i, w in enumerate(spec.workloads))
    pol = spec.policy
    return Scenario(
        name=spec.name or (path.stem if path is not None else "scenario"), path=path,
        workloads=workloads, catalog=catalog,
        vendors=tuple(cat_spec.vendors) if cat_spec.vendors is not None else None,
        clouds=tuple(cat_spec.clouds) if cat_spec.clouds is not None else None,
        regions=tuple(cat_spec.regions) if cat_spec.regions is not None else None,
        accelerators=accelerators, exclude_accelerators=excluded, tiers=tuple(cat_spec.tiers),
        confirmed_prices_only=cat_spec.confirmed_prices_only,
        policy=Policy(max_vendor_share=pol.max_vendor_share,
                      vendor_share_basis=pol.vendor_share_basis, min_vendors=pol.min_vendors,
                      survive_loss_of=tuple(dict.fromkeys(pol.survive_loss_of)),
                      surviving_fraction=pol.surviving_fraction,
                      power_budget_kw=pol.power_budget_kw, supply_caps=dict(pol.supply_caps),
                      budget_usd_per_hour=pol.budget_usd_per_hour),
        objective=spec.objective.minimize, energy_usd_per_kwh=spec.objective.energy_usd_per_kwh,
        time_limit_s=spec.solver.time_limit_s, mip_rel_gap=spec.solver.mip_rel_gap,
        capacity_headroom=spec.capacity_headroom,
        uncertainty=_uncertainty(spec, catalog, at),
    )


def _uncertainty(spec: ScenarioSpec, catalog: Catalog, at: Any) -> UncertaintySpec | None:
    """The uncertainty section, its names checked: offerings, accelerators (ids, as in
    supply_caps) and workloads."""
    unc = spec.uncertainty
    if unc is None:
        return None
    offering_ids = [o.id for o in catalog.offerings]
    workloads = [w.name for w in spec.workloads]
    named: list[tuple[tuple[str, ...], str, list[str], str]] = [
        (("prices", "offerings"), k, offering_ids, "an offering id") for k in unc.prices.offerings]
    named += [(("prices", "accelerators"), k, list(catalog.accelerators), "an accelerator id")
              for k in unc.prices.accelerators]
    named += [(("demand", "workloads"), k, workloads, "a workload") for k in unc.demand.workloads]
    named += [(("supply",), k, [*catalog.accelerators, *offering_ids],
               "an accelerator id or offering id") for k in unc.supply]
    for loc, key, known, kind in named:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ScenarioError(f"{at('uncertainty', *loc, key)}: {key!r} is not {kind} of "
                                f"the {'scenario' if kind == 'a workload' else 'catalog'}{hint}")
    return unc


def _resolved(catalog: Catalog, name: str, where: str) -> str:
    try:
        return catalog.accelerator(name).id
    except FleetmixError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _workload(w: WorkloadSpec, index: int, base: Path, num_periods: int, at: Any) -> Workload:
    try:
        arch = arch_lib.load_arch(_local(w.arch, base, arch_lib.builtin_names()))
    except FleetmixError as exc:
        raise ScenarioError(f"{at('workloads', index, 'arch')}: {exc}") from None
    try:
        trace = workload_lib.load_trace(
            _local(w.trace, base, workload_lib.builtin_trace_names()), format=w.trace_format,
            columns=w.trace_columns)
    except FleetmixError as exc:
        raise ScenarioError(f"{at('workloads', index, 'trace')}: {exc}") from None
    if w.rates_rps is not None:
        shape = np.asarray(w.rates_rps, dtype=np.float64)
    else:
        assert w.peak_rps is not None  # the spec's validator guarantees it
        shape = w.peak_rps * np.asarray(w.daily_profile or [1.0], dtype=np.float64)
    demand = np.broadcast_to(shape, (num_periods,)).copy() if shape.size == 1 else shape
    if not demand.any():
        raise ScenarioError(f"{at('workloads', index)}: demand is zero in every period")
    slo = Slo(ttft_s={int(k[6:8]): _seconds(k, v) for k, v in w.slo.items() if k[:4] == "ttft"},
              tpot_s={int(k[6:8]): _seconds(k, v) for k, v in w.slo.items() if k[:4] == "tpot"})
    return Workload(name=w.name, arch=arch, trace=trace, trace_name=w.trace, slo=slo,
                    demand_rps=demand, precisions=tuple(dict.fromkeys(w.precisions)),
                    engine=w.engine, size_class=w.size_class)


def _seconds(key: str, value: float) -> float:
    return value / 1e3 if key.endswith("_ms") else value


def _local(name: str, base: Path, builtins: Sequence[str]) -> str:
    """A built-in name stays as is; anything else is a path relative to the scenario."""
    if name in builtins or Path(name).is_absolute():
        return name
    return str(base / name)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _where(path: Path | None, root: yaml.Node | None, loc: Sequence[str | int]) -> str:
    """`file:line` of the deepest YAML node on `loc` (the line of the field at fault)."""
    name = str(path) if path is not None else "<scenario>"
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, child = key.start_mark.line + 1, value
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            child = node.value[part]
            line = child.start_mark.line + 1
        node = child
    if line is None and root is not None:
        line = root.start_mark.line + 1
    return f"{name}:{line}" if line is not None else name
