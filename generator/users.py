"""Users of a run: how many each site has, registration, licence, engagement, site assignments.

Users are indexed in (customer, primary site) order here; ``entities`` reorders
them by e-mail once the names are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.config import Params
from generator.customers import Customers
from generator.sites import Sites
from generator.world import NEVER


@dataclass
class Users:
    """Per-user arrays: each user has one primary site."""

    primary: np.ndarray
    customer: np.ndarray
    start: np.ndarray  # users of customer c: [start[c], start[c + 1])
    registration: np.ndarray
    license: np.ndarray
    engagement: np.ndarray
    activation_delay: np.ndarray
    active_from: np.ndarray
    dormant_from: np.ndarray
    count_multiplier: np.ndarray

    @property
    def n(self) -> int:
        return len(self.primary)

    def engage(self, users: np.ndarray, floor: float) -> None:
        """Make users reliably active: no delay, never dormant, a floor on engagement."""
        self.active_from[users] = self.registration[users] + np.minimum(
            self.activation_delay[users], 2
        )
        self.dormant_from[users] = NEVER
        self.engagement[users] = np.maximum(self.engagement[users], floor)


@dataclass
class Assignments:
    """User-site assignments (primary and extra sites), ordered by user then site."""

    user: np.ndarray
    site: np.ndarray
    weight: np.ndarray  # activity level on the site relative to the primary one


def _users_per_site(
    sites: Sites, customers: Customers, p: Params, rng: np.random.Generator
) -> np.ndarray:
    """Users a site gets over its life; those not registered by the window's end drop out."""
    med = np.asarray(p.users_per_site_median)[customers.tier[sites.customer]] * p.users_scale
    n_users_site = np.maximum(
        1, np.rint(rng.lognormal(np.log(med), p.users_per_site_sigma)).astype(np.int64)
    )
    for name, s in sites.planted.items():
        floor = 4 if name == "churned" else p.planted_min_users
        n_users_site[s] = max(n_users_site[s], floor)
    return n_users_site


def _registration_days(
    primary: np.ndarray, sites: Sites, p: Params, rng: np.random.Generator
) -> np.ndarray:
    """A roll-out burst after go-live, or a uniform trickle over the site's first months.

    Drawn without regard to the window's end or the site's churn (see ``draw_users``):
    a trickle squeezed into the days a late site has left in the window would make
    registrations speed up towards the window's end.
    """
    n_user = len(primary)
    burst = rng.random(n_user) < p.burst_share
    burst_off = np.floor(rng.exponential(p.burst_mean_days, size=n_user))
    trickle_off = np.floor(rng.random(n_user) * (p.trickle_horizon_days + 1))
    offset = np.where(burst, burst_off, trickle_off).astype(np.int64)
    # planted sites: everybody joins in the roll-out burst (within 40 days of go-live)
    in_planted = np.isin(primary, list(sites.planted.values()))
    offset[in_planted] = np.minimum(burst_off[in_planted], 40).astype(np.int64)
    return sites.golive[primary] + offset


def _shape_planted_site_users(
    users: Users, sites: Sites, p: Params, rng: np.random.Generator
) -> None:
    """Users of planted sites: all engaged, except the slow ramp's late majority."""
    for name, s in sites.planted.items():
        mine = np.flatnonzero(users.primary == s)
        if name in ("high_activity_no_storage", "stalled", "churned"):
            users.engage(mine, p.planted_engagement_floor)
        elif name == "slow_ramp":
            mine = rng.permutation(mine)
            k = max(3, int(p.slow_ramp_active_share * len(mine)))
            users.engage(mine[:k], p.planted_engagement_floor)
            late = mine[k:]
            users.active_from[late] = (
                sites.golive[s]
                + p.slow_ramp_late_start_days
                + np.floor(rng.exponential(20.0, size=len(late))).astype(np.int64)
            )
            users.active_from[late[rng.random(len(late)) < 0.25]] = NEVER
            users.dormant_from[late] = NEVER


