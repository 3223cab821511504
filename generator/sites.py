"""Sites of a run: how many each customer has, their ids, go-lives, churn and planted roles."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.config import Params
from generator.customers import Customers
from generator.world import NEVER

ONBOARDING_ROLES = ("high_activity_no_storage", "slow_ramp", "stalled")


@dataclass
class PlantedSiteRoles:
    """Which customer hosts each planted site, and the days its go-live or churn may take."""

    host: dict[str, int]  # role -> customer
    golive_hi: int  # onboarding cases go live on a day in [7, golive_hi]
    churn_lo: int  # the planted churn happens on a day in [churn_lo, churn_hi]
    churn_hi: int


@dataclass
class Sites:
    """Per-site arrays (index = (customer_id, site_id) order)."""

    customer: np.ndarray
    start: np.ndarray  # sites of customer c: [start[c], start[c + 1])
    per_customer: np.ndarray
    site_id: list[str]
    golive: np.ndarray
    churn: np.ndarray
    blackout_start: np.ndarray
    blackout_end: np.ndarray
    no_storage_until: np.ndarray
    factor: np.ndarray
    content: np.ndarray
    exclusive: np.ndarray  # bool: planted sites keep their own users (no multi-site users)
    planted: dict[str, int] = field(default_factory=dict)  # role -> site

    @property
    def n(self) -> int:
        return len(self.site_id)


def planted_site_roles(customers: Customers, n_days: int, p: Params) -> PlantedSiteRoles:
    """Host customers of the planted sites; a role the window is too short for is left out."""
    hosts = customers.hosts
    golive_hi = min(int(0.4 * n_days), n_days - p.onboarding_window_days - 30)
    plant_onboarding = len(hosts) > 0 and golive_hi >= 7
    churn_lo = max(30, n_days - p.churn_before_end_days[1])
    churn_hi = n_days - p.churn_before_end_days[0]
    plant_churn = len(hosts) > 0 and churn_hi >= churn_lo
    # onboarding roles first, then the planted churn
    role_names = list(ONBOARDING_ROLES) if plant_onboarding else []
    if plant_churn:
        role_names.append("churned")
    host = {name: int(hosts[i % len(hosts)]) for i, name in enumerate(role_names)}
    return PlantedSiteRoles(host, golive_hi, churn_lo, churn_hi)


def _sites_per_customer(
    customers: Customers, roles: PlantedSiteRoles, p: Params, rng: np.random.Generator
) -> np.ndarray:
    """By tier, and at least as many as the customer's planted roles need."""
    lo = np.array([t[0] for t in p.sites_per_tier])[customers.tier]
    hi = np.array([t[1] for t in p.sites_per_tier])[customers.tier]
    per_customer = rng.integers(lo, hi + 1)
    need = np.bincount(np.array(list(roles.host.values()), dtype=int), minlength=customers.n)
    heavy_idx = customers.heavy_idx
    need[heavy_idx] = np.maximum(need[heavy_idx], 2)  # also the multi-site showcase's home
    return np.maximum(per_customer, need).astype(np.int64)


def _site_ids(site_customer: np.ndarray, rng: np.random.Generator) -> list[str]:
    """``A`` + 11 random digits, unique, ascending within each customer."""
    n_site = len(site_customer)
    raw_ids = rng.integers(10**10, 10**11, size=n_site)
    while len(np.unique(raw_ids)) < n_site:  # pragma: no cover - astronomically rare
        _, first_at = np.unique(raw_ids, return_index=True)
        dup = np.ones(n_site, dtype=bool)
        dup[first_at] = False
        raw_ids[dup] = rng.integers(10**10, 10**11, size=int(dup.sum()))
    raw_ids = raw_ids[np.lexsort((raw_ids, site_customer))]
    return [f"A{v:011d}" for v in raw_ids.tolist()]


