"""Everything the page shows, read once: the query results, the metric definitions
and the thresholds of the project.

The categories (tiers, regions, industries, licence types) are whatever values
the data holds; the thresholds are the dbt vars the marts were built with. Two
checks stop the report when the marts were built with other vars than the
project's (a changed dbt_project.yml without a rebuild, or a build with
``--vars`` the report was not given), instead of quoting one threshold while
showing data cut at another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from report.errors import ReportError
from report.project import ProjectVars
from report.queries import MONTH, SEGMENTS, marts_read, report_queries
from report.semantic import MetricDoc, SemanticLayer
from report.warehouse import Record, Warehouse

# MetricFlow's column names, as the report calls them
_RENAMED = {
    MONTH: "month_start",
    "customer": "customer_id",
    "customer__account_tier": "account_tier",
    "customer__region": "region",
    "user__license_type": "license_type",
    "license_month__license_type": "license_type",
}


@dataclass(frozen=True)
class Thresholds:
    """The dbt vars the page quotes, read from the project (never defaulted here)."""

    heavy_minutes_per_site: float
    onboarding_window_days: float
    high_activity_min_events: float
    no_storage_max_bytes: float
    slow_ramp_max_activation_rate: float
    stalled_tail_days: float
    creation_activity_types: tuple[str, ...]

    @classmethod
    def of(cls, variables: ProjectVars) -> Thresholds:
        return cls(
            heavy_minutes_per_site=variables.number("heavy_background_min_minutes_per_site"),
            onboarding_window_days=variables.number("onboarding_window_days"),
            high_activity_min_events=variables.number("signal_high_activity_min_events"),
            no_storage_max_bytes=variables.number("signal_no_storage_max_bytes"),
            slow_ramp_max_activation_rate=variables.number("signal_slow_ramp_max_activation_rate"),
            stalled_tail_days=variables.number("signal_stalled_tail_days"),
            creation_activity_types=tuple(variables["creation_activity_types"]),
        )


@dataclass(frozen=True)
class ReportData:
    months: list[str]  # the months of the data, oldest first
    platform: dict[str, Record]  # platform-wide metrics by month
    segments: dict[str, list[Record]]  # by segment dimension (SEGMENTS)
    licences: list[Record]
    candidates: list[Record]
    customer_licences: list[Record]  # by customer, the latest month
    licence_order: list[str]  # cheapest licence first (the mart's license_rank)
    heavy_customers: int
    background: list[Record]  # by customer, over all months
    onboarding: list[Record]  # external sites in their onboarding window
    docs: Mapping[str, MetricDoc]
    thresholds: Thresholds
    marts: list[str]  # the models read

    @property
    def latest(self) -> str:
        return self.months[-1]


def _renamed(
    rows: list[Record], months: set[str] | None = None, segment: str | None = None
) -> list[Record]:
    """MetricFlow rows with the report's column names (the segment dimension's as
    "segment"), inside the data's months (month-over-month metrics also return the
    month after the last one)."""
    names = {**_RENAMED, f"customer__{segment}": "segment"} if segment else _RENAMED
    renamed = [{names.get(name, name): value for name, value in row.items()} for row in rows]
    if months is None:
        return renamed
    return [row for row in renamed if row["month_start"] in months]


def _data_months(platform: list[Record]) -> list[str]:
    months = sorted(row["month_start"] for row in platform if row["customers"] is not None)
    if not months:
        raise ReportError("the marts hold no customer month: build the project on some data first")
    return months


def check_marts_match_thresholds(data: ReportData) -> None:
    """Stop when the marts' flags were cut at another threshold than the project's."""
    threshold = data.thresholds.heavy_minutes_per_site
    for row in data.background:
        least_heavy = row["least_heavy_minutes_per_site"]
        most_light = row["most_light_minutes_per_site"]
        if (least_heavy is not None and least_heavy < threshold) or (
            most_light is not None and most_light >= threshold
        ):
            _mismatch("customer_background_job_months", "heavy_background_min_minutes_per_site")
    built = {row["onboarding_window_days"] for row in data.onboarding}
    if built - {data.thresholds.onboarding_window_days}:
        _mismatch("onboarding_site_signals", "onboarding_window_days")


def _mismatch(mart: str, var: str) -> None:
    raise ReportError(
        f"{mart} was built with another {var} than the project's: rebuild it "
        "(dbt build), or give the report the --vars the build had"
    )


def load_data(warehouse: Warehouse, semantic: SemanticLayer, variables: ProjectVars) -> ReportData:
    thresholds = Thresholds.of(variables)  # first: a missing var fails before any query
    queries = report_queries(semantic)
    results = {query.name: warehouse.fetch(query) for query in queries}
    platform = _renamed(results["platform_by_month"])
    months = _data_months(platform)
    within = set(months)
    data = ReportData(
        months=months,
        platform={row["month_start"]: row for row in platform if row["month_start"] in within},
        segments={
            segment: _renamed(results[f"usage_by_{segment}"], within, segment)
            for segment in SEGMENTS
        },
        licences=_renamed(results["licences_by_month"], within),
        candidates=_renamed(results["licence_candidates_by_month"], within),
        customer_licences=_renamed(results["licences_by_customer_month"], {months[-1]}),
        licence_order=[row["license_type"] for row in results["licence_ranks"]],
        heavy_customers=_count(results["heavy_background_customers"]),
        background=results["background_customers"],
        onboarding=results["onboarding_sites"],
        docs=semantic.docs,
        thresholds=thresholds,
        marts=marts_read(queries),
    )
    check_marts_match_thresholds(data)
    return data


def _count(rows: list[Record]) -> int:
    (row,) = rows
    (value,) = row.values()
    return int(value or 0)