def draw_users(
    customers: Customers, sites: Sites, n_days: int, p: Params, rng: np.random.Generator
) -> Users:
    """Every user with a primary site, a registration day, a licence and an engagement."""
    primary = np.repeat(np.arange(sites.n), _users_per_site(sites, customers, p, rng))
    registration = _registration_days(primary, sites, p, rng)
    # A user who would register after the window's end or after the site churned
    # is not in the data (not yet, or never). Registering them on the last possible
    # day instead would pile registrations up on the window's last day and on the
    # eve of each churn.
    joins = registration < np.minimum(sites.churn[primary], n_days)
    primary, registration = primary[joins], registration[joins]
    n_user = len(primary)
    ucust = sites.customer[primary].astype(np.int64)

    license_ = rng.choice(3, size=n_user, p=p.license_weights).astype(np.int8)
    engagement = (
        rng.beta(*p.engagement_beta, size=n_user)
        * np.asarray(p.license_engagement)[license_]
        * customers.factor[ucust]
    )
    never = rng.random(n_user) < p.never_active_share
    dormant = rng.random(n_user) < p.dormant_share
    dormant_after = np.ceil(rng.exponential(p.dormant_after_mean_days, size=n_user)).astype(
        np.int64
    )
    delay = np.floor(rng.exponential(p.activation_delay_mean_days, size=n_user)).astype(np.int64)
    count_mult = rng.lognormal(0.0, p.event_multiplier_sigma, size=n_user)
    active_from = np.where(never, NEVER, registration + delay)
    users = Users(
        primary=primary,
        customer=ucust,
        start=np.concatenate([[0], np.cumsum(np.bincount(ucust, minlength=customers.n))]),
        registration=registration,
        license=license_,
        engagement=engagement,
        activation_delay=delay,
        active_from=active_from,
        dormant_from=np.where(dormant & ~never, active_from + dormant_after, NEVER),
        count_multiplier=count_mult,
    )
    _shape_planted_site_users(users, sites, p, rng)
    return users


def assign_sites(users: Users, sites: Sites, p: Params, rng: np.random.Generator) -> Assignments:
    """Each user's primary site, plus 1-2 more of its customer's sites for some of them.

    An extra site must be live at the user's registration; planted sites keep
    their own users.
    """
    asg_user = [np.arange(users.n)]
    asg_site = [users.primary]
    extra_p = np.asarray(p.extra_site_weights) / np.sum(p.extra_site_weights)
    for c in np.flatnonzero(sites.per_customer >= 2):
        sites_c = np.arange(sites.start[c], sites.start[c + 1])
        users_c = np.arange(users.start[c], users.start[c + 1])
        users_c = users_c[~sites.exclusive[users.primary[users_c]]]
        pick = users_c[rng.random(len(users_c)) < p.multi_site_share]
        if len(pick) == 0:
            continue
        extra = 1 + rng.choice(len(extra_p), size=len(pick), p=extra_p)
        keys = rng.random((len(pick), len(sites_c)))
        eligible = (
            (sites.golive[sites_c][None, :] <= users.registration[pick][:, None])
            & (sites_c[None, :] != users.primary[pick][:, None])
            & ~sites.exclusive[sites_c][None, :]
        )
        keys[~eligible] = np.inf
        order = np.argsort(keys, axis=1, kind="stable")
        for j in range(min(int(extra.max()), len(sites_c))):
            col = order[:, j]
            ok = (j < extra) & np.isfinite(keys[np.arange(len(pick)), col])
            asg_user.append(pick[ok])
            asg_site.append(sites_c[col[ok]])
    a_user = np.concatenate(asg_user)
    a_site = np.concatenate(asg_site)
    a_weight = np.where(a_site == users.primary[a_user], 1.0, p.secondary_site_weight)
    return Assignments(a_user, a_site, a_weight)
