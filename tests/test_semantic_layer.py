"""The semantic layer, through the real MetricFlow CLI (`mf`) on DuckDB: its
configuration validates (semantics and against the warehouse), and metric
queries on a `small` build return what the marts they are defined on say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.dbt_runner import BIN_DIR, DbtProject, DbtRun, run_command

pytestmark = [pytest.mark.docs, pytest.mark.dbt, pytest.mark.slow]

MF = str(BIN_DIR / "mf")


@pytest.fixture(scope="module")
def project(small_built: DbtProject) -> DbtProject:
    return small_built


def mf(project: DbtProject, *args: str) -> DbtRun:
    """Run `mf ARGS` in the project copy; fail with its output on a non-zero exit."""
    result = run_command([MF, *args], cwd=project.root, env=project.full_env())
    assert result.ok, (
        f"mf {' '.join(args)} exited {result.returncode}\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )
    return result


def mf_query(project: DbtProject, tmp_path: Path, *args: str) -> pd.DataFrame:
    """`mf query ARGS` written to CSV and read back; months as dates."""
    out = tmp_path / "query.csv"
    mf(project, "query", *args, "--csv", str(out))
    frame = pd.read_csv(out)
    if "metric_time__month" in frame.columns:
        frame["month_start"] = pd.to_datetime(frame.pop("metric_time__month")).dt.normalize()
    return frame


def assert_columns_equal(merged: pd.DataFrame, pairs: dict[str, str], context: str) -> None:
    """Each `got` column equals its `want` column (floats to 1e-9, nulls alike)."""
    for got, want in pairs.items():
        np.testing.assert_allclose(
            pd.to_numeric(merged[got], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(merged[want], errors="coerce").to_numpy(dtype=float),
            rtol=1e-9,
            equal_nan=True,
            err_msg=f"{context}: {got} vs {want}",
        )


def test_validate_configs(project: DbtProject) -> None:
    result = mf(project, "validate-configs")
    for stage in ("semantics of built manifest", "metrics against data warehouse"):
        assert f"Successfully validated the {stage}" in result.stdout or (
            f"Successfully validated {stage}" in result.stdout
        ), result.stdout[-3000:]


def test_segment_saved_query_matches_segment_mart(project: DbtProject, tmp_path: Path) -> None:
    """usage_by_account_tier (internal accounts excluded) reproduces
    seg_account_tier_months: distinct users, utilisation, sums, ratios and the
    offset-window month-over-month growth."""
    got = mf_query(project, tmp_path, "--saved-query", "usage_by_account_tier")
    got = got.rename(columns={"customer__account_tier": "account_tier"})
    want = project.query("select * from main.seg_account_tier_months")
    want["month_start"] = pd.to_datetime(want["month_start"])
    # The month-over-month metrics (offset by one month through the time
    # spine) also yield the month after the data's last: nothing but nulls.
    after_data = got["month_start"] > want["month_start"].max()
    assert (
        got.loc[after_data, "month_start"] == want["month_start"].max() + pd.DateOffset(months=1)
    ).all()
    assert got.loc[after_data, ["events_total", "active_users", "live_sites"]].isna().all().all()
    got = got[~after_data]
    merged = want.merge(
        got, on=["account_tier", "month_start"], how="left", suffixes=("", "_mf"), indicator=True
    )
    assert len(got) > 0 and len(merged) == len(want)
    # every semantic-layer row is a row of the mart
    assert len(got) == (merged["_merge"] == "both").sum(), "rows the mart does not have"
    # a mart row without a semantic-layer row is a segment-month with no site
    absent = merged[merged["_merge"] == "left_only"]
    assert (absent["sites"] == 0).all(), absent.head()
    present = merged[merged["_merge"] == "both"]
    assert_columns_equal(
        present,
        {
            "live_sites": "sites",
            "active_sites_mf": "active_sites",
            "licensed_users_mf": "licensed_users",
            "active_users_mf": "active_users",
            "licence_utilisation_mf": "licence_utilisation",
            "events_total_mf": "events_total",
            "events_per_active_user_mf": "events_per_active_user",
            "storage_gib": "storage_gib_avg",
            "job_minutes_total_mf": "job_minutes_total",
            "job_minutes_per_site_mf": "job_minutes_per_site",
            "events_total_mom_growth_mf": "events_total_mom_growth",
            "active_users_mom_growth_mf": "active_users_mom_growth",
        },
        "usage_by_account_tier vs seg_account_tier_months",
    )


def test_quarterly_metrics_match_the_marts(project: DbtProject, tmp_path: Path) -> None:
    """Platform totals by quarter (internal accounts included): flows (events,
    minutes, runs) add up over the quarter's months of fct_site_months,
    distinct counts count each site or customer once per quarter, and the
    levels (storage, licence candidates) are the quarter's last month."""
    got = mf_query(
        project,
        tmp_path,
        "--metrics",
        "events_total,events_create,events_after_onboarding,job_minutes_total,"
        "job_minutes_flow_run,job_runs,active_sites,customers,storage_gib,"
        "downgrade_candidates,upgrade_candidates",
        "--group-by",
        "metric_time__quarter",
    )
    got["quarter_start"] = pd.to_datetime(got.pop("metric_time__quarter"))
    want = project.query(
        """
        with

        site_months as (
            select *, date_trunc('quarter', month_start) as quarter_start
            from main.fct_site_months
        ),

        license_months as (
            select *, date_trunc('quarter', month_start) as quarter_start
            from main.customer_license_months
        ),

        flows as (
            select
                quarter_start,
                sum(events_total) as want_events_total,
                sum(events_create) as want_events_create,
                sum(events_after_onboarding) as want_events_after_onboarding,
                sum(job_minutes_total) as want_job_minutes_total,
                sum(job_minutes_flow_run) as want_job_minutes_flow_run,
                sum(job_runs) as want_job_runs,
                count(distinct case when events_total > 0 then site_id end)
                    as want_active_sites,
                count(distinct customer_id) as want_customers,
                sum(storage_gib_avg) filter (
                    where month_start = (
                        select max(month_start) from site_months as latest
                        where latest.quarter_start = site_months.quarter_start
                    )
                ) as want_storage_gib
            from site_months
            group by quarter_start
        ),

        candidates as (
            select
                quarter_start,
                sum(downgrade_candidates) as want_downgrade_candidates,
                sum(upgrade_candidates) as want_upgrade_candidates
            from license_months
            where month_start = (
                select max(month_start) from license_months as latest
                where latest.quarter_start = license_months.quarter_start
            )
            group by quarter_start
        )

        select * from flows inner join candidates using (quarter_start)
        """
    )
    want["quarter_start"] = pd.to_datetime(want["quarter_start"])
    assert len(want) >= 2, "the small data should span several quarters"
    merged = want.merge(got, on="quarter_start", how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    names = [column.removeprefix("want_") for column in want.columns if column != "quarter_start"]
    assert_columns_equal(
        merged, {name: f"want_{name}" for name in names}, "quarterly metrics vs the marts"
    )


def test_licence_utilisation_by_licence_type_matches_customer_license_months(
    project: DbtProject, tmp_path: Path
) -> None:
    """Licence utilisation by licence type, from the user-month fact through
    the user entity, against customer_license_months summed over customers
    (a user belongs to one customer, so the sums are distinct users)."""
    got = mf_query(
        project,
        tmp_path,
        "--metrics",
        "licensed_users,active_users,licence_utilisation",
        "--group-by",
        "metric_time__month,user__license_type",
    ).rename(columns={"user__license_type": "license_type"})
    want = project.query(
        """
        select
            month_start,
            license_type,
            sum(licensed_users) as want_licensed_users,
            sum(active_users) as want_active_users,
            sum(active_users) / nullif(sum(licensed_users), 0) as want_licence_utilisation
        from main.customer_license_months
        group by month_start, license_type
        having sum(licensed_users) > 0 or sum(active_users) > 0
        """
    )
    want["month_start"] = pd.to_datetime(want["month_start"])
    merged = want.merge(got, on=["month_start", "license_type"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert_columns_equal(
        merged,
        {
            "licensed_users": "want_licensed_users",
            "active_users": "want_active_users",
            "licence_utilisation": "want_licence_utilisation",
        },
        "licence metrics vs customer_license_months",
    )
