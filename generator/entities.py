"""Build the entities of a run: customers, sites, users, site assignments, planted cases.

Pure functions of (seed, customers, window, params): no I/O. One random stream
feeds every draw, in a fixed order (customers, sites, users, assignments,
names, planted users), so the same arguments give the same world.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from faker import Faker

from generator.config import FIRST_CUSTOMER_ID, Params
from generator.customers import Customers, draw_customers
from generator.names import company_domains, name_pools, unique_names
from generator.planted_users import plant_users
from generator.sites import Sites, draw_sites, planted_site_roles
from generator.users import Assignments, Users, assign_sites, draw_users
from generator.world import NEVER, World

__all__ = ["NEVER", "World", "build_world"]


def _emails(
    customers: Customers, users: Users, fake: Faker, rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """Users' e-mails (unique within a customer) and each customer's contact e-mail."""
    first_names, first_p, last_names, last_p = name_pools(fake)
    domains = company_domains(customers.n, customers.internal, fake, rng)
    fi, li = unique_names(users.customer, first_p, last_p, rng)
    dom = np.array(domains, dtype=object)
    emails = first_names[fi] + "." + last_names[li] + "@" + dom[users.customer]
    cfi = rng.choice(len(first_p), size=customers.n, p=first_p)
    cli = rng.choice(len(last_p), size=customers.n, p=last_p)
    contact = (first_names[cfi] + "." + last_names[cli] + "@" + dom).tolist()
    return emails, contact


def _assemble_world(
    seed: int,
    start: dt.date,
    n_days: int,
    p: Params,
    customers: Customers,
    sites: Sites,
    users: Users,
    assignments: Assignments,
    emails: np.ndarray,
    contact: list[str],
) -> World:
    """The world, users ordered by (customer, e-mail) and assignments by (user, site)."""
    perm = np.lexsort((emails.astype(str), users.customer))
    inv = np.empty(users.n, dtype=np.int64)
    inv[perm] = np.arange(users.n)
    a_user = inv[assignments.user]
    a_order = np.lexsort((assignments.site, a_user))
    type_prob = np.asarray(p.type_probability)[users.license]
    return World(
        seed=seed,
        start=start,
        n_days=n_days,
        params=p,
        customer_id=[str(FIRST_CUSTOMER_ID + i) for i in range(customers.n)],
        customer_tier=customers.tier,
        customer_region=customers.region,
        customer_industry=customers.industry,
        customer_contact=contact,
        customer_internal=customers.internal,
        customer_heavy=customers.heavy,
        customer_factor=customers.factor,
        customer_site_start=sites.start,
        customer_user_start=users.start.astype(np.int64),
        site_id=sites.site_id,
        site_customer=sites.customer,
        site_golive=sites.golive.astype(np.int64),
        site_churn=sites.churn,
        site_blackout_start=sites.blackout_start,
        site_blackout_end=sites.blackout_end,
        site_no_storage_until=sites.no_storage_until,
        site_factor=sites.factor,
        site_content=sites.content,
        user_email=emails[perm].tolist(),
        user_customer=users.customer[perm],
        user_registration=users.registration[perm],
        user_license=users.license[perm],
        user_engagement=users.engagement[perm],
        user_active_from=users.active_from[perm],
        user_dormant_from=users.dormant_from[perm],
        user_count_multiplier=users.count_multiplier[perm],
        user_type_probability=type_prob[perm].copy(),
        assignment_user=a_user[a_order],
        assignment_site=assignments.site[a_order],
        assignment_weight=assignments.weight[a_order],
    )


def build_world(seed: int, n_customers: int, start: dt.date, end: dt.date, params: Params) -> World:
    """Draw every entity of the run. Deterministic in its arguments."""
    p = params
    rng = np.random.default_rng([seed, 0])
    fake = Faker("en_US")
    fake.seed_instance(seed)
    n_days = (end - start).days + 1

    customers = draw_customers(n_customers, p, rng)
    roles = planted_site_roles(customers, n_days, p)
    sites = draw_sites(customers, roles, n_days, p, rng)
    users = draw_users(customers, sites, n_days, p, rng)
    assignments = assign_sites(users, sites, p, rng)
    emails, contact = _emails(customers, users, fake, rng)
    world = _assemble_world(
        seed, start, n_days, p, customers, sites, users, assignments, emails, contact
    )
    planted_site = sites.planted
    world.planted = {
        "high_activity_no_storage": _one(planted_site, "high_activity_no_storage"),
        "slow_ramp": _one(planted_site, "slow_ramp"),
        "stalled": _one(planted_site, "stalled"),
        "planted_churn": _one(planted_site, "churned"),
        "heavy_background": [int(c) for c in customers.heavy_idx],
        "internal_accounts": [int(c) for c in customers.internal_idx],
    }
    plant_users(world, rng)
    return world


def _one(planted_site: dict[str, int], name: str) -> list[int]:
    return [planted_site[name]] if name in planted_site else []
