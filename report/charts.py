"""The charts, as Vega-Lite specs built with Altair.

Each function takes chart rows (plain dicts, sorted) and the order of the
categories, and returns a spec. Months are read in UTC, so a viewer's time zone
never shifts a month label; line charts put months on a time axis, bars and
heatmap cells on an ordinal one (one band per month, no partial months).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from report.warehouse import Record

Spec = dict[str, Any]

# Colours by category rank, one palette per dimension so that a tier and a
# region never look alike side by side.
TIER_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#9d755d", "#eeca3b", "#bab0ac")
REGION_COLOURS = ("#72b7b2", "#b279a2", "#e45756", "#ff9da6", "#9d755d", "#bab0ac")
LICENCE_COLOURS = ("#9ecae9", "#4c78a8", "#f58518", "#54a24b", "#bab0ac")
DOWNGRADE_COLOURS = ("#e45756", "#ff9da6", "#9d755d")
UPGRADE_COLOURS = ("#54a24b", "#88d27a", "#b5e0a8", "#72b7b2")
HEAVY_COLOURS = ("#f58518", "#bab0ac")
RAISED_COLOURS = ("#e45756", "#e4e7eb")
WINDOW_COLOURS = ("#4c78a8", "#9ecae9")
WIDE = 860
# Each field a tooltip shows, as Vega-Lite shorthand: its title and number
# format, the same in every chart (a chart can still pass its own).
TOOLTIP_FIELDS: dict[str, tuple[str, str | None]] = {
    "licensed_users:Q": ("Licensed users", ","),
    "events_per_active_user:Q": ("Events per active user", ",.1f"),
    "active_users:Q": ("Active users", ","),
    "events_total:Q": ("Events", ","),
    "customers:Q": ("Customers", ","),
    "license_type:N": ("Licence", None),
    "licence_utilisation:Q": ("Utilisation", ".1%"),
    "kind:N": ("Candidates", None),
    "users:Q": ("Users", ","),
    "storage_gib:Q": ("Storage (GiB)", ",.2f"),
    "storage_gib_mom_growth:Q": ("Growth on previous month", "+.1%"),
    "customer_id:N": ("Customer", None),
    "account_tier:N": ("Tier", None),
    "region:N": ("Region", None),
    "share:Q": ("Share of platform minutes", ".1%"),
    "job_minutes_total:Q": ("Job minutes", ",.0f"),
    "peak_minutes_per_site:Q": ("Peak minutes per site", ",.0f"),
    "heavy_months:Q": ("Months flagged heavy", None),
    "months:Q": ("Months with data", None),
    "site_id:N": ("Site", None),
    "signal:N": ("Signal", None),
    "raised:N": ("Raised", None),
    "go_live_date:N": ("Go-live", None),
    "events_in_window:Q": ("Events", ","),
    "active_users_in_window:Q": ("Active users", None),
    "licensed_users_in_window:Q": ("Licensed users", None),
    "activation_rate:Q": ("Activation rate", ".0%"),
    "storage_gib_peak:Q": ("Peak storage (GiB)", ",.2f"),
}


def _alt() -> Any:
    import altair as alt

    return alt


def palette(domain: Sequence[str], colours: Sequence[str]) -> list[str]:
    """A colour per category in rank order (repeating past the palette's end)."""
    return [colours[index % len(colours)] for index in range(len(domain))]


def _time_x(alt: Any) -> Any:
    return alt.X(
        "month_start:T",
        timeUnit="utcyearmonth",
        title=None,
        axis=alt.Axis(format="%b %Y", labelAngle=-40, labelOverlap=True),
    )


def _band_x(alt: Any) -> Any:
    return alt.X(
        "month_start:O",
        timeUnit="utcyearmonth",
        title=None,
        axis=alt.Axis(format="%b %Y", formatType="time", labelAngle=-40),
    )


def _month_tooltip(alt: Any) -> Any:
    return alt.Tooltip("month_start:T", timeUnit="utcyearmonth", format="%B %Y", title="Month")


def _tooltips(alt: Any, *fields: str | tuple[str, ...]) -> list[Any]:
    """Tooltips of TOOLTIP_FIELDS by name, or (shorthand, title[, format]) of a
    chart's own; `month_start:T` is the month as "March 2024"."""
    tooltips = []
    for field in fields:
        if field == "month_start:T":
            tooltips.append(_month_tooltip(alt))
            continue
        name, title, number_format = (
            (field, *TOOLTIP_FIELDS[field]) if isinstance(field, str) else (*field, None)[:3]
        )
        extra = {"format": number_format} if number_format else {}
        tooltips.append(alt.Tooltip(name, title=title, **extra))
    return tooltips


def _colour(alt: Any, field: str, title: str | None, domain: Sequence[Any], colours: Any) -> Any:
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(domain=list(domain), range=list(colours)),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def _segment_panel(
    records: list[Record],
    domain: Sequence[str],
    colours: Sequence[str],
    *,
    titles: tuple[str, str],  # the chart's, the legend's
    measure: tuple[str, str],  # the field, its title
    mark: Literal["line", "bar"],
) -> Any:
    alt = _alt()
    field, measure_title = measure
    tooltip = _tooltips(
        alt,
        "month_start:T",
        ("segment:N", titles[1]),
        (f"{field}:Q", measure_title, ",.0f"),
        ("licensed_users:Q", "Licensed users", ",.0f"),
        "events_per_active_user:Q",
    )
    base = alt.Chart(alt.Data(values=records), title=titles[0], width=400, height=240)
    encoding = {
        "y": alt.Y(f"{field}:Q", title=measure_title, axis=alt.Axis(format="~s")),
        "color": _colour(alt, "segment", titles[1], domain, palette(domain, colours)),
        "tooltip": tooltip,
    }
    if mark == "bar":
        return base.mark_bar().encode(x=_band_x(alt), **encoding)
    return base.mark_line(point=True).encode(x=_time_x(alt), **encoding)


def by_segment(
    panels: Sequence[tuple[str, list[Record], Sequence[str], Sequence[str]]],
    measure: tuple[str, str],
    mark: Literal["line", "bar"],
) -> Spec:
    """One panel per segment dimension (its title, rows, category order, palette)."""
    alt = _alt()
    charts = [
        _segment_panel(
            records,
            domain,
            colours,
            titles=(f"{measure[1]} by {title.lower()}", title),
            measure=measure,
            mark=mark,
        )
        for title, records, domain, colours in panels
    ]
    return dict(alt.hconcat(*charts, spacing=40).resolve_scale(color="independent").to_dict())


def industries(records: list[Record], order: Sequence[str]) -> Spec:
    """Heatmap: one row per industry, one cell per month, darker for more active users."""
    alt = _alt()
    tooltip = _tooltips(
        alt,
        "month_start:T",
        ("segment:N", "Industry"),
        "active_users:Q",
        "licensed_users:Q",
        "events_total:Q",
        "events_per_active_user:Q",
        "customers:Q",
    )
    colour = alt.Color(
        "active_users:Q",
        title="Active users",
        scale=alt.Scale(scheme="blues"),
        legend=alt.Legend(orient="right"),
    )
    chart = alt.Chart(alt.Data(values=records), width=WIDE - 120, height=alt.Step(22))
    return dict(
        chart.mark_rect()
        .encode(
            x=_band_x(alt),
            y=alt.Y("segment:N", sort=list(order), title=None),
            color=colour,
            tooltip=tooltip,
        )
        .to_dict()
    )


def licence_utilisation(records: list[Record], order: Sequence[str]) -> Spec:
    alt = _alt()
    top = max([1.0, *(r["licence_utilisation"] or 0 for r in records)])
    tooltip = _tooltips(
        alt,
        "month_start:T",
        "license_type:N",
        "licence_utilisation:Q",
        "active_users:Q",
        "licensed_users:Q",
    )
    y = alt.Y(
        "licence_utilisation:Q",
        title="Licence utilisation",
        axis=alt.Axis(format="%"),
        scale=alt.Scale(domain=[0, top]),
    )
    colour = _colour(alt, "license_type", "Licence", order, palette(order, LICENCE_COLOURS))
    chart = alt.Chart(alt.Data(values=records), width=WIDE, height=260)
    return dict(
        chart.mark_line(point=True)
        .encode(x=_time_x(alt), y=y, color=colour, tooltip=tooltip)
        .to_dict()
    )


def candidates(records: list[Record], kinds: Sequence[str], colours: Sequence[str]) -> Spec:
    """Grouped bars: per month, one bar per kind of candidate (direction and licence)."""
    alt = _alt()
    tooltip = _tooltips(alt, "month_start:T", "kind:N", "users:Q")
    chart = alt.Chart(alt.Data(values=records), width=WIDE, height=260)
    return dict(
        chart.mark_bar()
        .encode(
            x=_band_x(alt),
            xOffset=alt.XOffset("kind:N", sort=list(kinds)),
            y=alt.Y("users:Q", title="Users"),
            color=_colour(alt, "kind", "Candidates", kinds, colours),
            tooltip=tooltip,
        )
        .to_dict()
    )


def storage(records: list[Record], order: Sequence[str]) -> Spec:
    alt = _alt()
    tooltip = _tooltips(
        alt,
        "month_start:T",
        ("segment:N", "Account tier"),
        "storage_gib:Q",
        "storage_gib_mom_growth:Q",
        "customers:Q",
    )
    colour = _colour(alt, "segment", "Account tier", order, palette(order, TIER_COLOURS))
    chart = alt.Chart(alt.Data(values=records), width=WIDE, height=280)
    return dict(
        chart.mark_line(point=True)
        .encode(
            x=_time_x(alt),
            y=alt.Y("storage_gib:Q", title="Storage (GiB, average day)"),
            color=colour,
            tooltip=tooltip,
        )
        .to_dict()
    )


def background(records: list[Record], heavy_labels: tuple[str, str]) -> Spec:
    """Bars: each customer's share of all job minutes, heavy users in orange, labelled."""
    alt = _alt()
    order = [r["customer"] for r in records]
    base = alt.Chart(alt.Data(values=records), width=620, height=alt.Step(22))
    y = alt.Y("customer:N", sort=order, title=None)
    tooltip = _tooltips(
        alt,
        "customer_id:N",
        "account_tier:N",
        "region:N",
        "share:Q",
        "job_minutes_total:Q",
        "peak_minutes_per_site:Q",
        "heavy_months:Q",
        "months:Q",
    )
    bars = base.mark_bar().encode(
        x=alt.X("share:Q", title="Share of all background-job minutes", axis=alt.Axis(format="%")),
        y=y,
        color=_colour(alt, "heavy", None, heavy_labels, HEAVY_COLOURS),
        tooltip=tooltip,
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="share:Q", y=y, text="label:N"
    )
    return dict(alt.layer(bars, labels).to_dict())


def _signal_dots(alt: Any, matrix: list[Record], order: list[str], signals: list[str]) -> Any:
    colour = alt.Color(
        "raised:N",
        title="Signal",
        scale=alt.Scale(domain=[True, False], range=list(RAISED_COLOURS)),
        legend=alt.Legend(orient="bottom", labelExpr="datum.value ? 'raised' : 'not raised'"),
    )
    x = alt.X(
        "signal:N",
        sort=signals,
        title=None,
        axis=alt.Axis(labelAngle=0, labelLimit=0, labelExpr="split(datum.label, ', ')"),
    )
    tooltip = _tooltips(alt, "site_id:N", "customer_id:N", "signal:N", "raised:N", "go_live_date:N")
    chart = alt.Chart(alt.Data(values=matrix), width=alt.Step(100), height=alt.Step(20))
    y = alt.Y("site_id:N", sort=order, title="Site")
    return chart.mark_circle(size=160).encode(x=x, y=y, color=colour, tooltip=tooltip)


def _window_bars(alt: Any, sites: list[Record], order: list[str], windows: list[str]) -> Any:
    tooltip = _tooltips(
        alt,
        "site_id:N",
        "customer_id:N",
        "account_tier:N",
        "go_live_date:N",
        "events_in_window:Q",
        "active_users_in_window:Q",
        "licensed_users_in_window:Q",
        "activation_rate:Q",
        "storage_gib_peak:Q",
    )
    colour = alt.Color(
        "window:N",
        title="Window",
        scale=alt.Scale(domain=windows, range=list(WINDOW_COLOURS)),
        legend=alt.Legend(orient="bottom"),
    )
    chart = alt.Chart(alt.Data(values=sites), width=360, height=alt.Step(20))
    return chart.mark_bar().encode(
        x=alt.X("events_in_window:Q", title="Events in the onboarding window"),
        y=alt.Y("site_id:N", sort=order, title=None, axis=None),
        color=colour,
        tooltip=tooltip,
    )


def onboarding(
    matrix: list[Record], sites: list[Record], signals: list[str], windows: list[str]
) -> Spec:
    """A dot per site and signal (red when raised) beside the site's events in its window."""
    alt = _alt()
    order = [site["site_id"] for site in sites]
    return dict(
        alt.hconcat(
            _signal_dots(alt, matrix, order, signals),
            _window_bars(alt, sites, order, windows),
            spacing=16,
        )
        .resolve_scale(color="independent", y="shared")
        .resolve_legend(color="independent")
        .to_dict()
    )
