"""The output tables of a world as Arrow tables: dimensions once, facts per block or chunk.

Fact tables are cut at ``through_day`` (rows dated on or before it), which keeps
a ``--through`` run a prefix of the full run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.columns import Vocab, number_array, sort_order, text_array
from generator.config import INTERNAL_ACCOUNTS, JOB_TYPES


# --------------------------------------------------------------------------
# Dimension tables (written once per run)
# --------------------------------------------------------------------------
def customers_table(v: Vocab) -> pa.Table:
    w = v.world
    idx = np.arange(w.n_customers)
    return v.table(
        "saas_customer_info",
        {
            "customer_id": v.strings(idx, v.customer_id),
            "industry": v.strings(w.customer_industry, v.constants["industry"]),
            "region": v.strings(w.customer_region, v.constants["region"]),
            "account_tier": v.strings(w.customer_tier, v.constants["account_tier"]),
            "contact_email": v.strings(idx, text_array(w.customer_contact)),
        },
    )


def sites_table(v: Vocab) -> pa.Table:
    w = v.world
    return v.table(
        "saas_sites",
        {
            "site_id": v.strings(np.arange(w.n_sites), v.site_id),
            "customer_id": v.strings(w.site_customer, v.customer_id),
        },
    )


def internal_table(v: Vocab) -> pa.Table:
    """The lookup of internal tenants: every reserved id, created by this run or not."""
    rows = np.arange(len(INTERNAL_ACCOUNTS))
    return v.table(
        "saas_internal_accounts",
        {
            "customer_id": v.strings(rows, text_array([str(c) for c, _ in INTERNAL_ACCOUNTS])),
            "reason": v.strings(rows, text_array([reason for _, reason in INTERNAL_ACCOUNTS])),
        },
    )


def users_table(v: Vocab, through_day: int) -> pa.Table:
    """One row per user-site assignment, by (registration_date, customer, site, e-mail)."""
    w = v.world
    user, site = w.assignment_user, w.assignment_site
    reg = w.user_registration[user]
    order = sort_order(
        [(reg - v.first_day, w.n_days - v.first_day), (site, w.n_sites), (user, w.n_users)]
    )
    order = order[reg[order] <= through_day]
    user, site, reg = user[order], site[order], reg[order]
    return v.table(
        "saas_users",
        {
            "customer_id": v.strings(w.user_customer[user], v.customer_id),
            "site_id": v.strings(site, v.site_id),
            "user_email": v.strings(user, v.user_email),
            "registration_date": v.dates(reg),
            "license_type": v.strings(w.user_license[user], v.constants["license_type"]),
        },
    )


# --------------------------------------------------------------------------
# Fact tables (from simulated codes; optionally a block's local dictionaries)
# --------------------------------------------------------------------------
# A fact table's rows as columns (Block.activity, .storage, .jobs), and a
# chunk's customer, site and user ranges (c0, c1, s0, s1, u0, u1) for its
# chunk-local dictionaries (None: the whole world's).
Rows = tuple[np.ndarray, ...]
Local = tuple[int, int, int, int, int, int] | None


def _prefix(day_sorted: np.ndarray, through_day: int) -> int:
    return int(np.searchsorted(day_sorted, through_day, side="right"))


def _site_day_rows(
    v: Vocab,
    order: np.ndarray,
    day: np.ndarray,
    site: np.ndarray,
    through_day: int,
    local: Local,
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The rows of a fact table in ``order`` up to ``through_day``, with the
    columns every fact table has: customer_id (the site's owner), site_id, date."""
    w = v.world
    order = order[: _prefix(day[order], through_day)]
    c0, c1, s0, s1, _, _ = local or (0, w.n_customers, 0, w.n_sites, 0, w.n_users)
    site_o = site[order]
    return order, {
        "customer_id": v.strings(w.site_customer[site_o], v.customer_id, c0, c1),
        "site_id": v.strings(site_o, v.site_id, s0, s1),
        "date": v.dates(day[order]),
    }


def day_order(day: np.ndarray, n_days: int) -> np.ndarray:
    """Stable order by day: a linear-time radix sort when days fit in 16 bits."""
    if n_days < 2**15:
        return np.argsort(day.astype(np.int16), kind="stable")
    return np.argsort(day, kind="stable")


def activity_table(v: Vocab, rows: Rows, through_day: int, local: Local = None) -> pa.Table:
    """Activity rows sorted by (date, customer, site, e-mail, type), cut at ``through_day``.

    The rows must arrive in (site, user, day, type) order, as ``simulate_block``
    emits them (blocks concatenated in customer order): a stable sort by day then
    gives the output order.
    """
    day, site, user, type_, count = rows
    w = v.world
    order, columns = _site_day_rows(v, day_order(day, w.n_days), day, site, through_day, local)
    _, _, _, _, u0, u1 = local or (0, w.n_customers, 0, w.n_sites, 0, w.n_users)
    columns["user_email"] = v.strings(user[order], v.user_email, u0, u1)
    columns["activity_type"] = v.strings(type_[order], v.constants["activity_type"])
    columns["event_count"] = number_array(count[order])
    return v.table("saas_user_activity", columns)


def storage_table(v: Vocab, rows: Rows, through_day: int, local: Local = None) -> pa.Table:
    """Storage rows sorted by (date, customer, site), cut at ``through_day``."""
    day, site, nbytes = rows
    # blocks come in site order, each in (day, site) order
    order = day_order(day, v.world.n_days)
    order, columns = _site_day_rows(v, order, day, site, through_day, local)
    columns["storage_bytes"] = number_array(nbytes[order])
    return v.table("saas_storage", columns)


def jobs_table(v: Vocab, rows: Rows, through_day: int, local: Local = None) -> pa.Table:
    """Job rows sorted by (date, customer, site, type, minutes), cut at ``through_day``."""
    day, site, type_, minutes = rows
    w = v.world
    p = w.params
    order = sort_order(
        [
            (day, w.n_days),
            (site, w.n_sites),
            (type_, len(JOB_TYPES)),
            (minutes, p.job_max_minutes + 1),
        ]
    )
    order, columns = _site_day_rows(v, order, day, site, through_day, local)
    columns["background_job_type"] = v.strings(type_[order], v.constants["background_job_type"])
    columns["background_job_min"] = number_array(minutes[order])
    return v.table("saas_background_jobs", columns)
