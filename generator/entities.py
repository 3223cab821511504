"""Build the entities of a run: customers, sites, users, site assignments, planted cases.

Pure functions of (seed, customers, window, params): no I/O. Days are integers
relative to the window start (day 0 = ``start``); negative days lie before the
window. ``NEVER`` stands for "no such day" (never churns, never dormant, ...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from faker import Faker

from generator.config import (
    CREATE,
    CREATOR,
    DOMAIN_SUFFIXES,
    EXPLORER,
    FIRST_CUSTOMER_ID,
    INTERNAL_DOMAIN,
    INTERNAL_REASONS,
    PUBLISH,
    TLD_WEIGHTS,
    TOP_LEVEL_DOMAINS,
    VIEWER,
    Params,
)

NEVER = 1 << 30
TECHNOLOGY = 0  # index of "Technology" in INDUSTRIES


@dataclass
class World:
    """All entities of one run, as parallel numpy arrays (ordered as in the outputs)."""

    seed: int
    start: dt.date
    n_days: int
    params: Params
    # customers (index = customer_id order)
    customer_id: list[str]
    customer_tier: np.ndarray
    customer_region: np.ndarray
    customer_industry: np.ndarray
    customer_contact: list[str]
    customer_internal: np.ndarray
    customer_heavy: np.ndarray
    customer_factor: np.ndarray
    customer_site_start: np.ndarray  # sites of customer c: [start[c], start[c + 1])
    customer_user_start: np.ndarray  # users of customer c: [start[c], start[c + 1])
    internal_reason: dict[int, str]
    # sites (index = (customer_id, site_id) order)
    site_id: list[str]
    site_customer: np.ndarray
    site_golive: np.ndarray
    site_churn: np.ndarray
    site_blackout_start: np.ndarray
    site_blackout_end: np.ndarray
    site_no_storage_until: np.ndarray
    site_factor: np.ndarray
    site_content: np.ndarray
    # users (index = (customer_id, user_email) order)
    user_email: list[str]
    user_customer: np.ndarray
    user_registration: np.ndarray
    user_license: np.ndarray
    user_engagement: np.ndarray
    user_active_from: np.ndarray
    user_dormant_from: np.ndarray
    user_count_multiplier: np.ndarray
    user_type_probability: np.ndarray  # (users, 4) by activity type code
    # assignments (ordered by user, then site)
    assignment_user: np.ndarray
    assignment_site: np.ndarray
    assignment_weight: np.ndarray
    # planted cases: name -> list of entity descriptions (indices, resolved later)
    planted: dict[str, list[int]] = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        return len(self.customer_id)

    @property
    def n_sites(self) -> int:
        return len(self.site_id)

    @property
    def n_users(self) -> int:
        return len(self.user_email)


def stratified(n: int, weights: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """``n`` category codes in proportion to ``weights`` (largest remainder), shuffled."""
    w = np.asarray(weights, dtype=float)
    exact = n * w / w.sum()
    counts = np.floor(exact).astype(int)
    remainder = n - counts.sum()
    if remainder:
        counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    codes = np.repeat(np.arange(len(w)), counts)
    return rng.permutation(codes).astype(np.int8)


def _name_pools(fake: Faker) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower-case first and last names with their frequency weights, from Faker's locale data."""
    provider = next(p for p in fake.get_providers() if hasattr(p, "last_names"))
    pools = []
    for names in (provider.first_names, provider.last_names):
        merged: dict[str, float] = {}
        for name, weight in names.items():
            key = "".join(ch for ch in name.lower() if "a" <= ch <= "z")
            if key:
                merged[key] = merged.get(key, 0.0) + float(weight)
        keys = sorted(merged)
        w = np.array([merged[k] for k in keys])
        pools += [np.array(keys, dtype=object), w / w.sum()]
    return pools[0], pools[1], pools[2], pools[3]


