"""The marts, built by real `dbt seed` + `dbt build` on generated `small` data,
checked column by column against an independent pandas recomputation from the
raw CSVs (tests/reference.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.database import mart_relations
from orchestration.dbt_runner import DbtProject
from tests.reference import ACTIVITY_TYPES, JOB_TYPES, Reference, suffix, user_key

pytestmark = [pytest.mark.dbt, pytest.mark.slow]


@pytest.fixture(scope="session")
def built(small_built: DbtProject) -> DbtProject:
    return small_built


@pytest.fixture(scope="session")
def reference(built: DbtProject) -> Reference:
    return Reference(built.seeds_dir)


def assert_frames_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Same keys, and every shared column equal (floats to 1e-9 relative)."""
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}"
    pd.testing.assert_frame_equal(actual[keys], expected[keys], check_dtype=False)
    for column in expected.columns:
        if column in keys:
            continue
        got = pd.to_numeric(actual[column], errors="coerce").to_numpy(dtype=float)
        want = pd.to_numeric(expected[column], errors="coerce").to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=1e-9, equal_nan=True, err_msg=column)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_generated_data_is_all_clean(built: DbtProject) -> None:
    quarantined = built.table("fct_quarantined_rows")
    assert quarantined.empty, quarantined.head().to_dict("records")


def test_fct_site_months_matches_recomputation(built: DbtProject, reference: Reference) -> None:
    actual = _dates(built.table("fct_site_months"), "month_start")
    expected = reference.fct_site_months
    numeric = [
        "licensed_users",
        "licensed_viewers",
        "licensed_explorers",
        "licensed_creators",
        "new_users",
        "active_users",
        "events_total",
        *[f"events_{suffix(t)}" for t in ACTIVITY_TYPES],
        "events_after_onboarding",
        "storage_days",
        "storage_bytes_avg",
        "storage_bytes_max",
        "storage_bytes_month_end",
        "storage_gib_avg",
        "job_runs",
        "job_minutes_total",
        *[f"job_minutes_{suffix(t)}" for t in JOB_TYPES],
        *[f"job_runs_{suffix(t)}" for t in JOB_TYPES],
    ]
    keys = ["site_id", "month_start"]
    assert_frames_match(actual[keys + numeric], expected[keys + numeric], keys)
    attributes = ["customer_id", "account_tier", "region", "industry", "is_internal"]
    merged = actual.merge(expected, on=keys, suffixes=("", "_expected"))
    for column in attributes:
        assert (merged[column] == merged[f"{column}_expected"]).all(), column


def test_fct_covers_the_edge_cases(built: DbtProject, reference: Reference) -> None:
    """The small data set exercises the cases the definitions hinge on."""
    fact = built.table("fct_site_months")
    assert ((fact["events_total"] == 0) & (fact["licensed_users"] > 0)).any(), "idle months"
    users = reference.users
    assert (users["assigned_sites"] > 1).any(), "a user on several sites"
    assert (users["registration_date"].dt.day > 1).any(), "registered mid-month"
    act = reference.activity
    days = (act["date"] - act["registration_date"]).dt.days
    assert (days == 29).any() and (days == 30).any(), "events on both sides of the 30-day rule"
    assert act["date"].dt.is_month_end.any(), "activity on a month's last day"


def test_fact_does_not_double_count_multi_site_users(
    built: DbtProject, reference: Reference
) -> None:
    fact = built.table("fct_site_months")
    assert fact["events_total"].sum() == reference.activity["event_count"].sum()


@pytest.mark.parametrize("segment", ["account_tier", "region", "industry"])
def test_segment_marts_match_recomputation(
    built: DbtProject, reference: Reference, segment: str
) -> None:
    actual = _dates(built.table(f"seg_{segment}_months"), "month_start")
    expected = reference.segment_months(segment)
    columns = [
        "customers",
        "sites",
        "active_sites",
        "licensed_users",
        "active_users",
        "licence_utilisation",
        "events_total",
        "events_per_active_user",
        "storage_gib_avg",
        "job_minutes_total",
        "job_minutes_per_site",
        "events_total_mom_growth",
        "active_users_mom_growth",
    ]
    keys = [segment, "month_start"]
    assert_frames_match(actual[keys + columns], expected[keys + columns], keys)


