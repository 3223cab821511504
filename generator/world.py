"""The entities of one run, as parallel numpy arrays: what the simulation and the outputs read.

Days are integers relative to the window start (day 0 = ``start``); negative days
lie before the window. ``NEVER`` stands for "no such day" (never churns, never
dormant, ...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from generator.config import Params

NEVER = 1 << 30


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
