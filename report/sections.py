"""The page's sections on usage (engagement, licences, storage): charts of metrics
of the semantic layer, defined in its own words (labels and descriptions)."""

from __future__ import annotations

from typing import Literal

from report import charts, records
from report.data import ReportData
from report.page import (
    Column,
    Item,
    Section,
    fmt_int,
    fmt_pct,
    metric_definitions,
    month_label,
    semantic_source,
)
from report.queries import SEGMENTS
from report.warehouse import Record

Panel = tuple[str, list[Record], list[str], tuple[str, ...]]


def _segment_months(data: ReportData, segment: str) -> tuple[list[Record], list[str]]:
    """A segmentation's rows by month, and its segments, busiest first."""
    rows = data.segments[segment]
    order = records.busiest_first(rows, "segment", "active_users")
    return records.by_month(rows, "segment", order), order


def _segment_panels(data: ReportData) -> list[Panel]:
    palettes = {"account_tier": charts.TIER_COLOURS, "region": charts.REGION_COLOURS}
    return [
        (SEGMENTS[segment], *_segment_months(data, segment), colours)
        for segment, colours in palettes.items()
    ]


def _by_segment_chart(
    data: ReportData,
    item_id: str,
    metric: tuple[str, str],
    mark: Literal["line", "bar"],
    how_to_read: str,
) -> Item:
    """A chart of a metric by month, one panel per segment dimension (tier, region)."""
    name, label = metric
    return Item(
        "chart",
        item_id,
        f"{label} by month",
        spec=charts.by_segment(_segment_panels(data), metric, mark),
        how_to_read=how_to_read,
        definitions=metric_definitions(data, name),
        source=semantic_source(name, "month, customer__account_tier and customer__region"),
    )


def engagement(data: ReportData) -> Section:
    industries, industry_order = _segment_months(data, "industry")
    return Section(
        "engagement",
        "Engagement by month and segment",
        "Who uses the platform, month by month, split by account tier and by region.",
        [
            _by_segment_chart(
                data,
                "chart-active-users",
                ("active_users", "Active users"),
                "line",
                "Each line is one segment and its height is how many people used the "
                "platform that month, so compare slopes: a segment whose line flattens "
                "while its customers keep adding licences is adopting more slowly.",
            ),
            Item(
                "chart",
                "chart-industries",
                "Active users by industry",
                spec=charts.industries(industries, industry_order),
                how_to_read=(
                    "Each row is an industry, busiest first, and each cell a month: the darker "
                    "the cell, the more active users, so a row that darkens from left to right "
                    "is an industry whose adoption grows, and a pale row is one to prospect."
                ),
                definitions=metric_definitions(data, "active_users", "events_per_active_user"),
                source=semantic_source(
                    "active_users (the tooltip adds licensed users, events, events per active "
                    "user and customers)",
                    "month and customer__industry",
                ),
            ),
            _by_segment_chart(
                data,
                "chart-events",
                ("events_total", "Events"),
                "bar",
                "Each bar is all the events of a month stacked by segment: the total height "
                "is the platform's volume and each colour's part of it is that segment's "
                "weight; the tooltip adds events per active user.",
            ),
        ],
    )


def _candidate_table(data: ReportData) -> Item:
    top = records.top_candidate_customers(data.customer_licences)
    rows = [
        [
            r["customer_id"],
            r["account_tier"] or "",
            r["region"] or "",
            fmt_int(r["licensed_users"]),
            fmt_int(r["active_users"]),
            fmt_pct(r["licence_utilisation"]),
            fmt_int(r["downgrade_candidates"]),
            fmt_int(r["upgrade_candidates"]),
        ]
        for r in top
    ]
    titles = ("Licensed users", "Active users", "Utilisation", "Downgrade", "Upgrade")
    return Item(
        "table",
        "table-licence-candidates",
        f"Customers with the most candidates, {month_label(data.latest)}",
        columns=[Column("Customer"), Column("Tier"), Column("Region")]
        + [Column(title, numeric=True) for title in titles],
        rows=rows,
        empty_message="No customer has a downgrade or upgrade candidate this month.",
        note=f"The top {records.TOP_CANDIDATE_CUSTOMERS} customers by downgrade and upgrade "
        "candidates in the latest month of the data; utilisation is over all their licences.",
    )


def licences(data: ReportData) -> Section:
    order = records.in_order({r["license_type"] for r in data.licences}, data.licence_order)
    candidate_rows, kinds, colours = records.candidate_rows(data.candidates, data.licence_order)
    return Section(
        "licences",
        "Licence utilisation and candidates",
        "Whether paid seats are used, and which users hold the wrong licence.",
        [
            Item(
                "chart",
                "chart-licence-utilisation",
                "Licence utilisation by licence type",
                spec=charts.licence_utilisation(
                    records.by_month(data.licences, "license_type", order), order
                ),
                how_to_read=(
                    "Each line is the share of the users holding that licence who were active in "
                    "the month: 100% means every seat was used, and the dearest licence's line "
                    "below the others means the most expensive seats sit idle most."
                ),
                definitions=metric_definitions(data, "licence_utilisation", "licensed_users"),
                source=semantic_source(
                    "licence_utilisation, active_users and licensed_users",
                    "month and user__license_type",
                ),
            ),
            Item(
                "chart",
                "chart-licence-candidates",
                "Downgrade and upgrade candidates by month",
                spec=charts.candidates(candidate_rows, kinds, colours),
                how_to_read=(
                    "Bars count users in each month: red are users of a licence they do not use "
                    "to the full (candidates to move down), green are users whose activity went "
                    "beyond their licence (candidates to move up); a bar that stays high month "
                    "after month is a pricing conversation, not a blip."
                ),
                definitions=metric_definitions(data, "downgrade_candidates", "upgrade_candidates"),
                source=semantic_source(
                    "downgrade_candidates and upgrade_candidates",
                    "month and license_month__license_type",
                ),
            ),
            _candidate_table(data),
        ],
    )


def storage(data: ReportData) -> Section:
    tiers, order = _segment_months(data, "account_tier")
    return Section(
        "storage",
        "Storage growth by account tier",
        "How much content each tier keeps on the platform, and how fast it grows.",
        [
            Item(
                "chart",
                "chart-storage",
                "Storage by account tier",
                spec=charts.storage(tiers, order),
                how_to_read=(
                    "Each line is the storage the tier's sites held on an average day of the "
                    "month: the slope is growth (the tooltip gives it against the previous "
                    "month) and a dip is a clean-up."
                ),
                definitions=metric_definitions(data, "storage_gib", "storage_gib_mom_growth"),
                source=semantic_source(
                    "storage_gib and storage_gib_mom_growth", "month and customer__account_tier"
                ),
            )
        ],
    )