def test_customer_license_months_match_recomputation(
    built: DbtProject, reference: Reference
) -> None:
    actual = _dates(built.table("customer_license_months"), "month_start")
    expected = reference.customer_license_months()
    keys = ["customer_id", "month_start", "license_type"]
    merged = actual.merge(
        expected, on=keys, how="outer", suffixes=("", "_expected"), indicator=True
    )
    # every expected row is in the mart; the mart's own rows (its spine of
    # every licence type in every month of a customer) hold nothing
    assert not (merged["_merge"] == "right_only").any(), merged[merged["_merge"] == "right_only"]
    counts = ["licensed_users", "active_users", "events_total"]
    counts += ["downgrade_candidates", "upgrade_candidates"]
    for column in counts:
        np.testing.assert_array_equal(
            merged[column].to_numpy(), merged[f"{column}_expected"].fillna(0).to_numpy(), column
        )
    assert (merged["_merge"] == "both").any() and (merged["events_total"] > 0).any()
    with_users = merged[merged["licensed_users"] > 0]
    np.testing.assert_allclose(
        with_users["licence_utilisation"],
        with_users["active_licensed_users"] / with_users["licensed_users"],
    )


def test_onboarding_signals_match_recomputation(built: DbtProject, reference: Reference) -> None:
    actual = _dates(built.table("onboarding_site_signals"), "go_live_date")
    expected = reference.onboarding()
    columns = [
        "events_in_window",
        "active_users_in_window",
        "licensed_users_in_window",
        "storage_bytes_peak_in_window",
    ]
    assert_frames_match(actual[["site_id", *columns]], expected[["site_id", *columns]], ["site_id"])
    merged = actual.merge(expected, on="site_id", suffixes=("", "_expected"))
    for flag in ("is_window_complete", "is_high_activity_no_storage", "is_stalled", "is_slow_ramp"):
        assert (merged[flag] == merged[f"{flag}_expected"]).all(), flag


def test_report_long_matches_fact(built: DbtProject, reference: Reference) -> None:
    report = _dates(built.table("rpt_site_month_usage_long"), "month_start")
    fact = reference.fct_site_months
    act = reference.activity
    last_day = act[
        act["date"].dt.is_month_end
        & (act["event_count"] > 0)
        & ((act["date"] - act["registration_date"]).dt.days >= 30)
    ]
    active_last_day = last_day.groupby(["site_id", "month_start"])["user_key"].nunique()
    included = [t for t in JOB_TYPES if t not in ("bridge", "alert")]
    minutes = fact[[f"job_minutes_{suffix(t)}" for t in included]].sum(axis=1)
    runs = fact[[f"job_runs_{suffix(t)}" for t in included]].sum(axis=1)
    expected = {
        "Storage": fact["storage_gib_avg"],
        "Activity": fact["events_after_onboarding"],
        "Active User": fact.set_index(["site_id", "month_start"])
        .index.map(active_last_day)
        .fillna(0)
        .to_numpy(),
        "Background Job": minutes / runs.replace(0, np.nan),
    }
    for usage_type, values in expected.items():
        want = fact[["site_id", "month_start"]].assign(value=np.asarray(values, dtype=float))
        got = report.loc[report["usage_type"] == usage_type, ["site_id", "month_start", "value"]]
        assert_frames_match(got, want, ["site_id", "month_start"])


