"""The page's watch lists: the customers most reliant on background processing and
the sites with onboarding signals. Rows come from the marts that set the flags;
the definitions quote the thresholds (dbt vars) the marts were built with."""

from __future__ import annotations

from report import charts, records
from report.data import ReportData
from report.page import (
    MAX_TABLE_ROWS,
    Column,
    Definition,
    Item,
    Section,
    cap_note,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_var,
    month_label,
)
from report.queries import SIGNALS
from report.warehouse import Record


def _heavy_table(heavy: list[Record]) -> Item:
    rows = [
        [
            r["customer_id"],
            r["account_tier"] or "",
            r["region"] or "",
            r["industry"] or "",
            f"{r['heavy_months']} of {r['months']}",
            month_label(r["last_heavy_month"]) if r["last_heavy_month"] else "",
            fmt_pct(r["share"]),
            fmt_int(r["peak_minutes_per_site"]),
        ]
        for r in heavy[:MAX_TABLE_ROWS]
    ]
    return Item(
        "table",
        "table-heavy-background",
        "Heavy background users",
        columns=[
            *(Column(title) for title in ("Customer", "Tier", "Region", "Industry")),
            Column("Months heavy", numeric=True),
            Column("Last heavy month"),
            Column("Share of minutes", numeric=True),
            Column("Peak minutes per site", numeric=True),
        ],
        rows=rows,
        empty_message="No customer was a heavy background user in any month.",
        note=cap_note(len(heavy), "heavy background user", "heavy background users"),
    )


def background(data: ReportData) -> Section:
    customers = records.background_rows(data.background)
    bars = records.background_bars(customers)
    threshold = fmt_var(data.thresholds.heavy_minutes_per_site)
    definitions = [
        Definition(
            "Heavy background user",
            "a customer-month whose job minutes per live site (`job_minutes_per_site`) reach "
            f"`heavy_background_min_minutes_per_site`, {threshold} minutes in this project "
            "(`is_heavy_background_user`).",
        ),
        Definition(
            "Share",
            "the customer's job minutes over the whole period / all customers' job minutes "
            "(internal accounts count in the total but are not shown).",
        ),
    ]
    return Section(
        "background-jobs",
        "Customers most reliant on background processing",
        "Extracts, subscriptions, flows, alerts and bridge runs: who drives the platform's "
        "background load.",
        [
            Item(
                "chart",
                "chart-background",
                "Share of all background-job minutes, by customer",
                spec=charts.background(bars, records.HEAVY_LABELS) if bars else None,
                empty_message="No customer ran a background job.",
                how_to_read=(
                    "Each bar is one customer's share of all background-job minutes run on the "
                    "platform over the whole period, largest first; orange bars are customers "
                    "flagged as heavy background users in at least one month, and the label "
                    f"says in how many (at most {records.MAX_BACKGROUND_BARS} bars, heavy "
                    "users first)."
                ),
                definitions=definitions,
                source="Source: the mart customer_background_job_months.",
            ),
            _heavy_table(records.heavy_rows(customers)),
        ],
    )


def _signal_definitions(data: ReportData) -> list[Definition]:
    rules = data.thresholds
    creation = " or ".join(rules.creation_activity_types)
    return [
        Definition(
            SIGNALS[0][1],
            f"at least {fmt_var(rules.high_activity_min_events)} events in the window "
            "(`signal_high_activity_min_events`) while peak storage stays at or below "
            f"{fmt_var(rules.no_storage_max_bytes)} bytes (`signal_no_storage_max_bytes`).",
        ),
        Definition(
            SIGNALS[1][1],
            f"a complete window with no events in its last {fmt_var(rules.stalled_tail_days)} "
            "days (`signal_stalled_tail_days`).",
        ),
        Definition(
            SIGNALS[2][1],
            "a complete window, not stalled, whose activation rate (users active in the "
            f"window / users licensed by its end) is below "
            f"{rules.slow_ramp_max_activation_rate:.0%} "
            "(`signal_slow_ramp_max_activation_rate`).",
        ),
        Definition(
            SIGNALS[3][1],
            f"events in the window but not one {creation} (`creation_activity_types`).",
        ),
    ]


def _onboarding_table(flagged: list[Record]) -> Item:
    rows = [
        [
            s["site_id"],
            s["customer_id"],
            s["account_tier"] or "",
            s["go_live_date"],
            ", ".join(s["signals"]),
            fmt_int(s["events_in_window"]),
            f"{fmt_int(s['active_users_in_window'])} / {fmt_int(s['licensed_users_in_window'])}",
            fmt_num((s["storage_bytes_peak_in_window"] or 0) / records.GIB, 2),
        ]
        for s in flagged[:MAX_TABLE_ROWS]
    ]
    shown = ""
    if len(flagged) > records.MAX_ONBOARDING_ROWS:
        shown = f" The chart shows the first {records.MAX_ONBOARDING_ROWS}."
    return Item(
        "table",
        "table-onboarding",
        "Sites with onboarding signals",
        columns=[
            *(Column(title) for title in ("Site", "Customer", "Tier", "Go-live", "Signals")),
            Column("Events", numeric=True),
            Column("Active / licensed users", numeric=True),
            Column("Peak storage (GiB)", numeric=True),
        ],
        rows=rows,
        empty_message="No onboarding site raised a signal.",
        note=cap_note(len(flagged), "site with a signal", "sites with a signal") + shown,
    )


def onboarding(data: ReportData, flagged: list[Record]) -> Section:
    shown = flagged[: records.MAX_ONBOARDING_ROWS]
    matrix, events = records.onboarding_chart_rows(shown)
    signals = [label for _, label in SIGNALS]
    window = fmt_var(data.thresholds.onboarding_window_days)
    return Section(
        "onboarding",
        "Sites with onboarding signals",
        f"Sites that went live inside the data, watched over their first {window} days.",
        [
            Item(
                "chart",
                "chart-onboarding",
                "Onboarding signals by site",
                spec=charts.onboarding(matrix, events, signals, records.WINDOWS) if shown else None,
                empty_message="No onboarding site raised a signal.",
                how_to_read=(
                    "Each row is a site that raised at least one signal in its onboarding "
                    "window, most signals first: a red dot marks each signal raised, and the "
                    "bar on the right is the site's events in the window (light blue while the "
                    "window is still open)."
                ),
                definitions=_signal_definitions(data),
                source="Source: the mart onboarding_site_signals.",
            ),
            _onboarding_table(flagged),
        ],
    )
