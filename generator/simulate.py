"""Daily simulation of activity, storage and background jobs for a block of customers.

Each block of ``params.customers_per_block`` consecutive customers draws from its
own random stream, seeded from (seed, block number), so a block's rows do not
depend on how many blocks are generated nor on the chunking of the output. All
functions are pure and fully vectorised inside a block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.config import ACCESS, CREATE, PUBLISH
from generator.world import NEVER, World

GIB = float(1 << 30)


@dataclass
class Block:
    """Rows of one block as integer codes (indices into the world's entity arrays).

    Activity rows are in (site, user, day, type) order; storage and job rows in
    (day, site) order.
    """

    index: int
    customers: tuple[int, int]
    # the rows of each fact table, column by column
    activity: tuple[np.ndarray, ...]  # day, site, user, type, count
    storage: tuple[np.ndarray, ...]  # day, site, bytes
    jobs: tuple[np.ndarray, ...]  # day, site, type, minutes
    # per site of the world: number of activity rows (for the manifest)
    site_activity_rows: np.ndarray


def block_ranges(n_customers: int, per_block: int) -> list[tuple[int, int]]:
    """Customer index ranges [c0, c1) of the simulation blocks."""
    return [(c, min(c + per_block, n_customers)) for c in range(0, n_customers, per_block)]


def _expand(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For intervals [start, start + length): (interval index, value) of every member."""
    total = int(length.sum())
    itype = np.int32 if max(total, len(length)) < 2**31 - 1 else np.int64
    idx = np.repeat(np.arange(len(length), dtype=itype), length)
    shift = (np.cumsum(length) - length - start).astype(itype)  # value = position - shift
    values = np.arange(total, dtype=itype) - shift[idx]
    return idx, values


@dataclass
class _Activity:
    """Activity rows of a block, in (site, user, day, type) order."""

    day: np.ndarray
    site: np.ndarray
    user: np.ndarray
    type: np.ndarray
    count: np.ndarray


def _activity_rows(
    world: World, rng: np.random.Generator, assignments: tuple[int, int]
) -> _Activity:
    """One Bernoulli draw per assignment-day, then the activity types and event counts.

    Assignments are visited in (site, user) order, days ascending, types
    ascending: the rows then come out sorted by (site, user, day, type), and a
    stable sort on the day alone puts them in the output order (date, customer,
    site, e-mail, type).
    """
    w, p = world, world.params
    a0, a1 = assignments
    dow = (w.start.weekday() + np.arange(w.n_days)) % 7
    weekday_factor = np.asarray(p.weekday_factor)[dow]
    by_site = np.lexsort((w.assignment_user[a0:a1], w.assignment_site[a0:a1])) + a0
    a_user = w.assignment_user[by_site].astype(np.int32)
    a_site = w.assignment_site[by_site].astype(np.int32)
    start = np.maximum.reduce(
        [w.user_active_from[a_user], w.site_golive[a_site], np.zeros(len(a_user), np.int64)]
    )
    end = np.minimum.reduce(
        [
            w.user_dormant_from[a_user],
            w.site_churn[a_site],
            np.full(len(a_user), w.n_days, np.int64),
        ]
    )
    a_idx, day = _expand(start, np.clip(end - start, 0, None))
    level = np.minimum(
        p.activity_scale
        * w.user_engagement[a_user]
        * w.assignment_weight[by_site]
        * w.site_factor[a_site],
        p.max_daily_probability,
    ).astype(np.float32)
    prob = level[a_idx]
    prob *= weekday_factor.astype(np.float32)[day]
    blackout = w.site_blackout_start[a_site] < NEVER
    if blackout.any():
        rows = np.flatnonzero(blackout[a_idx])
        site_of = a_site[a_idx[rows]]
        d = day[rows]
        blocked = (d >= w.site_blackout_start[site_of]) & (d < w.site_blackout_end[site_of])
        prob[rows[blocked]] = 0.0
    active = np.flatnonzero(rng.random(len(prob), dtype=np.float32) < prob)
    a_idx, day = a_idx[active], day[active]
    del prob, active

    users = a_user[a_idx]
    chosen = rng.random((len(a_idx), 4), dtype=np.float32) < w.user_type_probability[users]
    chosen[~chosen.any(axis=1), ACCESS] = True
    row, act_type = np.nonzero(chosen)
    del chosen
    act_type = act_type.astype(np.int8)
    act_user = users[row]
    lam = np.asarray(p.event_mean)[act_type] * w.user_count_multiplier[act_user]
    act_count = rng.poisson(lam).astype(np.int32)
    act_count += 1
    return _Activity(day[row], a_site[a_idx[row]], act_user, act_type, act_count)


def _storage_matrix(
    world: World, rng: np.random.Generator, sites: tuple[int, int], act: _Activity
) -> tuple[np.ndarray, np.ndarray]:
    """Storage bytes of every (site, day) of the block, and which site-days are live."""
    w, p = world, world.params
    s0, s1 = sites
    ns, n_days = s1 - s0, w.n_days
    cells = ns * n_days

    def events_per_cell(kind: int) -> np.ndarray:
        mask = act.type == kind
        cell = (act.site[mask] - s0) * n_days + act.day[mask]
        return np.bincount(cell, weights=act.count[mask], minlength=cells)

    creates, publishes = events_per_cell(CREATE), events_per_cell(PUBLISH)
    idx = np.arange(s0, s1)
    days = np.arange(n_days)[None, :]
    golive = w.site_golive[idx][:, None]
    churn = w.site_churn[idx][:, None]
    first = np.maximum(golive, 0)
    growth = (
        (creates * p.bytes_per_create + publishes * p.bytes_per_publish).reshape(ns, n_days)
        * w.site_content[idx][:, None]
        * rng.lognormal(0.0, p.daily_growth_noise_sigma, size=(ns, n_days))
    )
    live = (days >= first) & (days < churn)
    growth[~live | (days < w.site_no_storage_until[idx][:, None])] = 0.0
    keep = rng.uniform(*p.cleanup_keep, size=(ns, n_days))
    factor = np.where(rng.random((ns, n_days)) < p.cleanup_probability, keep, 1.0 + p.daily_drift)
    factor[(days <= first) | (days >= churn)] = 1.0
    initial = rng.lognormal(np.log(p.initial_storage_median_bytes), 0.5, size=ns)
    live_days = np.maximum(live.sum(axis=1), 1)
    history = -np.minimum(golive[:, 0], 0) * growth.sum(axis=1) / live_days
    initial += history * p.prewindow_growth_keep
    initial[w.site_no_storage_until[idx] > -NEVER] = 0.0
    growth[np.arange(ns), np.minimum(first[:, 0], n_days - 1)] += initial
    cum_factor = np.cumprod(factor, axis=1)
    return cum_factor * np.cumsum(growth / cum_factor, axis=1), live


def _storage_rows(
    world: World, sites: tuple[int, int], storage: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, site, bytes) rows in (day, site) order: from go-live until 30 days after churn."""
    w, p = world, world.params
    s0, s1 = sites
    days = np.arange(w.n_days)[None, :]
    first = np.maximum(w.site_golive[s0:s1], 0)[:, None]
    churn = w.site_churn[s0:s1][:, None]
    rows_end = np.minimum(churn + p.storage_rows_after_churn_days, w.n_days)
    has_row = (days >= first) & (days < rows_end)
    sto_day, sto_local = np.nonzero(has_row.T)
    sto_bytes = np.floor(storage[sto_local, sto_day]).astype(np.int64)
    return sto_day, sto_local + s0, sto_bytes


def _job_rows(
    world: World,
    rng: np.random.Generator,
    sites: tuple[int, int],
    storage: np.ndarray,
    live: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(day, site, type, minutes) of the background jobs: Poisson runs per live site-day."""
    w, p = world, world.params
    s0, s1 = sites
    ns = s1 - s0
    customer = w.site_customer[s0:s1]
    tier, heavy = w.customer_tier[customer], w.customer_heavy[customer]
    dow = (w.start.weekday() + np.arange(w.n_days)) % 7
    weekend = np.where(dow >= 5, p.job_weekend_factor, 1.0)[None, :]
    relative = np.minimum(storage / GIB / p.job_storage_reference_gib, 2.0)
    storage_effect = 1.0 - p.job_storage_weight + p.job_storage_weight * relative
    lam_jobs = np.asarray(p.job_runs_per_day)[tier][:, None] * storage_effect * weekend
    lam_jobs = np.where(heavy[:, None], p.heavy_runs_per_day * weekend, lam_jobs)
    lam_jobs[~live] = 0.0
    runs = rng.poisson(lam_jobs.T)  # (day, site)
    flat = np.repeat(np.arange(runs.size), runs.ravel())
    job_day, job_local = np.divmod(flat, ns)
    job_heavy = heavy[job_local]
    u = rng.random(len(flat))
    normal_cw = np.cumsum(p.job_type_weights) / np.sum(p.job_type_weights)
    heavy_cw = np.cumsum(p.heavy_type_weights) / np.sum(p.heavy_type_weights)
    job_type = np.where(
        job_heavy,
        np.searchsorted(heavy_cw, u, side="right"),
        np.searchsorted(normal_cw, u, side="right"),
    )
    job_type = np.minimum(job_type, len(normal_cw) - 1)
    median = np.asarray(p.job_minutes_median)[job_type]
    sigma = np.asarray(p.job_minutes_sigma)[job_type]
    minutes = np.exp(rng.normal(np.log(median), sigma))
    minutes *= np.where(job_heavy, p.heavy_minutes_multiplier, 1.0)
    job_minutes = np.clip(np.rint(minutes), 1, p.job_max_minutes).astype(np.int64)
    return job_day, job_local + s0, job_type, job_minutes


def simulate_block(world: World, index: int, customers: tuple[int, int]) -> Block:
    """Generate the activity, storage and job rows of customers [c0, c1)."""
    w = world
    rng = np.random.default_rng([w.seed, 1, index])
    c0, c1 = customers
    s0, s1 = int(w.customer_site_start[c0]), int(w.customer_site_start[c1])
    u0, u1 = int(w.customer_user_start[c0]), int(w.customer_user_start[c1])
    a0, a1 = np.searchsorted(w.assignment_user, [u0, u1])
    act = _activity_rows(w, rng, (int(a0), int(a1)))
    storage, live = _storage_matrix(w, rng, (s0, s1), act)
    site_rows = np.zeros(w.n_sites, dtype=np.int64)
    site_rows[s0:s1] = np.bincount(act.site, minlength=s1)[s0:]
    return Block(
        index=index,
        customers=customers,
        activity=(act.day, act.site, act.user, act.type, act.count),
        storage=_storage_rows(w, (s0, s1), storage),
        jobs=_job_rows(w, rng, (s0, s1), storage, live),
        site_activity_rows=site_rows,
    )
