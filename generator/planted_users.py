"""Planted users: the licence cases and the multi-site showcase, picked in a built world."""

from __future__ import annotations

import numpy as np

from generator.config import CREATE, CREATOR, EXPLORER, PUBLISH, VIEWER
from generator.world import NEVER, World

PLANTED_SITE_CASES = ("high_activity_no_storage", "slow_ramp", "stalled", "planted_churn")


def _special_sites(world: World) -> np.ndarray:
    """Planted or churning sites, whose users must not carry another case."""
    special = np.zeros(world.n_sites, dtype=bool)
    for name in PLANTED_SITE_CASES:
        special[world.planted[name]] = True
    return special | (world.site_churn < NEVER)


def _make_reliable(world: World, users: np.ndarray) -> None:
    """Active from the day after registration, never dormant, engaged enough to show."""
    world.user_active_from[users] = world.user_registration[users] + 1
    world.user_dormant_from[users] = NEVER
    world.user_engagement[users] = np.maximum(
        world.user_engagement[users], world.params.planted_engagement_floor
    )


def plant_users(world: World, rng: np.random.Generator) -> None:
    """Pick users for the licence cases and the multi-site showcase, and shape them.

    Candidates are users of ordinary, never-churning sites of external customers,
    registered early enough to show their case.
    """
    w, p = world, world.params
    n_assign = np.bincount(w.assignment_user, minlength=w.n_users)
    on_special = np.bincount(
        w.assignment_user, weights=_special_sites(w)[w.assignment_site], minlength=w.n_users
    )
    late_limit = w.n_days - 120 if w.n_days > 150 else w.n_days // 3
    eligible = (
        (on_special == 0)
        & ~w.customer_internal[w.user_customer]
        & (w.user_registration <= late_limit)
    )
    k_users = int(np.clip(w.n_customers // 12, 2, p.planted_user_cap))
    taken = np.zeros(w.n_users, dtype=bool)

    def pick(mask: np.ndarray, k: int) -> np.ndarray:
        pool = np.flatnonzero(mask & eligible & ~taken)
        chosen = np.sort(rng.permutation(pool)[:k])
        taken[chosen] = True
        _make_reliable(w, chosen)
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
        _make_reliable(w, multi)
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
    special = _special_sites(w)
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