def test_dims_have_one_row_per_entity(built: DbtProject, reference: Reference) -> None:
    for dim, key, entities in (
        ("dim_customers", "customer_id", reference.customers),
        ("dim_sites", "site_id", reference.sites),
        ("dim_users", "user_key", reference.users),
    ):
        rows = built.table(dim)[key]
        assert rows.is_unique and set(rows) == set(entities[key]), dim
    dim_users = built.table("dim_users")
    merged = dim_users.merge(reference.users, on="user_key", suffixes=("", "_expected"))
    assert (merged["license_type"] == merged["license_type_expected"]).all()
    assert (
        pd.to_datetime(merged["registration_date"]) == merged["registration_date_expected"]
    ).all()


def test_emails_stay_below_the_marts(built: DbtProject) -> None:
    """Every relation of the build, every text column, scanned for e-mails:
    they are found (the raw users, staging, intermediate), and never in the
    marts' schema, the one mart readers are granted (tests/test_environments.py
    shows the grants on BigQuery)."""
    columns = built.query(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns as c "
        "inner join information_schema.tables as t using (table_catalog, table_schema, table_name) "
        "where c.data_type = 'VARCHAR' and c.table_catalog = current_database()"
    )
    holding_emails = set()
    for schema, table, column in columns.itertuples(index=False):
        sql = f'select count(*) as n from {schema}."{table}" where "{column}" like \'%_@_%._%\''
        if built.query(sql)["n"].iloc[0]:
            holding_emails.add((schema, table))
    marts = {name.split(".")[1] for name in mart_relations(built.manifest_path)}
    for below in ("stg_saas__users", "int_users_deduplicated"):  # the scan finds them
        assert tuple(built.relation(below).split(".")) in holding_emails, below
    assert not [relation for relation in holding_emails if relation[0] == "main"]
    assert not [relation for relation in holding_emails if relation[1] in marts]


def test_user_key_is_keyed_by_the_deployments_secret(
    built: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the plain md5 of customer and email (a list of candidate emails
    would re-identify users), and another secret gives other keys."""
    dim_users = built.table("dim_users")[["user_key"]].merge(reference_users(built), on="user_key")
    assert not dim_users.empty
    for row in dim_users.head(20).itertuples():
        plain = hashlib.md5(f"{row.customer_id.strip()}|{row.user_email.strip().lower()}".encode())
        plain = plain.hexdigest()
        assert plain not in set(dim_users["user_key"]), row.user_email
    customer, email = (
        dim_users["customer_id"].iloc[0].strip(),
        dim_users["user_email"].iloc[0].strip(),
    )
    inline = f"select {{{{ user_key(\"'{customer}'\", \"'{email}'\") }}}} as user_key"
    secret = {"SAAS_USER_KEY_SECRET": "another-deployment"}
    shown = built.dbt("show", "--inline", inline, "--output", "json", extra_env=secret)
    monkeypatch.setenv("SAAS_USER_KEY_SECRET", secret["SAAS_USER_KEY_SECRET"])
    other = user_key(customer, email)
    assert other in shown.output and other != dim_users["user_key"].iloc[0]


def reference_users(built: DbtProject) -> pd.DataFrame:
    """Each raw user's key (computed by tests/reference.py), customer and email."""
    users = pd.read_csv(built.seeds_dir / "saas_users.csv", dtype=str).dropna()
    pairs = zip(users["customer_id"].str.strip(), users["user_email"].str.strip(), strict=True)
    users["user_key"] = [user_key(customer, email) for customer, email in pairs]
    return users[["user_key", "customer_id", "user_email"]].drop_duplicates("user_key")


def test_build_leaves_artifacts(built: DbtProject) -> None:
    """run_results.json holds every model and data test of the manifest, each
    passed: a warning, a skip or a node left out of the build fails this."""
    target = Path(built.root, "target")
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "build_run_results.json").read_text())["results"]
    statuses = {result["unique_id"]: result["status"] for result in results}
    expected = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test")
    }
    assert expected and expected <= set(statuses), sorted(expected - set(statuses))[:5]
    assert {statuses[unique_id] for unique_id in expected} == {"success", "pass"}
