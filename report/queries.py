"""The report's questions: metrics from the semantic layer, rows from the marts.

Aggregates (by month, segment, licence type or customer) are metrics of the
semantic layer, so each is defined once, in ``models/marts/semantic/``, and the
report never restates one. The lists of individual customers and sites read the
marts that define their flags (``is_heavy_background_user``, the onboarding
signals); the only arithmetic here is summing a customer's months.
"""

from __future__ import annotations

from report.semantic import MetricQuery, SemanticLayer
from report.warehouse import Query

MONTH = "metric_time__month"

# Segment dimensions of the semantic layer (customer__<name>) and their titles
SEGMENTS = {"account_tier": "Account tier", "region": "Region", "industry": "Industry"}

SEGMENT_METRICS = (
    "customers",
    "active_users",
    "licensed_users",
    "events_total",
    "events_per_active_user",
    "storage_gib",
    "storage_gib_mom_growth",
)

METRIC_QUERIES = (
    *(
        MetricQuery(f"usage_by_{segment}", SEGMENT_METRICS, (MONTH, f"customer__{segment}"))
        for segment in SEGMENTS
    ),
    MetricQuery(
        "platform_by_month",
        (
            "customers",
            "active_users",
            "active_users_mom_growth",
            "events_total",
            "licence_utilisation",
            "storage_gib",
        ),
        (MONTH,),
    ),
    MetricQuery(
        "licences_by_month",
        ("licensed_users", "active_users", "licence_utilisation"),
        (MONTH, "user__license_type"),
    ),
    MetricQuery(
        "licence_candidates_by_month",
        ("downgrade_candidates", "upgrade_candidates"),
        (MONTH, "license_month__license_type"),
    ),
    MetricQuery(
        "licences_by_customer_month",
        (
            "licensed_users",
            "active_users",
            "licence_utilisation",
            "downgrade_candidates",
            "upgrade_candidates",
        ),
        (MONTH, "customer", "customer__account_tier", "customer__region"),
    ),
    MetricQuery("heavy_background_customers", ("heavy_background_customers",)),
)

# The onboarding signals of onboarding_site_signals and how the page names them
SIGNALS = (
    ("is_high_activity_no_storage", "High activity, no storage"),
    ("is_stalled", "Stalled"),
    ("is_slow_ramp", "Slow ramp"),
    ("is_no_content_created", "No content created"),
)

MART_QUERIES = (
    Query(
        name="licence_ranks",
        sql="""
select
    license_type,
    min(license_rank) as license_rank
from {{ ref('customer_license_months') }}
group by license_type
order by license_rank, license_type
""",
        columns=(("license_type", "str"), ("license_rank", "int")),
    ),
    Query(
        name="background_customers",
        sql="""
select
    customer_id,
    max(account_tier) as account_tier,
    max(region) as region,
    max(industry) as industry,
    max(case when is_internal then 1 else 0 end) as is_internal,
    count(*) as months,
    sum(job_runs) as job_runs,
    sum(job_minutes_total) as job_minutes_total,
    max(job_minutes_per_site) as peak_minutes_per_site,
    sum(case when is_heavy_background_user then 1 else 0 end) as heavy_months,
    max(case when is_heavy_background_user then month_start end) as last_heavy_month,
    min(case when is_heavy_background_user then job_minutes_per_site end)
        as least_heavy_minutes_per_site,
    max(case when not is_heavy_background_user then job_minutes_per_site end)
        as most_light_minutes_per_site
from {{ ref('customer_background_job_months') }}
group by customer_id
order by customer_id
""",
        columns=(
            ("customer_id", "str"),
            ("account_tier", "str"),
            ("region", "str"),
            ("industry", "str"),
            ("is_internal", "bool"),
            ("months", "int"),
            ("job_runs", "int"),
            ("job_minutes_total", "float"),
            ("peak_minutes_per_site", "float"),
            ("heavy_months", "int"),
            ("last_heavy_month", "date"),
            ("least_heavy_minutes_per_site", "float"),
            ("most_light_minutes_per_site", "float"),
        ),
    ),
    Query(
        name="onboarding_sites",
        sql="""
select
    signals.site_id,
    signals.customer_id,
    customers.account_tier,
    signals.go_live_date,
    signals.onboarding_window_days,
    signals.is_window_complete,
    signals.events_in_window,
    signals.active_users_in_window,
    signals.licensed_users_in_window,
    signals.activation_rate,
    signals.storage_bytes_peak_in_window,
    signals.is_high_activity_no_storage,
    signals.is_stalled,
    signals.is_slow_ramp,
    signals.is_no_content_created
from {{ ref('onboarding_site_signals') }} as signals
inner join {{ ref('dim_customers') }} as customers
    on signals.customer_id = customers.customer_id
where not coalesce(customers.is_internal, false)
order by signals.site_id
""",
        columns=(
            ("site_id", "str"),
            ("customer_id", "str"),
            ("account_tier", "str"),
            ("go_live_date", "date"),
            ("onboarding_window_days", "int"),
            ("is_window_complete", "bool"),
            ("events_in_window", "int"),
            ("active_users_in_window", "int"),
            ("licensed_users_in_window", "int"),
            ("activation_rate", "float"),
            ("storage_bytes_peak_in_window", "float"),
            *((column, "bool") for column, _ in SIGNALS),
        ),
    ),
)


def report_queries(semantic: SemanticLayer) -> list[Query]:
    """Every query the report runs: the metric queries compiled, then the mart queries."""
    return [*(semantic.compile(query) for query in METRIC_QUERIES), *MART_QUERIES]


def marts_read(queries: list[Query]) -> list[str]:
    """The models the queries read (MetricFlow's joins included), sorted: what the
    dbt exposure of the report depends on."""
    return sorted(set().union(*(query.relations for query in queries)))