def _go_lives(
    customers: Customers,
    site_customer: np.ndarray,
    site_start: np.ndarray,
    n_days: int,
    p: Params,
    rng: np.random.Generator,
) -> np.ndarray:
    """Go-live day of every site: a customer's first site, then the others staggered."""
    n_cust, n_site = customers.n, len(site_customer)
    per_customer = np.diff(site_start)
    last_golive = max(1, n_days - p.inwindow_golive_tail_days)
    pre = rng.random(n_cust) < p.prewindow_customer_share
    first_golive = np.where(
        pre,
        -rng.integers(1, p.prewindow_max_days + 1, size=n_cust),
        rng.integers(0, last_golive, size=n_cust),
    )
    stagger = np.floor(rng.exponential(p.site_stagger_mean_days, size=n_site)).astype(np.int64)
    first_site = site_start[:-1] + np.floor(rng.random(n_cust) * per_customer).astype(np.int64)
    stagger[first_site] = 0
    golive = np.minimum(first_golive[site_customer] + stagger, last_golive - 1)
    heavy_sites = customers.heavy[site_customer]
    golive[heavy_sites] = np.minimum(
        golive[heavy_sites], -rng.integers(30, 365, size=int(heavy_sites.sum()))
    )
    return golive


def _plant_sites(
    sites: Sites, roles: PlantedSiteRoles, p: Params, rng: np.random.Generator
) -> None:
    """Pick one site of each role's host and give it the role's go-live, churn or gaps."""
    for name, host in roles.host.items():
        candidates = np.arange(sites.start[host], sites.start[host + 1])
        candidates = candidates[~sites.exclusive[candidates]]
        s = int(candidates[rng.integers(len(candidates))])
        sites.exclusive[s] = True
        sites.planted[name] = s
        if name == "churned":
            sites.golive[s] = -int(rng.integers(30, 400))
            sites.churn[s] = int(rng.integers(roles.churn_lo, roles.churn_hi + 1))
        else:
            sites.golive[s] = int(rng.integers(7, roles.golive_hi + 1))
    if "stalled" in sites.planted:
        s = sites.planted["stalled"]
        sites.blackout_start[s] = sites.golive[s] + p.stalled_blackout[0]
        sites.blackout_end[s] = sites.golive[s] + p.stalled_blackout[1]
    if "high_activity_no_storage" in sites.planted:
        s = sites.planted["high_activity_no_storage"]
        sites.no_storage_until[s] = sites.golive[s] + p.onboarding_window_days


def _natural_churn(
    sites: Sites, customers: Customers, n_days: int, p: Params, rng: np.random.Generator
) -> None:
    """Some ordinary sites stop inside the window."""
    first_day = np.maximum(sites.golive, 0)
    ordinary = (
        ~sites.exclusive & ~customers.heavy[sites.customer] & ~customers.internal[sites.customer]
    )
    natural = (
        ordinary & (rng.random(sites.n) < p.natural_churn_share) & (first_day + 30 < n_days - 1)
    )
    natural_day = first_day + 30 + np.floor(rng.random(sites.n) * (n_days - 1 - first_day - 30))
    sites.churn[natural] = natural_day[natural].astype(np.int64)


def draw_sites(
    customers: Customers, roles: PlantedSiteRoles, n_days: int, p: Params, rng: np.random.Generator
) -> Sites:
    """Every site of the run, with its planted role if it has one."""
    per_customer = _sites_per_customer(customers, roles, p, rng)
    n_site = int(per_customer.sum())
    site_customer = np.repeat(np.arange(customers.n), per_customer).astype(np.int32)
    site_start = np.concatenate([[0], np.cumsum(per_customer)]).astype(np.int64)
    site_id = _site_ids(site_customer, rng)
    golive = _go_lives(customers, site_customer, site_start, n_days, p, rng)

    def never() -> np.ndarray:
        return np.full(n_site, NEVER, dtype=np.int64)

    sites = Sites(
        customer=site_customer,
        start=site_start,
        per_customer=per_customer,
        site_id=site_id,
        golive=golive,
        churn=never(),
        blackout_start=never(),
        blackout_end=never(),
        no_storage_until=-never(),
        factor=np.ones(n_site),
        content=np.ones(n_site),
        exclusive=np.zeros(n_site, dtype=bool),
    )
    _plant_sites(sites, roles, p, rng)
    _natural_churn(sites, customers, n_days, p, rng)
    sites.factor = rng.lognormal(0.0, p.site_engagement_sigma, size=n_site)
    sites.content = rng.lognormal(0.0, p.content_size_sigma, size=n_site)
    for s in sites.planted.values():
        sites.factor[s] = 1.0
    return sites
