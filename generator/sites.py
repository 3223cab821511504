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
    """Go-live day of every drawn site: a customer's first site, then the others staggered.

    Drawn without regard to the window's end: some fall after it (see
    ``_sites_live_by_window_end``).
    """
    n_cust, n_site = customers.n, len(site_customer)
    per_customer = np.diff(site_start)
    pre = rng.random(n_cust) < p.prewindow_customer_share
    first_golive = np.where(
        pre,
        -rng.integers(1, p.prewindow_max_days + 1, size=n_cust),
        rng.integers(0, n_days, size=n_cust),
    )
    stagger = np.floor(rng.exponential(p.site_stagger_mean_days, size=n_site)).astype(np.int64)
    first_site = site_start[:-1] + np.floor(rng.random(n_cust) * per_customer).astype(np.int64)
    stagger[first_site] = 0
    golive = first_golive[site_customer] + stagger
    heavy_sites = customers.heavy[site_customer]
    golive[heavy_sites] = np.minimum(
        golive[heavy_sites], -rng.integers(30, 365, size=int(heavy_sites.sum()))
    )
    return golive


def _pick_planted_sites(
    site_start: np.ndarray, roles: PlantedSiteRoles, rng: np.random.Generator
) -> dict[str, int]:
    """One site of each role's host customer (a different one for each role)."""
    picked: dict[str, int] = {}
    for name, host in roles.host.items():
        candidates = np.arange(site_start[host], site_start[host + 1])
        candidates = candidates[~np.isin(candidates, list(picked.values()))]
        picked[name] = int(candidates[rng.integers(len(candidates))])
    return picked


def _schedule_planted_sites(
    sites: Sites, roles: PlantedSiteRoles, p: Params, rng: np.random.Generator
) -> None:
    """Give each planted site its role's go-live, churn or gaps."""
    for name, s in sites.planted.items():
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
    """Ordinary sites churn at a constant rate from 30 days after go-live.

    A constant hazard keeps the share of live sites churning each month flat
    across the window, first and last months included; a churn day drawn after
    the window's end is no churn in the data. (Drawing the day inside each site's
    remaining window instead would crowd churn into the last months, where late
    sites have little window left.)
    """
    ordinary = (
        ~sites.exclusive & ~customers.heavy[sites.customer] & ~customers.internal[sites.customer]
    )
    # no memory in a constant hazard: a site live before the window is at risk from day 0
    earliest = np.maximum(sites.golive + 30, 0)
    mean_days = 365.25 / p.natural_churn_per_year
    day = earliest + np.floor(rng.exponential(mean_days, size=sites.n)).astype(np.int64)
    churns = ordinary & (day < n_days)
    sites.churn[churns] = day[churns]


def _sites_live_by_window_end(
    golive: np.ndarray, planted: dict[str, int], n_days: int
) -> tuple[np.ndarray, dict[str, int]]:
    """Which drawn sites exist: those going live by the window's end, and the planted ones.

    A site whose go-live falls after the window has not gone live yet, so it is
    not in the data, as on the real platform at that date. Clamping it onto the
    last allowed day would pile new sites up in the last month; redrawing it
    inside the window would squeeze a late customer's later sites into the last
    months.
    Planted sites get an in-window go-live afterwards, so they always exist.
    """
    exists = golive < n_days
    exists[list(planted.values())] = True
    new_index = np.cumsum(exists) - 1
    return exists, {name: int(new_index[s]) for name, s in planted.items()}


def draw_sites(
    customers: Customers, roles: PlantedSiteRoles, n_days: int, p: Params, rng: np.random.Generator
) -> Sites:
    """Every site live by the window's end, with its planted role if it has one."""
    drawn_per_customer = _sites_per_customer(customers, roles, p, rng)
    drawn_customer = np.repeat(np.arange(customers.n), drawn_per_customer)
    drawn_start = np.concatenate([[0], np.cumsum(drawn_per_customer)]).astype(np.int64)
    drawn_golive = _go_lives(customers, drawn_customer, drawn_start, n_days, p, rng)
    drawn_planted = _pick_planted_sites(drawn_start, roles, rng)
    exists, planted = _sites_live_by_window_end(drawn_golive, drawn_planted, n_days)
    site_customer = drawn_customer[exists].astype(np.int32)
    per_customer = np.bincount(site_customer, minlength=customers.n).astype(np.int64)
    n_site = len(site_customer)

    def never() -> np.ndarray:
        return np.full(n_site, NEVER, dtype=np.int64)

    sites = Sites(
        customer=site_customer,
        start=np.concatenate([[0], np.cumsum(per_customer)]).astype(np.int64),
        per_customer=per_customer,
        site_id=_site_ids(site_customer, rng),
        golive=drawn_golive[exists],
        churn=never(),
        blackout_start=never(),
        blackout_end=never(),
        no_storage_until=-never(),
        factor=np.ones(n_site),
        content=np.ones(n_site),
        exclusive=np.zeros(n_site, dtype=bool),
        planted=planted,
    )
    sites.exclusive[list(planted.values())] = True  # planted sites keep their own users
    _schedule_planted_sites(sites, roles, p, rng)
    _natural_churn(sites, customers, n_days, p, rng)
    sites.factor = rng.lognormal(0.0, p.site_engagement_sigma, size=n_site)
    sites.content = rng.lognormal(0.0, p.content_size_sigma, size=n_site)
    for s in planted.values():
        sites.factor[s] = 1.0
    return sites
