"""Constants, scale profiles and behaviour parameters of the SaaS data generator.

Everything that shapes the synthetic data lives here, so that the model can be
read (and tuned) in one place. The module docstring of
``scripts/generate_saas_data.py`` explains what each parameter means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

# --------------------------------------------------------------------------
# Value sets. The order of each tuple is its integer code inside the generator
# and, where noted, the sort order of the output files.
# --------------------------------------------------------------------------
REGIONS: tuple[str, ...] = ("North America", "EMEA", "APAC")
ACCOUNT_TIERS: tuple[str, ...] = ("SMB", "Commercial", "Enterprise")
INDUSTRIES: tuple[str, ...] = (
    "Technology",
    "Finance",
    "Healthcare",
    "Retail",
    "Education",
    "Manufacturing",
    "Transportation & Logistics",
    "Media & Entertainment",
    "Professional Services",
    "Government & Public Sector",
)
# Licence codes are ordered from lowest to highest entitlement.
LICENSE_TYPES: tuple[str, ...] = ("Viewer", "Explorer", "Creator")
VIEWER, EXPLORER, CREATOR = 0, 1, 2
# Alphabetical, which is also the sort order of activity rows within a user-site-day.
ACTIVITY_TYPES: tuple[str, ...] = ("Access", "Create", "Publish", "View")
ACCESS, CREATE, PUBLISH, VIEW = 0, 1, 2, 3
# Alphabetical, which is also the sort order of job rows within a site-day.
JOB_TYPES: tuple[str, ...] = ("alert", "bridge", "extract", "flow run", "subscription")
SMB, COMMERCIAL, ENTERPRISE = 0, 1, 2

# --------------------------------------------------------------------------
# Output files: name -> header (exact order).
# --------------------------------------------------------------------------
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "saas_customer_info": ("customer_id", "industry", "region", "account_tier", "contact_email"),
    "saas_sites": ("site_id", "customer_id"),
    "saas_storage": ("customer_id", "site_id", "date", "storage_bytes"),
    "saas_users": ("customer_id", "site_id", "user_email", "registration_date", "license_type"),
    "saas_user_activity": (
        "customer_id",
        "user_email",
        "site_id",
        "date",
        "activity_type",
        "event_count",
    ),
    "saas_background_jobs": (
        "customer_id",
        "site_id",
        "date",
        "background_job_type",
        "background_job_min",
    ),
    "saas_internal_accounts": ("customer_id", "reason"),
}
RAW_TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)
MANIFEST_NAME = "_planted_cases.json"

FIRST_CUSTOMER_ID = 1_000_000_001
INTERNAL_DOMAIN = "cloudmetrics.com"
# Internal (test) tenants: reserved customer ids and why each is internal. This is
# the lookup an operator keeps by hand (seeds/saas_internal_accounts.csv, committed);
# every run writes it unchanged, and a run is internal wherever it creates one of
# these ids: from 4 customers on one tenant, from 50 two, then one more per 1,000.
INTERNAL_ACCOUNTS: tuple[tuple[int, str], ...] = (
    (1_000_000_004, "internal QA tenant"),
    (1_000_000_050, "sales demo tenant"),
    (1_000_001_000, "partner sandbox"),
    (1_000_002_000, "support reproduction tenant"),
    (1_000_003_000, "training tenant"),
    (1_000_004_000, "performance test tenant"),
    (1_000_005_000, "internal QA tenant (EMEA)"),
    (1_000_006_000, "sales demo tenant (APAC)"),
    (1_000_007_000, "release staging tenant"),
    (1_000_008_000, "partner sandbox (EMEA)"),
)
TOP_LEVEL_DOMAINS: tuple[str, ...] = ("com", "io", "net", "co", "org", "ai")
TLD_WEIGHTS: tuple[float, ...] = (0.62, 0.1, 0.08, 0.08, 0.08, 0.04)
DOMAIN_SUFFIXES: tuple[str, ...] = ("", "group", "labs", "systems", "corp", "global", "hq", "data")


@dataclass(frozen=True)
class Scale:
    """Defaults of one ``--scale`` profile."""

    name: str
    customers: int
    start: dt.date
    end: dt.date
    fmt: str
    users_scale: float = 1.0  # multiplies Params.users_per_site_median


SCALES: dict[str, Scale] = {
    # small is kept light: dbt (and a slow BigQuery emulator) run on it in the tests
    "small": Scale("small", 8, dt.date(2024, 1, 1), dt.date(2024, 6, 30), "csv", 0.65),
    "demo": Scale("demo", 65, dt.date(2023, 1, 1), dt.date(2024, 12, 31), "csv"),
    "large": Scale("large", 7000, dt.date(2023, 1, 1), dt.date(2024, 12, 31), "parquet"),
}


@dataclass(frozen=True)
class Params:
    """Behaviour model parameters (see the generator's module docstring)."""

    # --- customers ---------------------------------------------------------
    tier_weights: tuple[float, ...] = (0.50, 0.35, 0.15)  # SMB, Commercial, Enterprise
    region_weights: tuple[float, ...] = (0.50, 0.30, 0.20)  # NA, EMEA, APAC
    industry_weights: tuple[float, ...] = (
        0.17,
        0.14,
        0.11,
        0.10,
        0.07,
        0.10,
        0.06,
        0.06,
        0.11,
        0.08,
    )
    customer_engagement_sigma: float = 0.25  # lognormal spread of a customer's engagement
    # --- sites -------------------------------------------------------------
    sites_per_tier: tuple[tuple[int, int], ...] = ((1, 2), (2, 4), (3, 7))  # inclusive
    prewindow_customer_share: float = 0.30  # customers whose first site predates the window
    prewindow_max_days: int = 540  # how far before the window a pre-window go-live can be
    site_stagger_mean_days: float = 120.0  # later sites of a customer follow the first
    site_engagement_sigma: float = 0.20
    natural_churn_per_year: float = 0.03  # churn rate of ordinary live sites
    storage_rows_after_churn_days: int = 30  # storage stays (flat) this long after churn
    # --- users -------------------------------------------------------------
    users_per_site_median: tuple[float, ...] = (15.0, 34.0, 56.0)  # by tier
    users_per_site_sigma: float = 0.35
    license_weights: tuple[float, ...] = (0.60, 0.25, 0.15)  # Viewer, Explorer, Creator
    burst_share: float = 0.65  # users registering in the roll-out burst
    burst_mean_days: float = 7.0  # burst: exponential offset from go-live
    trickle_horizon_days: int = 540  # trickle: uniform offset from go-live
    multi_site_share: float = 0.30  # of users whose customer has another live site
    extra_site_weights: tuple[float, ...] = (0.7, 0.3)  # 1 or 2 extra sites
    secondary_site_weight: float = 0.55  # activity level on an extra site vs the primary
    # --- engagement ----------------------------------------------------------
    never_active_share: float = 0.08
    dormant_share: float = 0.25
    dormant_after_mean_days: float = 150.0
    activation_delay_mean_days: float = 3.0
    engagement_beta: tuple[float, float] = (2.0, 5.0)
    license_engagement: tuple[float, ...] = (0.80, 1.0, 1.25)  # Viewer, Explorer, Creator
    # Mon..Sun multipliers of the daily activity probability.
    weekday_factor: tuple[float, ...] = (1.0, 1.0, 1.0, 0.95, 0.80, 0.12, 0.08)
    max_daily_probability: float = 0.95
    # P(activity type on an active user-site-day) by licence; rows: Viewer, Explorer,
    # Creator; columns: Access, Create, Publish, View. A day with none drawn gets Access.
    type_probability: tuple[tuple[float, ...], ...] = (
        (0.85, 0.00, 0.00, 0.75),
        (0.80, 0.30, 0.00, 0.75),
        (0.75, 0.45, 0.25, 0.60),
    )
    # event_count = 1 + Poisson(mean[type] * user multiplier)
    event_mean: tuple[float, ...] = (1.5, 1.5, 0.6, 4.0)
    event_multiplier_sigma: float = 0.40
    # --- storage ----------------------------------------------------------------
    initial_storage_median_bytes: float = 40e6
    bytes_per_create: float = 12e6
    bytes_per_publish: float = 40e6
    content_size_sigma: float = 0.5  # per-site lognormal size of created content
    daily_growth_noise_sigma: float = 0.3
    daily_drift: float = 0.0004  # extract data growth, multiplicative per day
    cleanup_probability: float = 1.0 / 120.0
    cleanup_keep: tuple[float, float] = (0.55, 0.90)  # share kept by a clean-up
    prewindow_growth_keep: float = 0.6  # pre-window history: share kept after clean-ups
    # --- background jobs -------------------------------------------------------
    job_runs_per_day: tuple[float, ...] = (1.4, 1.8, 2.4)  # by tier, at reference storage
    job_weekend_factor: float = 0.7
    job_storage_reference_gib: float = 5.0
    job_storage_weight: float = 0.3  # effect = 1 - w + w * min(GiB / reference, 2)
    job_type_weights: tuple[float, ...] = (0.20, 0.10, 0.35, 0.10, 0.25)
    job_minutes_median: tuple[float, ...] = (1.0, 5.0, 8.0, 12.0, 2.0)
    job_minutes_sigma: tuple[float, ...] = (0.4, 0.6, 0.8, 0.7, 0.5)
    job_max_minutes: int = 1440
    # --- planted cases --------------------------------------------------------
    onboarding_window_days: int = 90
    planted_min_users: int = 16
    planted_engagement_floor: float = 0.35
    slow_ramp_active_share: float = 0.30
    slow_ramp_late_start_days: int = 100  # late users start after go-live + this
    stalled_blackout: tuple[int, int] = (48, 118)  # days after go-live without activity
    churn_before_end_days: tuple[int, int] = (75, 130)
    heavy_runs_per_day: float = 14.0
    heavy_type_weights: tuple[float, ...] = (0.10, 0.05, 0.50, 0.25, 0.10)
    heavy_minutes_multiplier: float = 1.5
    # --- calibration --------------------------------------------------------------
    activity_scale: float = 1.6  # global multiplier of the daily activity probability
    users_scale: float = 1.0  # global multiplier of users per site (set by the scale)
    customers_per_block: int = 16  # simulation unit (fixed so output is chunk-independent)
    planted_user_cap: int = 12  # planted users per case (manifest stays small)


DEFAULT_PARAMS = Params()


def params_for_scale(scale: str, params: Params = DEFAULT_PARAMS) -> Params:
    """The behaviour parameters a ``--scale`` profile runs with."""
    return replace(params, users_scale=SCALES[scale].users_scale)
