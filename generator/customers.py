"""Customers of a run: firmographics, engagement, and the roles some of them play."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.config import FIRST_CUSTOMER_ID, INTERNAL_ACCOUNTS, Params

TECHNOLOGY = 0  # index of "Technology" in INDUSTRIES


@dataclass
class Customers:
    """Per-customer arrays (index = customer_id order) and the role assignments."""

    tier: np.ndarray
    region: np.ndarray
    industry: np.ndarray
    factor: np.ndarray  # engagement multiplier of all the customer's users
    internal: np.ndarray  # bool: internal (test) tenant
    heavy: np.ndarray  # bool: planted heavy background-job user
    internal_idx: np.ndarray
    heavy_idx: np.ndarray
    hosts: np.ndarray  # external, not heavy: candidates to host the planted sites

    @property
    def n(self) -> int:
        return len(self.tier)


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


def draw_customers(n_cust: int, p: Params, rng: np.random.Generator) -> Customers:
    """Tier, region and industry, engagement, and which customers are internal or heavy."""
    tier = stratified(n_cust, p.tier_weights, rng)
    region = stratified(n_cust, p.region_weights, rng)
    industry = rng.choice(len(p.industry_weights), size=n_cust, p=p.industry_weights).astype(
        np.int8
    )
    factor = rng.lognormal(0.0, p.customer_engagement_sigma, size=n_cust)

    # the reserved internal ids this run creates (the same whatever the seed)
    reserved = np.array([cid - FIRST_CUSTOMER_ID for cid, _ in INTERNAL_ACCOUNTS])
    internal_idx = np.sort(reserved[reserved < n_cust])
    internal = np.zeros(n_cust, dtype=bool)
    internal[internal_idx] = True
    industry[internal] = TECHNOLOGY
    rest = rng.permutation(np.flatnonzero(~internal))
    n_heavy = 0 if len(rest) < 3 else (1 if n_cust < 20 else 2)
    heavy_idx = np.sort(rest[:n_heavy])
    heavy = np.zeros(n_cust, dtype=bool)
    heavy[heavy_idx] = True
    return Customers(
        tier=tier,
        region=region,
        industry=industry,
        factor=factor,
        internal=internal,
        heavy=heavy,
        internal_idx=internal_idx,
        heavy_idx=heavy_idx,
        hosts=rest[n_heavy:],
    )
