"""Chart and table rows shaped from the query results: sorted, labelled, capped.

No metric is computed here: every number is a metric of the semantic layer or a
mart's column (a customer's months summed in SQL). The one ratio drawn, a
customer's share of all background-job minutes, is the chart's scale (each
customer's minutes over all customers'), not a metric.
"""

from __future__ import annotations

from collections.abc import Sequence

from report.charts import DOWNGRADE_COLOURS, UPGRADE_COLOURS, palette
from report.queries import SIGNALS
from report.warehouse import Record

HEAVY_LABELS = ("Heavy in at least one month", "Never heavy")
WINDOWS = ["Complete window", "Window still open"]
MAX_BACKGROUND_BARS = 25
MAX_ONBOARDING_ROWS = 40  # sites in the onboarding chart (the table lists more)
TOP_CANDIDATE_CUSTOMERS = 10
GIB = 1024**3


def rank(value: str, order: list[str]) -> tuple[int, str]:
    """Sort key: the given order first, values outside it after, alphabetically."""
    return (order.index(value) if value in order else len(order), value)


def busiest_first(rows: list[Record], category: str, measure: str) -> list[str]:
    """The category's values, largest total of the measure first (ties by name)."""
    totals: dict[str, float] = {}
    for row in rows:
        totals[row[category]] = totals.get(row[category], 0) + (row[measure] or 0)
    return sorted(totals, key=lambda value: (-totals[value], value))


def by_month(rows: list[Record], category: str, order: list[str]) -> list[Record]:
    """Rows sorted by month, then by the category's order."""
    return sorted(rows, key=lambda r: (r["month_start"], *rank(r[category], order)))


def in_order(values: set[str], order: list[str]) -> list[str]:
    """The values present, in the given order, then the others alphabetically."""
    return sorted(values, key=lambda value: rank(value, order))


def candidate_rows(
    rows: list[Record], licence_order: list[str]
) -> tuple[list[Record], list[str], list[str]]:
    """One row per month and kind of candidate (downgrade or upgrade, by licence,
    dearest licence first), the kinds that occur at all, and their colours."""
    licences = in_order({r["license_type"] for r in rows}, licence_order)[::-1]
    records: list[Record] = []
    kinds: list[str] = []
    colours: list[str] = []
    for direction, column, shades in (
        ("Downgrade", "downgrade_candidates", DOWNGRADE_COLOURS),
        ("Upgrade", "upgrade_candidates", UPGRADE_COLOURS),
    ):
        present = [
            licence
            for licence in licences
            if any(r[column] for r in rows if r["license_type"] == licence)
        ]
        for licence in present:
            kind = f"{direction}: {licence}"
            records += [
                {"month_start": r["month_start"], "kind": kind, "users": r[column] or 0}
                for r in rows
                if r["license_type"] == licence
            ]
        kinds += [f"{direction}: {licence}" for licence in present]
        colours += palette(present, shades)
    records.sort(key=lambda r: (r["month_start"], kinds.index(r["kind"])))
    return records, kinds, colours


def top_candidate_customers(rows: list[Record]) -> list[Record]:
    """The customers with the most downgrade and upgrade candidates."""
    with_candidates = [
        r for r in rows if (r["downgrade_candidates"] or 0) + (r["upgrade_candidates"] or 0)
    ]
    with_candidates.sort(
        key=lambda r: (
            -((r["downgrade_candidates"] or 0) + (r["upgrade_candidates"] or 0)),
            r["customer_id"],
        )
    )
    return with_candidates[:TOP_CANDIDATE_CUSTOMERS]


def background_rows(rows: list[Record]) -> list[Record]:
    """External customers ranked by their share of all the period's job minutes.
    Internal accounts count in the total (like the mart's job_minutes_share) but
    are not shown."""
    platform_minutes = sum(row["job_minutes_total"] or 0 for row in rows)
    records = []
    for row in rows:
        if row["is_internal"]:
            continue
        minutes = row["job_minutes_total"] or 0
        heavy = (row["heavy_months"] or 0) > 0
        records.append(
            {
                **{key: row[key] for key in ("customer_id", "account_tier", "region", "industry")},
                **{key: row[key] for key in ("months", "job_runs", "last_heavy_month")},
                "customer": f"{row['customer_id']} · {row['account_tier']}",
                "share": round(minutes / platform_minutes, 6) if platform_minutes else None,
                "job_minutes_total": round(minutes, 1),
                "peak_minutes_per_site": row["peak_minutes_per_site"],
                "heavy_months": row["heavy_months"] or 0,
                "heavy": HEAVY_LABELS[0] if heavy else HEAVY_LABELS[1],
                "label": f"heavy {row['heavy_months']} of {row['months']} months" if heavy else "",
            }
        )
    records.sort(key=lambda r: (-(r["share"] or 0), r["customer_id"]))
    return records


def heavy_rows(records: list[Record]) -> list[Record]:
    """The heavy background users, most heavy months first."""
    heavy = [r for r in records if r["heavy"] == HEAVY_LABELS[0]]
    return sorted(heavy, key=lambda r: (-r["heavy_months"], -(r["share"] or 0), r["customer_id"]))


def background_bars(records: list[Record]) -> list[Record]:
    """The heavy customers (largest share first), topped up with the largest others,
    MAX_BACKGROUND_BARS bars in all; the table below the chart lists every heavy one."""
    records = [r for r in records if (r["share"] or 0) > 0]
    heavy = [r for r in records if r["heavy"] == HEAVY_LABELS[0]]
    others = [r for r in records if r["heavy"] != HEAVY_LABELS[0]]
    keep = {r["customer_id"] for r in heavy[:MAX_BACKGROUND_BARS]}
    keep |= {r["customer_id"] for r in others[: max(0, MAX_BACKGROUND_BARS - len(keep))]}
    return [r for r in records if r["customer_id"] in keep]


def onboarding_flagged(rows: list[Record]) -> list[Record]:
    """Sites with at least one signal, most signals first, then most events."""
    flagged = []
    for row in rows:
        raised = [label for column, label in SIGNALS if row[column]]
        if raised:
            flagged.append({**row, "signals": raised})
    flagged.sort(key=lambda r: (-len(r["signals"]), -(r["events_in_window"] or 0), r["site_id"]))
    return flagged


def onboarding_chart_rows(sites: Sequence[Record]) -> tuple[list[Record], list[Record]]:
    """The chart's two data sets: a row per site and signal, and a row per site."""
    matrix = [
        {
            "site_id": s["site_id"],
            "signal": label,
            "raised": bool(s[column]),
            "customer_id": s["customer_id"],
            "go_live_date": s["go_live_date"],
        }
        for s in sites
        for column, label in SIGNALS
    ]
    keep = ("site_id", "customer_id", "account_tier", "go_live_date")
    events = [
        {
            **{key: s[key] for key in keep},
            "events_in_window": s["events_in_window"] or 0,
            "active_users_in_window": s["active_users_in_window"],
            "licensed_users_in_window": s["licensed_users_in_window"],
            "activation_rate": s["activation_rate"],
            "storage_gib_peak": round((s["storage_bytes_peak_in_window"] or 0) / GIB, 3),
            "window": WINDOWS[0] if s["is_window_complete"] else WINDOWS[1],
        }
        for s in sites
    ]
    return matrix, events