def _unique_names(
    group: np.ndarray,
    first_p: np.ndarray,
    last_p: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (first, last) name indices, unique within each ``group`` value."""
    n = len(group)
    nf, nl = len(first_p), len(last_p)
    first = rng.choice(nf, size=n, p=first_p)
    last = rng.choice(nl, size=n, p=last_p)
    for _ in range(200):
        key = (group.astype(np.int64) * nf + first) * nl + last
        _, first_at = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first_at] = False
        if not dup.any():
            return first, last
        k = int(dup.sum())
        # Re-draw duplicates uniformly (rare names) so that crowded groups still resolve.
        first[dup] = rng.integers(0, nf, size=k)
        last[dup] = rng.integers(0, nl, size=k)
    raise RuntimeError("could not draw unique user names")  # pragma: no cover


def _domains(n: int, internal: np.ndarray, fake: Faker, rng: np.random.Generator) -> list[str]:
    """One unique, single-TLD company domain per customer (internal ones share ours)."""
    seen = {INTERNAL_DOMAIN}
    out: list[str] = []
    tld_p = np.asarray(TLD_WEIGHTS) / np.sum(TLD_WEIGHTS)
    for i in range(n):
        if internal[i]:
            out.append(INTERNAL_DOMAIN)
            continue
        while True:
            word = "".join(ch for ch in fake.domain_word().lower() if ch.isalnum() or ch == "-")
            suffix = DOMAIN_SUFFIXES[int(rng.integers(len(DOMAIN_SUFFIXES)))]
            tld = TOP_LEVEL_DOMAINS[int(rng.choice(len(TOP_LEVEL_DOMAINS), p=tld_p))]
            domain = f"{word}{'-' + suffix if suffix else ''}.{tld}".strip("-")
            if word and domain not in seen:
                seen.add(domain)
                out.append(domain)
                break
    return out


def build_world(seed: int, n_customers: int, start: dt.date, end: dt.date, params: Params) -> World:
    """Draw every entity of the run. Deterministic in its arguments."""
    p = params
    rng = np.random.default_rng([seed, 0])
    fake = Faker("en_US")
    fake.seed_instance(seed)
    n_days = (end - start).days + 1
    n_cust = n_customers

    # ---- customers -------------------------------------------------------------
    tier = stratified(n_cust, p.tier_weights, rng)
    region = stratified(n_cust, p.region_weights, rng)
    industry = rng.choice(len(p.industry_weights), size=n_cust, p=p.industry_weights).astype(
        np.int8
    )
    cfactor = rng.lognormal(0.0, p.customer_engagement_sigma, size=n_cust)

    n_internal = 0 if n_cust < 4 else (1 if n_cust < 50 else 2 + n_cust // 1000)
    roles = rng.permutation(n_cust)
    internal_idx = np.sort(roles[:n_internal])
    rest = roles[n_internal:]
    n_heavy = 0 if len(rest) < 3 else (1 if n_cust < 20 else 2)
    heavy_idx = np.sort(rest[:n_heavy])
    hosts = rest[n_heavy:]
    internal = np.zeros(n_cust, dtype=bool)
    internal[internal_idx] = True
    industry[internal] = TECHNOLOGY
    heavy = np.zeros(n_cust, dtype=bool)
    heavy[heavy_idx] = True

    window = p.onboarding_window_days
    golive_hi = min(int(0.4 * n_days), n_days - window - 30)
    plant_onboarding = len(hosts) > 0 and golive_hi >= 7
    churn_lo = max(30, n_days - p.churn_before_end_days[1])
    churn_hi = n_days - p.churn_before_end_days[0]
    plant_churn = len(hosts) > 0 and churn_hi >= churn_lo
    # role -> host customer (onboarding roles first, then the planted churn)
    role_names = ["high_activity_no_storage", "slow_ramp", "stalled"] if plant_onboarding else []
    if plant_churn:
        role_names.append("churned")
    role_host = {name: int(hosts[i % len(hosts)]) for i, name in enumerate(role_names)}

    # ---- sites -----------------------------------------------------------------
    lo = np.array([t[0] for t in p.sites_per_tier])[tier]
    hi = np.array([t[1] for t in p.sites_per_tier])[tier]
    sites_per_customer = rng.integers(lo, hi + 1)
    need = np.bincount(np.array(list(role_host.values()), dtype=int), minlength=n_cust)
    need[heavy_idx] = np.maximum(need[heavy_idx], 2)  # also the multi-site showcase's home
    sites_per_customer = np.maximum(sites_per_customer, need).astype(np.int64)
    n_site = int(sites_per_customer.sum())
    site_customer = np.repeat(np.arange(n_cust), sites_per_customer).astype(np.int32)
    site_start = np.concatenate([[0], np.cumsum(sites_per_customer)]).astype(np.int64)

    raw_ids = rng.integers(10**10, 10**11, size=n_site)
    while len(np.unique(raw_ids)) < n_site:  # pragma: no cover - astronomically rare
        _, first_at = np.unique(raw_ids, return_index=True)
        dup = np.ones(n_site, dtype=bool)
        dup[first_at] = False
        raw_ids[dup] = rng.integers(10**10, 10**11, size=int(dup.sum()))
    raw_ids = raw_ids[np.lexsort((raw_ids, site_customer))]  # ascending ids within customer
    site_id = [f"A{v:011d}" for v in raw_ids.tolist()]

    last_golive = max(1, n_days - p.inwindow_golive_tail_days)
    pre = rng.random(n_cust) < p.prewindow_customer_share
    first_golive = np.where(
        pre,
        -rng.integers(1, p.prewindow_max_days + 1, size=n_cust),
        rng.integers(0, last_golive, size=n_cust),
    )
    stagger = np.floor(rng.exponential(p.site_stagger_mean_days, size=n_site)).astype(np.int64)
    first_site = site_start[:-1] + np.floor(rng.random(n_cust) * sites_per_customer).astype(
        np.int64
    )
    stagger[first_site] = 0
    golive = np.minimum(first_golive[site_customer] + stagger, last_golive - 1)
    heavy_sites = heavy[site_customer]
    golive[heavy_sites] = np.minimum(
        golive[heavy_sites], -rng.integers(30, 365, size=int(heavy_sites.sum()))
    )

    churn = np.full(n_site, NEVER, dtype=np.int64)
    blackout_start = np.full(n_site, NEVER, dtype=np.int64)
    blackout_end = np.full(n_site, NEVER, dtype=np.int64)
    no_storage_until = np.full(n_site, -NEVER, dtype=np.int64)
    planted_site: dict[str, int] = {}
    used = np.zeros(n_site, dtype=bool)
    for name, host in role_host.items():
        candidates = np.arange(site_start[host], site_start[host + 1])
        candidates = candidates[~used[candidates]]
        s = int(candidates[rng.integers(len(candidates))])
        used[s] = True
        planted_site[name] = s
        if name == "churned":
            golive[s] = -int(rng.integers(30, 400))
            churn[s] = int(rng.integers(churn_lo, churn_hi + 1))
        else:
            golive[s] = int(rng.integers(7, golive_hi + 1))
    if "stalled" in planted_site:
        s = planted_site["stalled"]
        blackout_start[s] = golive[s] + p.stalled_blackout[0]
        blackout_end[s] = golive[s] + p.stalled_blackout[1]
    if "high_activity_no_storage" in planted_site:
        s = planted_site["high_activity_no_storage"]
        no_storage_until[s] = golive[s] + window

    # natural churn: some ordinary sites stop inside the window
    first_day = np.maximum(golive, 0)
    ordinary = ~used & ~heavy_sites & ~internal[site_customer]
    natural = (
        ordinary & (rng.random(n_site) < p.natural_churn_share) & (first_day + 30 < n_days - 1)
    )
    natural_day = first_day + 30 + np.floor(rng.random(n_site) * (n_days - 1 - first_day - 30))
    churn[natural] = natural_day[natural].astype(np.int64)

    site_factor = rng.lognormal(0.0, p.site_engagement_sigma, size=n_site)
    site_content = rng.lognormal(0.0, p.content_size_sigma, size=n_site)
    exclusive = used  # planted sites keep their own users (no multi-site users)
    for s in planted_site.values():
        site_factor[s] = 1.0

    # ---- users (one primary site each) ---------------------------------------
    med = np.asarray(p.users_per_site_median)[tier[site_customer]] * p.users_scale
    n_users_site = np.maximum(
        1, np.rint(rng.lognormal(np.log(med), p.users_per_site_sigma)).astype(np.int64)
    )
    for name, s in planted_site.items():
        floor = 4 if name == "churned" else p.planted_min_users
        n_users_site[s] = max(n_users_site[s], floor)
    n_user = int(n_users_site.sum())
    primary = np.repeat(np.arange(n_site), n_users_site)
    ucust = site_customer[primary].astype(np.int64)
    burst = rng.random(n_user) < p.burst_share
    burst_off = np.floor(rng.exponential(p.burst_mean_days, size=n_user))
    horizon = np.minimum(p.trickle_horizon_days, n_days - 1 - golive[primary])
    trickle_off = np.floor(rng.random(n_user) * (np.maximum(horizon, 0) + 1))
    offset = np.where(burst, burst_off, trickle_off).astype(np.int64)
    # planted sites: everybody joins in the roll-out burst (within 40 days of go-live)
    in_planted = np.isin(primary, list(planted_site.values()))
    offset[in_planted] = np.minimum(burst_off[in_planted], 40).astype(np.int64)
    # nobody registers on a site after it churned, nor after the window
    registration = np.minimum(golive[primary] + offset, np.minimum(churn[primary], n_days) - 1)

    license_ = rng.choice(3, size=n_user, p=p.license_weights).astype(np.int8)
    engagement = (
        rng.beta(*p.engagement_beta, size=n_user)
        * np.asarray(p.license_engagement)[license_]
        * cfactor[ucust]
    )
    never = rng.random(n_user) < p.never_active_share
    dormant = rng.random(n_user) < p.dormant_share
    dormant_after = np.ceil(rng.exponential(p.dormant_after_mean_days, size=n_user)).astype(
        np.int64
    )
    delay = np.floor(rng.exponential(p.activation_delay_mean_days, size=n_user)).astype(np.int64)
    count_mult = rng.lognormal(0.0, p.event_multiplier_sigma, size=n_user)
    active_from = np.where(never, NEVER, registration + delay)
    dormant_from = np.where(dormant & ~never, active_from + dormant_after, NEVER)

    def engage(users: np.ndarray) -> None:
        """Make users reliably active: no delay, never dormant, a floor on engagement."""
        never[users] = False
        active_from[users] = registration[users] + np.minimum(delay[users], 2)
        dormant_from[users] = NEVER
        engagement[users] = np.maximum(engagement[users], p.planted_engagement_floor)

    for name, s in planted_site.items():
        users = np.flatnonzero(primary == s)
        if name in ("high_activity_no_storage", "stalled"):
            engage(users)
        elif name == "slow_ramp":
            users = rng.permutation(users)
            k = max(3, int(p.slow_ramp_active_share * len(users)))
            engage(users[:k])
            late = users[k:]
            active_from[late] = (
                golive[s]
                + p.slow_ramp_late_start_days
                + np.floor(rng.exponential(20.0, size=len(late))).astype(np.int64)
            )
            active_from[late[rng.random(len(late)) < 0.25]] = NEVER
            dormant_from[late] = NEVER
        elif name == "churned":
            engage(users)

    # ---- extra site assignments (multi-site users) -------------------------------
    asg_user = [np.arange(n_user)]
    asg_site = [primary]
    user_start = np.concatenate([[0], np.cumsum(np.bincount(ucust, minlength=n_cust))])
    extra_p = np.asarray(p.extra_site_weights) / np.sum(p.extra_site_weights)
    for c in np.flatnonzero(sites_per_customer >= 2):
        sites_c = np.arange(site_start[c], site_start[c + 1])
        users_c = np.arange(user_start[c], user_start[c + 1])
        users_c = users_c[~exclusive[primary[users_c]]]
        pick = users_c[rng.random(len(users_c)) < p.multi_site_share]
        if len(pick) == 0:
            continue
        extra = 1 + rng.choice(len(extra_p), size=len(pick), p=extra_p)
        keys = rng.random((len(pick), len(sites_c)))
        eligible = (
            (golive[sites_c][None, :] <= registration[pick][:, None])
            & (sites_c[None, :] != primary[pick][:, None])
            & ~exclusive[sites_c][None, :]
        )
        keys[~eligible] = np.inf
        order = np.argsort(keys, axis=1, kind="stable")
        for j in range(int(extra.max())):
            if j >= len(sites_c):
                break
            col = order[:, j]
            ok = (j < extra) & np.isfinite(keys[np.arange(len(pick)), col])
            asg_user.append(pick[ok])
            asg_site.append(sites_c[col[ok]])
    a_user = np.concatenate(asg_user)
    a_site = np.concatenate(asg_site)
    a_weight = np.where(a_site == primary[a_user], 1.0, p.secondary_site_weight)

    # ---- names and e-mails --------------------------------------------------------
    first_names, first_p, last_names, last_p = _name_pools(fake)
    domains = _domains(n_cust, internal, fake, rng)
    fi, li = _unique_names(ucust, first_p, last_p, rng)
    dom = np.array(domains, dtype=object)
    emails = first_names[fi] + "." + last_names[li] + "@" + dom[ucust]
    cfi = rng.choice(len(first_p), size=n_cust, p=first_p)
    cli = rng.choice(len(last_p), size=n_cust, p=last_p)
    contact = (first_names[cfi] + "." + last_names[cli] + "@" + dom).tolist()

    # ---- order users by (customer, e-mail) and remap -------------------------------
    perm = np.lexsort((emails.astype(str), ucust))
    inv = np.empty(n_user, dtype=np.int64)
    inv[perm] = np.arange(n_user)
    a_user = inv[a_user]
    a_order = np.lexsort((a_site, a_user))
    a_user, a_site, a_weight = a_user[a_order], a_site[a_order], a_weight[a_order]
    type_prob = np.asarray(p.type_probability)[license_]

    world = World(
        seed=seed,
        start=start,
        n_days=n_days,
        params=p,
        customer_id=[str(FIRST_CUSTOMER_ID + i) for i in range(n_cust)],
        customer_tier=tier,
        customer_region=region,
        customer_industry=industry,
        customer_contact=contact,
        customer_internal=internal,
        customer_heavy=heavy,
        customer_factor=cfactor,
        customer_site_start=site_start,
        customer_user_start=user_start.astype(np.int64),
        internal_reason={
            int(c): INTERNAL_REASONS[i % len(INTERNAL_REASONS)] for i, c in enumerate(internal_idx)
        },
        site_id=site_id,
        site_customer=site_customer,
        site_golive=golive.astype(np.int64),
        site_churn=churn,
        site_blackout_start=blackout_start,
        site_blackout_end=blackout_end,
        site_no_storage_until=no_storage_until,
        site_factor=site_factor,
        site_content=site_content,
        user_email=emails[perm].tolist(),
        user_customer=ucust[perm],
        user_registration=registration[perm],
        user_license=license_[perm],
        user_engagement=engagement[perm],
        user_active_from=active_from[perm],
        user_dormant_from=dormant_from[perm],
        user_count_multiplier=count_mult[perm],
        user_type_probability=type_prob[perm].copy(),
        assignment_user=a_user,
        assignment_site=a_site,
        assignment_weight=a_weight,
    )
    world.planted = {
        "high_activity_no_storage": _one(planted_site, "high_activity_no_storage"),
        "slow_ramp": _one(planted_site, "slow_ramp"),
        "stalled": _one(planted_site, "stalled"),
        "planted_churn": _one(planted_site, "churned"),
        "heavy_background": [int(c) for c in heavy_idx],
        "internal_accounts": [int(c) for c in internal_idx],
    }
    _plant_users(world, rng)
    return world


def _one(planted_site: dict[str, int], name: str) -> list[int]:
    return [planted_site[name]] if name in planted_site else []


def _plant_users(world: World, rng: np.random.Generator) -> None:
    """Pick users for the licence cases and the multi-site showcase, and shape them."""
    w, p = world, world.params
    n_user, n_cust = w.n_users, w.n_customers
    special_sites = np.zeros(w.n_sites, dtype=bool)
    for name in ("high_activity_no_storage", "slow_ramp", "stalled", "planted_churn"):
        special_sites[w.planted[name]] = True
    special_sites |= w.site_churn < NEVER
    n_assign = np.bincount(w.assignment_user, minlength=n_user)
    on_special = np.bincount(
        w.assignment_user, weights=special_sites[w.assignment_site], minlength=n_user
    )
    late_limit = w.n_days - 120 if w.n_days > 150 else w.n_days // 3
    eligible = (
        (on_special == 0)
        & ~w.customer_internal[w.user_customer]
        & (w.user_registration <= late_limit)
    )
    k_users = int(np.clip(n_cust // 12, 2, p.planted_user_cap))
    taken = np.zeros(n_user, dtype=bool)

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        pool = np.flatnonzero(mask & eligible & ~taken)
        chosen = np.sort(rng.permutation(pool)[:k])
        taken[chosen] = True
        w.user_active_from[chosen] = w.user_registration[chosen] + 1
        w.user_dormant_from[chosen] = NEVER
        w.user_engagement[chosen] = np.maximum(
            w.user_engagement[chosen], p.planted_engagement_floor
        )
        return chosen

    creators = pick(w.user_license == CREATOR, k_users)
    w.user_type_probability[creators, CREATE] = 0.0
    w.user_type_probability[creators, PUBLISH] = 0.0
    k_ex = max(1, k_users // 2)
    viewers = pick(w.user_license == VIEWER, k_ex)
    w.user_type_probability[viewers, CREATE] = 0.30
    explorers = pick(w.user_license == EXPLORER, k_ex)
    w.user_type_probability[explorers, PUBLISH] = 0.25
    multi = pick(n_assign >= 2, k_users)
    if len(multi) < min(2, k_users):
        multi = np.sort(np.concatenate([multi, _add_extra_sites(w, eligible & ~taken, 2, rng)]))
        taken[multi] = True
        w.user_active_from[multi] = w.user_registration[multi] + 1
        w.user_dormant_from[multi] = NEVER
        w.user_engagement[multi] = np.maximum(w.user_engagement[multi], p.planted_engagement_floor)
    w.planted["creators_never_create"] = creators.tolist()
    w.planted["licence_exceeders"] = np.sort(np.concatenate([viewers, explorers])).tolist()
    w.planted["multi_site_users"] = multi.tolist()


def _add_extra_sites(
    world: World, candidates: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Give up to ``k`` single-site candidate users a second site of their customer.

    The second site must be ordinary (not planted, not churning) and live at the
    user's registration. Used when the random multi-site draw left too few users
    to showcase (small windows with few customers).
    """
    w = world
    special = np.zeros(w.n_sites, dtype=bool)
    for name in ("high_activity_no_storage", "slow_ramp", "stalled", "planted_churn"):
        special[w.planted[name]] = True
    special |= w.site_churn < NEVER
    n_assign = np.bincount(w.assignment_user, minlength=w.n_users)
    chosen, new_sites = [], []
    for u in rng.permutation(np.flatnonzero(candidates & (n_assign == 1))):
        c = w.user_customer[u]
        sites = np.arange(w.customer_site_start[c], w.customer_site_start[c + 1])
        current = w.assignment_site[w.assignment_user == u]
        ok = sites[
            ~special[sites]
            & (w.site_golive[sites] <= w.user_registration[u])
            & ~np.isin(sites, current)
        ]
        if len(ok) == 0 or special[current].any():
            continue
        chosen.append(int(u))
        new_sites.append(int(ok[rng.integers(len(ok))]))
        if len(chosen) == k:
            break
    if chosen:
        a_user = np.concatenate([w.assignment_user, chosen])
        a_site = np.concatenate([w.assignment_site, new_sites])
        a_weight = np.concatenate(
            [w.assignment_weight, np.full(len(chosen), w.params.secondary_site_weight)]
        )
        order = np.lexsort((a_site, a_user))
        w.assignment_user, w.assignment_site = a_user[order], a_site[order]
        w.assignment_weight = a_weight[order]
    return np.asarray(chosen, dtype=np.int64)
