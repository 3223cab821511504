"""The page's content: headline numbers and the sections' charts and tables, as
plain data for the template (report/templates/usage_report.html.j2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from report.data import ReportData

NO_VALUE = "\N{EN DASH}"  # shown for a missing value
MAX_TABLE_ROWS = 200


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool = False


@dataclass(frozen=True)
class Definition:
    """A term and its definition; `code` spans in the text are set as code."""

    term: str
    text: str


@dataclass
class Item:
    kind: Literal["chart", "table"]
    id: str
    title: str
    spec: dict[str, object] | None = None  # a chart's Vega-Lite spec; None: nothing to draw
    how_to_read: str = ""
    definitions: list[Definition] = field(default_factory=list)
    source: str = ""
    empty_message: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    lede: str
    items: list[Item]


@dataclass(frozen=True)
class Kpi:
    key: str
    value: str
    label: str


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m-%d").strftime("%B %Y")


def fmt_int(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:,.0f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:.{digits}%}"


def fmt_num(value: float | None, digits: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:,.{digits}f}"


def fmt_var(value: float) -> str:
    """A dbt var's value as the page quotes it (3,000; 0.5)."""
    return f"{value:,}"


def cap_note(total: int, singular: str, plural: str) -> str:
    what = singular if total == 1 else plural
    if total > MAX_TABLE_ROWS:
        return f"{total:,} {what}; the table lists the first {MAX_TABLE_ROWS}."
    return f"{total:,} {what}."


def metric_definitions(data: ReportData, *metrics: str) -> list[Definition]:
    """The metrics' labels and descriptions, word for word from the semantic layer."""
    return [Definition(data.docs[name].label, data.docs[name].description) for name in metrics]


def semantic_source(metrics: str, by: str) -> str:
    return f"Source: the semantic layer's {metrics} by {by}, internal (test) accounts left out."


def kpis(data: ReportData, onboarding_flagged: int) -> list[Kpi]:
    latest = data.platform[data.latest]
    when = month_label(data.latest)
    growth = latest["active_users_mom_growth"]
    growth_note = ""
    if growth is not None and len(data.months) > 1:
        growth_note = f" ({growth:+.1%} on {month_label(data.months[-2])})"
    return [
        Kpi("customers", fmt_int(latest["customers"]), f"customers with live sites, {when}"),
        Kpi("active_users", fmt_int(latest["active_users"]), f"active users, {when}{growth_note}"),
        Kpi("events", fmt_int(latest["events_total"]), f"events, {when}"),
        Kpi(
            "licence_utilisation",
            fmt_pct(latest["licence_utilisation"]),
            f"licence utilisation, {when}",
        ),
        Kpi(
            "storage_gib",
            fmt_num(latest["storage_gib"]),
            f"GiB stored on an average day, {when}",
        ),
        Kpi(
            "heavy_background_customers",
            fmt_int(data.heavy_customers),
            "heavy background users (at least one month)",
        ),
        Kpi(
            "onboarding_sites_flagged",
            fmt_int(onboarding_flagged),
            f"of {len(data.onboarding):,} onboarding sites raised a signal",
        ),
    ]
