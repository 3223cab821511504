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
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("segment:N", title=titles[1]),
        alt.Tooltip(f"{field}:Q", title=measure_title, format=",.0f"),
        alt.Tooltip("licensed_users:Q", title="Licensed users", format=",.0f"),
        alt.Tooltip("events_per_active_user:Q", title="Events per active user", format=",.1f"),
    ]
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
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("segment:N", title="Industry"),
        alt.Tooltip("active_users:Q", title="Active users", format=","),
        alt.Tooltip("licensed_users:Q", title="Licensed users", format=","),
        alt.Tooltip("events_total:Q", title="Events", format=","),
        alt.Tooltip("events_per_active_user:Q", title="Events per active user", format=",.1f"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
    ]
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
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("license_type:N", title="Licence"),
        alt.Tooltip("licence_utilisation:Q", title="Utilisation", format=".1%"),
        alt.Tooltip("active_users:Q", title="Active users", format=","),
        alt.Tooltip("licensed_users:Q", title="Licensed users", format=","),
    ]
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
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("kind:N", title="Candidates"),
        alt.Tooltip("users:Q", title="Users", format=","),
    ]
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
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("segment:N", title="Account tier"),
        alt.Tooltip("storage_gib:Q", title="Storage (GiB)", format=",.2f"),
        alt.Tooltip("storage_gib_mom_growth:Q", title="Growth on previous month", format="+.1%"),
        alt.Tooltip("customers:Q", title="Customers", format=","),
    ]
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
    tooltip = [
        alt.Tooltip("customer_id:N", title="Customer"),
        alt.Tooltip("account_tier:N", title="Tier"),
        alt.Tooltip("region:N", title="Region"),
        alt.Tooltip("share:Q", title="Share of platform minutes", format=".1%"),
        alt.Tooltip("job_minutes_total:Q", title="Job minutes", format=",.0f"),
        alt.Tooltip("peak_minutes_per_site:Q", title="Peak minutes per site", format=",.0f"),
        alt.Tooltip("heavy_months:Q", title="Months flagged heavy"),
        alt.Tooltip("months:Q", title="Months with data"),
    ]
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
    tooltip = [
        alt.Tooltip("site_id:N", title="Site"),
        alt.Tooltip("customer_id:N", title="Customer"),
        alt.Tooltip("signal:N", title="Signal"),
        alt.Tooltip("raised:N", title="Raised"),
        alt.Tooltip("go_live_date:N", title="Go-live"),
    ]
    chart = alt.Chart(alt.Data(values=matrix), width=alt.Step(100), height=alt.Step(20))
    y = alt.Y("site_id:N", sort=order, title="Site")
    return chart.mark_circle(size=160).encode(x=x, y=y, color=colour, tooltip=tooltip)


def _window_bars(alt: Any, sites: list[Record], order: list[str], windows: list[str]) -> Any:
    tooltip = [
        alt.Tooltip("site_id:N", title="Site"),
        alt.Tooltip("customer_id:N", title="Customer"),
        alt.Tooltip("account_tier:N", title="Tier"),
        alt.Tooltip("go_live_date:N", title="Go-live"),
        alt.Tooltip("events_in_window:Q", title="Events", format=","),
        alt.Tooltip("active_users_in_window:Q", title="Active users"),
        alt.Tooltip("licensed_users_in_window:Q", title="Licensed users"),
        alt.Tooltip("activation_rate:Q", title="Activation rate", format=".0%"),
        alt.Tooltip("storage_gib_peak:Q", title="Peak storage (GiB)", format=",.2f"),
    ]
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
