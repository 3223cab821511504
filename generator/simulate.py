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
from generator.entities import NEVER, World

GIB = float(1 << 30)


@dataclass
class Block:
    """Rows of one block as integer codes (indices into the world's entity arrays).

    Activity rows are in (site, user, day, type) order; storage and job rows in
    (day, site) order.
    """

    index: int
    customers: tuple[int, int]
    # activity
    act_day: np.ndarray
    act_site: np.ndarray
    act_user: np.ndarray
    act_type: np.ndarray
    act_count: np.ndarray
    # storage
    sto_day: np.ndarray
    sto_site: np.ndarray
    sto_bytes: np.ndarray
    # background jobs
    job_day: np.ndarray
    job_site: np.ndarray
    job_type: np.ndarray
    job_minutes: np.ndarray
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


def simulate_block(world: World, index: int, customers: tuple[int, int]) -> Block:
    """Generate the activity, storage and job rows of customers [c0, c1)."""
    w, p = world, world.params
    rng = np.random.default_rng([w.seed, 1, index])
    c0, c1 = customers
    s0, s1 = int(w.customer_site_start[c0]), int(w.customer_site_start[c1])
    u0, u1 = int(w.customer_user_start[c0]), int(w.customer_user_start[c1])
    a0, a1 = np.searchsorted(w.assignment_user, [u0, u1])
    n_days = w.n_days
    dow = (w.start.weekday() + np.arange(n_days)) % 7
    weekday_factor = np.asarray(p.weekday_factor)[dow]

    # ---- activity: one Bernoulli draw per assignment-day ------------------------
    # Visit assignments in (site, user) order, days ascending, types ascending: the
    # rows then come out sorted by (site, user, day, type), and a stable sort on the
    # day alone puts them in the output order (date, customer, site, e-mail, type).
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
            np.full(len(a_user), n_days, np.int64),
        ]
    )
    length = np.clip(end - start, 0, None)
    a_idx, day = _expand(start, length)
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
    act_site = a_site[a_idx[row]]
    act_day = day[row]
    del row, users
    lam = np.asarray(p.event_mean)[act_type] * w.user_count_multiplier[act_user]
    act_count = rng.poisson(lam).astype(np.int32)
    act_count += 1
    del lam

    # ---- storage: a (site, day) matrix per block -----------------------------
    ns = s1 - s0
    cells = ns * n_days

    def events_per_cell(kind: int) -> np.ndarray:
        mask = act_type == kind
        cell = (act_site[mask] - s0) * n_days + act_day[mask]
        return np.bincount(cell, weights=act_count[mask], minlength=cells)

    creates, publishes = events_per_cell(CREATE), events_per_cell(PUBLISH)
    sites = np.arange(s0, s1)
    days = np.arange(n_days)[None, :]
    golive = w.site_golive[sites][:, None]
    churn = w.site_churn[sites][:, None]
    first = np.maximum(golive, 0)
    growth = (
        (creates * p.bytes_per_create + publishes * p.bytes_per_publish).reshape(ns, n_days)
        * w.site_content[sites][:, None]
        * rng.lognormal(0.0, p.daily_growth_noise_sigma, size=(ns, n_days))
    )
    live = (days >= first) & (days < churn)
    growth[~live | (days < w.site_no_storage_until[sites][:, None])] = 0.0
    keep = rng.uniform(*p.cleanup_keep, size=(ns, n_days))
    factor = np.where(rng.random((ns, n_days)) < p.cleanup_probability, keep, 1.0 + p.daily_drift)
    factor[(days <= first) | (days >= churn)] = 1.0
    initial = rng.lognormal(np.log(p.initial_storage_median_bytes), 0.5, size=ns)
    live_days = np.maximum(live.sum(axis=1), 1)
    history = -np.minimum(golive[:, 0], 0) * growth.sum(axis=1) / live_days
    initial += history * p.prewindow_growth_keep
    initial[w.site_no_storage_until[sites] > -NEVER] = 0.0
    growth[np.arange(ns), np.minimum(first[:, 0], n_days - 1)] += initial
    cum_factor = np.cumprod(factor, axis=1)
    storage = cum_factor * np.cumsum(growth / cum_factor, axis=1)
    rows_end = np.minimum(churn + p.storage_rows_after_churn_days, n_days)
    has_row = (days >= first) & (days < rows_end)
    sto_day, sto_local = np.nonzero(has_row.T)  # (day, site) order
    sto_bytes = np.floor(storage[sto_local, sto_day]).astype(np.int64)
    sto_site = sto_local + s0

    # ---- background jobs: Poisson runs per live site-day ----------------------
    tier = w.customer_tier[w.site_customer[sites]]
    heavy = w.customer_heavy[w.site_customer[sites]]
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

    site_rows = np.zeros(w.n_sites, dtype=np.int64)
    site_rows[s0:s1] = np.bincount(act_site, minlength=s1)[s0:]
    return Block(
        index=index,
        customers=customers,
        act_day=act_day,
        act_site=act_site,
        act_user=act_user,
        act_type=act_type,
        act_count=act_count,
        sto_day=sto_day,
        sto_site=sto_site,
        sto_bytes=sto_bytes,
        job_day=job_day,
        job_site=job_local + s0,
        job_type=job_type,
        job_minutes=job_minutes,
        site_activity_rows=site_rows,
    )
