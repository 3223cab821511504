"""Tests of scripts/generate_saas_data.py on ``--scale small`` data.

Every behaviour and planted-case check recomputes its metric from the CSV files
with pandas, independently of the generator's code. The window-edge checks of
churn and registrations read populations drawn by the generator's own functions
instead: thousands of customers in a second, without simulating their activity.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import GENERATOR, REPO_ROOT, RunGenerator

from bench.handwritten import project_vars
from generator.config import RAW_TABLES, SCALES, params_for_scale
from generator.customers import Customers, draw_customers
from generator.sites import Sites, draw_sites, planted_site_roles
from generator.users import Users, draw_users
from generator.world import NEVER

HEADERS = {
    "saas_customer_info": "customer_id,industry,region,account_tier,contact_email",
    "saas_sites": "site_id,customer_id",
    "saas_storage": "customer_id,site_id,date,storage_bytes",
    "saas_users": "customer_id,site_id,user_email,registration_date,license_type",
    "saas_user_activity": "customer_id,user_email,site_id,date,activity_type,event_count",
    "saas_background_jobs": "customer_id,site_id,date,background_job_type,background_job_min",
    "saas_internal_accounts": "customer_id,reason",
}
SORT_KEYS = {
    "saas_customer_info": ["customer_id"],
    "saas_sites": ["customer_id", "site_id"],
    "saas_storage": ["date", "customer_id", "site_id"],
    "saas_users": ["registration_date", "customer_id", "site_id", "user_email"],
    "saas_user_activity": ["date", "customer_id", "site_id", "user_email", "activity_type"],
    "saas_background_jobs": [
        "date",
        "customer_id",
        "site_id",
        "background_job_type",
        "background_job_min",
    ],
}
DATED = {
    "saas_storage": "date",
    "saas_users": "registration_date",
    "saas_user_activity": "date",
    "saas_background_jobs": "date",
}
EMAIL = re.compile(r"^[a-z]+\.[a-z]+@[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z]{2,}$")
SMALL_START, SMALL_END = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-06-30")
WINDOW = 90


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def t(small_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Typed copies of the small tables (dates parsed, numbers as int64)."""
    out = {name: df.copy() for name, df in small_tables.items()}
    for name, col in DATED.items():
        out[name][col] = pd.to_datetime(out[name][col], format="%Y-%m-%d")
    out["saas_storage"]["storage_bytes"] = out["saas_storage"]["storage_bytes"].astype(np.int64)
    out["saas_user_activity"]["event_count"] = out["saas_user_activity"]["event_count"].astype(
        np.int64
    )
    jobs = out["saas_background_jobs"]
    jobs["background_job_min"] = jobs["background_job_min"].astype(np.int64)
    return out


def go_live(manifest: dict, site_id: str) -> pd.Timestamp:
    return pd.Timestamp(manifest["site_go_live"][site_id])


def window_rows(df: pd.DataFrame, site_id: str, start: pd.Timestamp, days: int) -> pd.DataFrame:
    """Rows of one site dated in [start, start + days)."""
    end = start + pd.Timedelta(days=days)
    return df[(df.site_id == site_id) & (df.date >= start) & (df.date < end)]


def user_licences(users: pd.DataFrame) -> pd.DataFrame:
    return users.drop_duplicates(["customer_id", "user_email"])[
        ["customer_id", "user_email", "license_type", "registration_date"]
    ]


def read_texts(folder: Path) -> dict[str, str]:
    return {name: (folder / f"{name}.csv").read_text() for name in RAW_TABLES}


# ---------------------------------------------------------------------------
# files, headers, determinism
# ---------------------------------------------------------------------------
def test_writes_all_files_with_exact_headers(small_data_dir: Path) -> None:
    for name, header in HEADERS.items():
        path = small_data_dir / f"{name}.csv"
        text = path.read_text()
        assert text.split("\n", 1)[0] == header, name
        assert text.endswith("\n") and "\r" not in text and '"' not in text, name
        commas = {line.count(",") for line in text.splitlines()}
        assert commas == {header.count(",")}, name  # nothing needs quoting
    assert (small_data_dir / "_planted_cases.json").is_file()


def test_small_scale_volume(t: dict[str, pd.DataFrame]) -> None:
    assert len(t["saas_customer_info"]) == 8
    assert 15_000 <= len(t["saas_user_activity"]) <= 40_000
    assert t["saas_user_activity"].date.min() >= SMALL_START
    assert t["saas_user_activity"].date.max() == SMALL_END


def test_same_options_give_identical_bytes(
    small_data_dir: Path, tmp_path: Path, run_generator: RunGenerator
) -> None:
    run_generator("--scale", "small", "--out", str(tmp_path), "--quiet")
    names = [f"{n}.csv" for n in RAW_TABLES] + ["_planted_cases.json"]
    match, mismatch, errors = filecmp.cmpfiles(small_data_dir, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []
    assert sorted(match) == sorted(names)


def test_other_seed_gives_other_data(
    small_data_dir: Path, tmp_path: Path, run_generator: RunGenerator
) -> None:
    run_generator("--scale", "small", "--seed", "7", "--out", str(tmp_path), "--quiet")
    for name in ("saas_customer_info", "saas_users", "saas_user_activity", "saas_storage"):
        a = (small_data_dir / f"{name}.csv").read_bytes()
        b = (tmp_path / f"{name}.csv").read_bytes()
        assert a != b, name
    manifest = json.loads((tmp_path / "_planted_cases.json").read_text())
    for case in ("high_activity_no_storage", "slow_ramp", "stalled", "heavy_background"):
        assert manifest[case], case
    # the lookup of internal accounts is reference data: the same for every seed
    lookup = "saas_internal_accounts.csv"
    assert (tmp_path / lookup).read_bytes() == (small_data_dir / lookup).read_bytes()


def test_files_are_sorted_by_date_then_ids(small_tables: dict[str, pd.DataFrame]) -> None:
    for name, keys in SORT_KEYS.items():
        df = small_tables[name]
        key_frame = df[keys].copy()
        if "background_job_min" in keys:
            key_frame["background_job_min"] = key_frame["background_job_min"].astype(int)
        expected = key_frame.sort_values(keys, kind="stable")
        assert expected.index.equals(key_frame.index), name


# ---------------------------------------------------------------------------
# ids, values, referential rules
# ---------------------------------------------------------------------------
def test_value_sets(small_tables: dict[str, pd.DataFrame]) -> None:
    """Every category is one the dbt project accepts (its vars), and the
    stratified draws give every region and tier even with 8 customers."""
    accepted = project_vars(REPO_ROOT)
    customers = small_tables["saas_customer_info"]
    assert set(customers.industry) <= set(accepted["industries"])
    for column, values in [
        (customers.region, accepted["regions"]),
        (customers.account_tier, accepted["account_tiers"]),
        (small_tables["saas_users"].license_type, accepted["license_types"]),
        (small_tables["saas_user_activity"].activity_type, accepted["activity_types"]),
        (
            small_tables["saas_background_jobs"].background_job_type,
            accepted["background_job_types"],
        ),
    ]:
        assert set(column) == set(values)


def test_id_formats_and_uniqueness(small_tables: dict[str, pd.DataFrame]) -> None:
    customers, sites = small_tables["saas_customer_info"], small_tables["saas_sites"]
    assert customers.customer_id.str.fullmatch(r"\d{10}").all()
    assert customers.customer_id.is_unique
    assert sites.site_id.str.fullmatch(r"A\d{11}").all()
    assert sites.site_id.is_unique
    assert set(sites.customer_id) <= set(customers.customer_id)
    internal = small_tables["saas_internal_accounts"]
    assert internal.customer_id.str.fullmatch(r"\d{10}").all() and internal.customer_id.is_unique
    assert (internal.reason.str.len() > 0).all()
    site_customer = sites.set_index("site_id").customer_id
    for name in ("saas_storage", "saas_users", "saas_user_activity", "saas_background_jobs"):
        df = small_tables[name]
        assert df.site_id.isin(site_customer.index).all(), name
        assert (df.site_id.map(site_customer) == df.customer_id).all(), name


def test_internal_accounts_are_the_committed_lookup(
    small_data_dir: Path, small_tables: dict[str, pd.DataFrame], small_manifest: dict
) -> None:
    """Every run writes the hand-kept lookup unchanged; the ids it creates are internal."""
    committed = REPO_ROOT / "seeds" / "saas_internal_accounts.csv"
    assert (small_data_dir / "saas_internal_accounts.csv").read_bytes() == committed.read_bytes()
    customers = small_tables["saas_customer_info"].set_index("customer_id")
    listed = set(small_tables["saas_internal_accounts"].customer_id)
    present = sorted(listed & set(customers.index))
    assert len(present) == 1  # 8 customers: one internal tenant, the other ids not created
    assert small_manifest["internal_accounts"] == present
    assert (customers.loc[present, "industry"] == "Technology").all()
    assert customers.loc[present, "contact_email"].str.endswith("@cloudmetrics.com").all()
    external = customers.drop(present)
    assert not external.contact_email.str.endswith("@cloudmetrics.com").any()


def test_emails_well_formed_single_tld_unique_per_customer(
    small_tables: dict[str, pd.DataFrame],
) -> None:
    users = small_tables["saas_users"]
    assert users.user_email.str.fullmatch(EMAIL).all()
    assert small_tables["saas_customer_info"].contact_email.str.fullmatch(EMAIL).all()
    assert not users.duplicated(["customer_id", "site_id", "user_email"]).any()
    # one domain per customer, so an e-mail identifies a user within a customer
    domains = users.user_email.str.split("@").str[1]
    assert (domains.groupby(users.customer_id).nunique() == 1).all()


def test_user_attributes_consistent_across_sites(small_tables: dict[str, pd.DataFrame]) -> None:
    users = small_tables["saas_users"]
    per_user = users.groupby(["customer_id", "user_email"]).agg(
        dates=("registration_date", "nunique"),
        licences=("license_type", "nunique"),
        sites=("site_id", "nunique"),
    )
    assert (per_user.dates == 1).all()
    assert (per_user.licences == 1).all()
    assert per_user.sites.between(1, 3).all()


def test_activity_only_on_assigned_sites_after_registration(
    t: dict[str, pd.DataFrame],
) -> None:
    act, users = t["saas_user_activity"], t["saas_users"]
    joined = act.merge(
        users, on=["customer_id", "user_email", "site_id"], how="left", validate="many_to_one"
    )
    assert joined.registration_date.notna().all(), "activity on an unassigned site"
    assert (joined.date >= joined.registration_date).all(), "activity before registration"
    assert (act.event_count >= 1).all()
    grain = ["customer_id", "user_email", "site_id", "date", "activity_type"]
    assert not act.duplicated(grain).any()


def test_no_rows_before_site_go_live(t: dict[str, pd.DataFrame]) -> None:
    from generator.entities import build_world

    scale = SCALES["small"]
    world = build_world(42, scale.customers, scale.start, scale.end, params_for_scale("small"))
    golive = pd.Series(
        [pd.Timestamp(scale.start) + pd.Timedelta(days=int(d)) for d in world.site_golive],
        index=world.site_id,
    )
    for name in ("saas_storage", "saas_user_activity", "saas_background_jobs"):
        df = t[name]
        assert (df.date >= df.site_id.map(golive)).all(), name
    # storage starts exactly at go-live (or at the window start for older sites)
    first_storage = t["saas_storage"].groupby("site_id").date.min()
    expected = golive[first_storage.index].clip(lower=SMALL_START)
    assert (first_storage == expected).all()
    users = t["saas_users"]
    assert (users.registration_date >= users.site_id.map(golive)).all()


def test_storage_one_row_per_site_day_without_gaps(t: dict[str, pd.DataFrame]) -> None:
    storage = t["saas_storage"]
    assert not storage.duplicated(["site_id", "date"]).any()
    assert (storage.storage_bytes >= 0).all()
    span = storage.groupby("site_id").date.agg(["min", "max", "count"])
    assert ((span["max"] - span["min"]).dt.days + 1 == span["count"]).all()


def test_background_jobs_rows(
    t: dict[str, pd.DataFrame], small_tables: dict[str, pd.DataFrame]
) -> None:
    jobs = t["saas_background_jobs"]
    assert (jobs.background_job_min >= 1).all()
    # whole minutes as plain digits in the file (no sign, decimals or leading zeros)
    assert small_tables["saas_background_jobs"].background_job_min.str.fullmatch(r"[1-9]\d*").all()
    # several runs per site-day are allowed and happen
    assert jobs.duplicated(["site_id", "date"]).any()


# ---------------------------------------------------------------------------
# behaviour
# ---------------------------------------------------------------------------
def test_storage_grows_with_time_within_sites(t: dict[str, pd.DataFrame]) -> None:
    storage = t["saas_storage"]
    corr = storage.groupby("site_id")[["date", "storage_bytes"]].apply(
        lambda g: g.date.rank().corr(g.storage_bytes.rank(), method="pearson")
    )
    corr = corr.dropna()
    assert len(corr) >= 10
    assert corr.median() > 0.5
    assert (corr > 0).mean() >= 0.8


def test_storage_starts_near_zero_at_go_live(
    t: dict[str, pd.DataFrame], small_manifest: dict
) -> None:
    storage = t["saas_storage"]
    first = storage.sort_values("date").groupby("site_id").first()
    late = first[first.date > SMALL_START]  # sites going live inside the window
    assert len(late) >= 3
    assert (late.storage_bytes < 1 * 2**30).all()
    last = storage.sort_values("date").groupby("site_id").storage_bytes.last()
    assert (last[late.index] >= late.storage_bytes).mean() >= 0.8


def test_weekdays_busier_than_weekends(t: dict[str, pd.DataFrame]) -> None:
    act = t["saas_user_activity"]
    per_day = act.groupby("date").event_count.sum()
    per_day = per_day.reindex(pd.date_range(SMALL_START, SMALL_END), fill_value=0)
    weekday = per_day[per_day.index.day_of_week < 5].mean()
    weekend = per_day[per_day.index.day_of_week >= 5].mean()
    assert weekday > 2 * weekend > 0


def test_licence_drives_activity_mix(t: dict[str, pd.DataFrame]) -> None:
    act = t["saas_user_activity"].merge(
        user_licences(t["saas_users"]), on=["customer_id", "user_email"]
    )
    events = act.pivot_table(
        index="license_type", columns="activity_type", values="event_count", aggfunc="sum"
    ).fillna(0)
    share = (events["Create"] + events["Publish"]) / events.sum(axis=1)
    assert share["Creator"] > share["Explorer"] > share["Viewer"]
    assert share["Viewer"] < 0.02  # only the planted licence exceeders
    assert events.loc["Explorer", "Publish"] < 0.02 * events.loc["Explorer"].sum()


def test_some_users_never_active_and_some_go_dormant(t: dict[str, pd.DataFrame]) -> None:
    act, users = t["saas_user_activity"], user_licences(t["saas_users"])
    last = act.groupby(["customer_id", "user_email"]).date.max()
    users = users.set_index(["customer_id", "user_email"])
    early = users[users.registration_date <= SMALL_START + pd.Timedelta(days=30)]
    never = ~early.index.isin(last.index)
    assert 0.02 < never.mean() < 0.3
    quiet = last.reindex(early.index).dropna() < SMALL_END - pd.Timedelta(days=45)
    assert quiet.mean() > 0.03


def test_enterprise_customers_are_larger(small_tables: dict[str, pd.DataFrame]) -> None:
    customers = small_tables["saas_customer_info"].set_index("customer_id")
    sites = small_tables["saas_sites"].groupby("customer_id").size()
    users = small_tables["saas_users"].groupby("customer_id").user_email.nunique()
    tier = customers.account_tier
    assert sites[tier == "Enterprise"].mean() > sites[tier == "SMB"].mean()
    assert users[tier == "Enterprise"].mean() > users[tier == "SMB"].mean()


def test_multi_site_users_are_common_and_active_on_each_site(
    t: dict[str, pd.DataFrame], small_manifest: dict
) -> None:
    users = t["saas_users"]
    sites_per_user = users.groupby(["customer_id", "user_email"]).site_id.nunique()
    assert 0.08 <= (sites_per_user > 1).mean() <= 0.4
    planted = small_manifest["multi_site_users"]
    assert planted
    act = t["saas_user_activity"]
    for u in planted:
        assert 2 <= len(u["site_ids"]) <= 3
        mine = act[(act.customer_id == u["customer_id"]) & (act.user_email == u["user_email"])]
        assert set(mine.site_id) == set(u["site_ids"]), u


# ---------------------------------------------------------------------------
# planted cases (thresholds as in dbt_project.yml vars)
# ---------------------------------------------------------------------------
def test_every_planted_case_is_present(small_manifest: dict) -> None:
    for case in (
        "high_activity_no_storage",
        "slow_ramp",
        "stalled",
        "creators_never_create",
        "licence_exceeders",
        "heavy_background",
        "churned_sites",
        "multi_site_users",
    ):
        assert small_manifest[case], case
    onboarding = (
        small_manifest["high_activity_no_storage"]
        + small_manifest["slow_ramp"]
        + small_manifest["stalled"]
    )
    assert len(set(onboarding)) == 3
    for site in onboarding:  # go-live early enough for a full 90-day window
        assert SMALL_START < go_live(small_manifest, site) <= pd.Timestamp("2024-03-31")


def test_planted_go_live_is_first_storage_day(
    t: dict[str, pd.DataFrame], small_manifest: dict
) -> None:
    first = t["saas_storage"].groupby("site_id").date.min()
    for site in small_manifest["site_go_live"]:
        assert first[site] == go_live(small_manifest, site)


def test_planted_high_activity_no_storage(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    for site in small_manifest["high_activity_no_storage"]:
        start = go_live(small_manifest, site)
        events = window_rows(t["saas_user_activity"], site, start, WINDOW).event_count.sum()
        storage = window_rows(t["saas_storage"], site, start, WINDOW)
        assert events >= 500
        assert len(storage) == WINDOW and (storage.storage_bytes == 0).all()
    # no other site is high-activity without storage (the signal is specific)
    for site in t["saas_sites"].site_id:
        if site in small_manifest["high_activity_no_storage"]:
            continue
        first = t["saas_storage"][t["saas_storage"].site_id == site].date.min()
        storage = window_rows(t["saas_storage"], site, first, WINDOW)
        assert storage.storage_bytes.max() > 0, site


def test_planted_slow_ramp(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    act, users = t["saas_user_activity"], t["saas_users"]
    for site in small_manifest["slow_ramp"]:
        start = go_live(small_manifest, site)
        registered = users[
            (users.site_id == site) & (users.registration_date < start + pd.Timedelta(days=WINDOW))
        ]
        in_window = window_rows(act, site, start, WINDOW)
        active = in_window[["customer_id", "user_email"]].drop_duplicates()
        assert len(registered) >= 10
        assert 0 < len(active) / len(registered) < 0.5
        assert len(window_rows(act, site, start + pd.Timedelta(days=60), 30)) > 0
        tail = window_rows(act, site, SMALL_END - pd.Timedelta(days=29), 30)
        assert len(tail) > 0


def test_planted_stalled(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    act, users = t["saas_user_activity"], t["saas_users"]
    for site in small_manifest["stalled"]:
        start = go_live(small_manifest, site)
        assert (
            (users.site_id == site) & (users.registration_date <= start + pd.Timedelta(days=30))
        ).any()
        assert window_rows(act, site, start, 60).event_count.sum() > 0
        assert window_rows(act, site, start + pd.Timedelta(days=60), 30).empty


def test_planted_creators_never_create(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    act = t["saas_user_activity"]
    licences = user_licences(t["saas_users"]).set_index(["customer_id", "user_email"])
    for u in small_manifest["creators_never_create"]:
        assert licences.loc[(u["customer_id"], u["user_email"]), "license_type"] == "Creator"
        mine = act[(act.customer_id == u["customer_id"]) & (act.user_email == u["user_email"])]
        assert mine.event_count.sum() >= 20
        assert set(mine.activity_type) <= {"View", "Access"}


def test_planted_licence_exceeders(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    act = t["saas_user_activity"].merge(
        user_licences(t["saas_users"]), on=["customer_id", "user_email"]
    )
    viewers_create = act[(act.license_type == "Viewer") & (act.activity_type == "Create")]
    explorers_publish = act[(act.license_type == "Explorer") & (act.activity_type == "Publish")]
    found = set(zip(viewers_create.customer_id, viewers_create.user_email, strict=True)) | set(
        zip(explorers_publish.customer_id, explorers_publish.user_email, strict=True)
    )
    planted = {(u["customer_id"], u["user_email"]) for u in small_manifest["licence_exceeders"]}
    assert found == planted  # every planted user exceeds, nobody else does
    kinds = {u["license_type"] for u in small_manifest["licence_exceeders"]}
    assert kinds == {"Viewer", "Explorer"}


def test_planted_heavy_background(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    jobs = t["saas_background_jobs"].assign(month=lambda d: d.date.dt.to_period("M"))
    per_customer = jobs.groupby(["customer_id", "month"]).agg(
        minutes=("background_job_min", "sum"), sites=("site_id", "nunique")
    )
    per_site = per_customer.minutes / per_customer.sites
    heavy = set(small_manifest["heavy_background"])
    assert 1 <= len(heavy) <= 2
    is_heavy = per_site.index.get_level_values("customer_id").isin(heavy)
    assert (per_site[is_heavy] >= 3000).all()
    assert (per_site[~is_heavy] < 3000).all()
    site_month = jobs.groupby(["customer_id", "site_id", "month"]).background_job_min.sum()
    normal = site_month[~site_month.index.get_level_values("customer_id").isin(heavy)]
    assert 100 <= normal.median() <= 1000


def test_planted_churned_sites(t: dict[str, pd.DataFrame], small_manifest: dict) -> None:
    last = t["saas_user_activity"].groupby("site_id").date.max()
    assert small_manifest["churned_sites"]
    for site in small_manifest["churned_sites"]:
        assert site in last.index
        assert (SMALL_END - last[site]).days > 60


# ---------------------------------------------------------------------------
# edges of the window: no pile-up or gap in the first or last months
# ---------------------------------------------------------------------------
EDGE_SEEDS = (1, 2, 3)
# A 12-month window and 100 customers: enough months and sites for a spread, and a
# window short enough that many staggered go-lives (mean 120 days) fall near its end.
EDGE_RUN = (
    "--scale",
    "small",
    "--customers",
    "100",
    "--start",
    "2023-07-01",
    "--end",
    "2024-06-30",
)


@dataclass
class MonthlyFigures:
    """Figures per calendar month of one generated data set, recomputed from its CSVs."""

    new_sites: np.ndarray  # sites whose first storage row falls in the month (after day 1)
    active_users: np.ndarray  # distinct (customer, e-mail) with events, per site, summed
    licensed_users: np.ndarray  # distinct (customer, e-mail) registered by the month's end
    sites_never_live: int  # sites listed in saas_sites without a single storage row


def monthly_figures(folder: Path) -> MonthlyFigures:
    def read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", usecols=columns, dtype=str, engine="pyarrow")

    storage = read("saas_storage", ["site_id", "date"])
    activity = read(
        "saas_user_activity", ["customer_id", "user_email", "site_id", "date", "event_count"]
    )
    users, sites = read("saas_users"), read("saas_sites")
    months = sorted(storage.date.str[:7].unique())
    first_row = storage.groupby("site_id").date.min()
    # a site whose storage starts on the window's first day may have gone live before it
    new_sites = first_row[first_row > storage.date.min()].str[:7].value_counts()
    activity = activity[activity.pop("event_count").astype(int) > 0]
    activity["user_email"] = activity.user_email.str.lower()
    activity["date"] = activity.date.str[:7]  # one row per (user, site, month) once deduplicated
    active = activity.drop_duplicates().groupby("date").size()
    user = users.customer_id + "|" + users.user_email.str.lower()
    registered = users.registration_date.groupby(user).min().str[:7]
    return MonthlyFigures(
        new_sites=new_sites.reindex(months, fill_value=0).to_numpy(),
        active_users=active.reindex(months, fill_value=0).to_numpy(),
        licensed_users=np.array([(registered <= month).sum() for month in months]),
        sites_never_live=int((~sites.site_id.isin(first_row.index)).sum()),
    )


def spread(reference: np.ndarray, counts: bool = False) -> tuple[float, float]:
    """Where a month's figure belongs: the other months' mean +- 4 standard deviations.

    For counts the standard deviation is at least the Poisson one (root of the mean),
    so that a run of similar months does not make the band implausibly narrow.
    """
    sd = float(np.std(reference, ddof=1))
    if counts:
        sd = max(sd, float(np.sqrt(np.mean(reference))))
    return float(np.mean(reference)) - 4 * sd, float(np.mean(reference)) + 4 * sd


def growth(series: np.ndarray) -> np.ndarray:
    """Month-over-month growth (0.05 = +5%)."""
    return series[1:] / series[:-1] - 1


@pytest.fixture(scope="module", params=EDGE_SEEDS, ids=lambda seed: f"seed{seed}")
def edge_months(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    run_generator: RunGenerator,
) -> MonthlyFigures:
    out = tmp_path_factory.mktemp(f"edge_seed{request.param}")
    run_generator(*EDGE_RUN, "--seed", str(request.param), "--out", str(out), "--quiet")
    return monthly_figures(out)


def test_new_sites_per_month_steady_at_the_window_edges(edge_months: MonthlyFigures) -> None:
    new_sites = edge_months.new_sites
    low, high = spread(new_sites[1:-3], counts=True)
    assert low <= new_sites[0] <= high, (new_sites, low, high)  # the first month
    for count in new_sites[-3:]:  # the last three months
        assert low <= count <= high, (new_sites, low, high)
    # a site appears in the data once it has gone live, not before
    assert edge_months.sites_never_live == 0


@pytest.mark.parametrize("users", ["active_users", "licensed_users"])
def test_user_growth_at_the_window_end_is_not_an_outlier(
    edge_months: MonthlyFigures, users: str
) -> None:
    rates = growth(getattr(edge_months, users))
    low, high = spread(rates[1:-1])  # the first month's growth varies most: left out
    assert low <= rates[-1] <= high, (rates.round(3), low, high)


@dataclass
class Population:
    """Customers, sites and users as the generator draws them (no simulation)."""

    customers: Customers
    sites: Sites
    users: Users
    n_days: int


@pytest.fixture(scope="module")
def populations() -> list[Population]:
    """Thousands of customers over the demo window, for each edge seed: a second or so."""
    scale, params = SCALES["demo"], params_for_scale("demo")
    n_days = (scale.end - scale.start).days + 1
    drawn = []
    for seed in EDGE_SEEDS:
        rng = np.random.default_rng([seed, 0])
        customers = draw_customers(5000, params, rng)
        sites = draw_sites(
            customers, planted_site_roles(customers, n_days, params), n_days, params, rng
        )
        drawn.append(
            Population(customers, sites, draw_users(customers, sites, n_days, params, rng), n_days)
        )
    return drawn


def test_natural_churn_rate_is_flat_across_the_window(populations: list[Population]) -> None:
    """Ordinary sites churn at one constant rate, also in the first and last months."""
    start = np.datetime64(SCALES["demo"].start, "D")
    n_days = populations[0].n_days
    month = (start + np.arange(n_days)).astype("datetime64[M]")
    firsts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    lasts = np.r_[firsts[1:] - 1, n_days - 1]
    at_risk, churned = np.zeros(len(firsts)), np.zeros(len(firsts))
    for pop in populations:
        sites, customers = pop.sites, pop.customers
        ordinary = (
            ~sites.exclusive
            & ~customers.heavy[sites.customer]
            & ~customers.internal[sites.customer]
        )
        for i, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
            # at risk: live for 30 days or more at the month's start
            risk = ordinary & (sites.golive + 30 <= first) & (sites.churn > first)
            at_risk[i] += risk.sum()
            churned[i] += (risk & (sites.churn <= last)).sum()
    expected = at_risk * churned.sum() / at_risk.sum()
    z = (churned - expected) / np.sqrt(expected)
    assert (np.abs(z) < 4).all(), z.round(1)


def test_no_registrations_piled_on_the_eve_of_churn(populations: list[Population]) -> None:
    eve, week_before = 0, 0
    for pop in populations:
        churn = pop.sites.churn[pop.users.primary]
        days_left = churn - pop.users.registration
        churning = churn < NEVER
        assert (days_left[churning] >= 1).all()  # nobody registers on or after churn
        eve += int((churning & (days_left == 1)).sum())
        week_before += int((churning & (days_left >= 2) & (days_left <= 8)).sum())
    per_day = week_before / 7
    assert eve <= per_day + 4 * np.sqrt(per_day) + 1, (eve, per_day)


def test_trickle_registrations_do_not_depend_on_the_window_end(
    populations: list[Population],
) -> None:
    """Sites going live 90-150 days before the end get their users at the usual pace.

    Registrations 30-89 days after go-live (the trickle) per registration in the first
    14 days (mostly the roll-out burst), compared with sites going live early.
    """
    late, early = np.zeros(2), np.zeros(2)
    for pop in populations:
        sites, users, n_days = pop.sites, pop.users, pop.n_days
        plain = ~sites.exclusive & (sites.churn > sites.golive + 90)
        golive = sites.golive[users.primary]
        after = users.registration - golive
        counted = plain[users.primary] & (golive >= 0)
        for group, mask in (
            (late, counted & (golive >= n_days - 150) & (golive <= n_days - 90)),
            (early, counted & (golive <= n_days - 400)),
        ):
            group += [(mask & (after >= 30) & (after < 90)).sum(), (mask & (after < 14)).sum()]
    ratio = (late[0] / late[1]) / (early[0] / early[1])
    assert 2 / 3 <= ratio <= 3 / 2, (ratio, late, early)


# ---------------------------------------------------------------------------
# --through: prefix stability
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("through", ["2024-03-31", "2024-05-14"])
def test_through_is_a_prefix_of_the_full_run(
    through: str,
    small_data_dir: Path,
    small_tables: dict[str, pd.DataFrame],
    tmp_path: Path,
    run_generator: RunGenerator,
) -> None:
    run_generator("--scale", "small", "--through", through, "--out", str(tmp_path), "--quiet")
    full, cut = read_texts(small_data_dir), read_texts(tmp_path)
    for name in RAW_TABLES:
        if name not in DATED:
            assert cut[name] == full[name], name
            continue
        # the same rows as a filter of the full run, computed with pandas...
        part = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False)
        whole = small_tables[name]
        expected = whole[whole[DATED[name]] <= through].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
        assert part[DATED[name]].max() <= through < whole[DATED[name]].max()
        # ...and literally the leading lines of the full file
        assert full[name].startswith(cut[name]), name
    manifest = json.loads((tmp_path / "_planted_cases.json").read_text())
    assert manifest["options"]["through"] == through


# ---------------------------------------------------------------------------
# other formats and options
# ---------------------------------------------------------------------------
def test_parquet_output_matches_csv(
    small_tables: dict[str, pd.DataFrame], tmp_path: Path, run_generator: RunGenerator
) -> None:
    run_generator("--scale", "small", "--format", "parquet", "--out", str(tmp_path), "--quiet")
    for name in RAW_TABLES:
        folder = tmp_path / f"{name}.parquet"
        parts = sorted(folder.glob("part-*.parquet"))
        assert parts, name
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        assert list(frame.columns) == HEADERS[name].split(","), name
        for col in frame.columns:
            if col in ("date", "registration_date"):
                frame[col] = pd.to_datetime(frame[col]).dt.strftime("%Y-%m-%d")
            else:
                frame[col] = frame[col].astype(str)
        pd.testing.assert_frame_equal(frame, small_tables[name], check_dtype=False)


def test_customers_option_and_window_options(tmp_path: Path, run_generator: RunGenerator) -> None:
    run_generator(
        "--scale", "small", "--customers", "12", "--start", "2024-02-01",
        "--end", "2024-07-31", "--out", str(tmp_path), "--quiet",
    )  # fmt: skip
    customers = pd.read_csv(tmp_path / "saas_customer_info.csv", dtype=str)
    act = pd.read_csv(tmp_path / "saas_user_activity.csv", dtype=str)
    assert len(customers) == 12
    assert act.date.min() >= "2024-02-01" and act.date.max() <= "2024-07-31"


def test_help(run_generator: RunGenerator) -> None:
    help_text = run_generator("--help").stdout
    for option in ("--seed", "--scale", "--customers", "--start", "--end", "--through"):
        assert option in help_text
    for option in ("--out", "--format", "--quiet"):
        assert option in help_text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-06-01", "--end", "2024-01-01"], "before --start"),
        (["--scale", "small", "--through", "2023-12-31"], "outside the window"),
        (["--scale", "small", "--through", "2024-07-01"], "outside the window"),
        (["--scale", "huge"], "invalid choice"),
        (["--customers", "0"], "positive"),
        (["--customers", "-5"], "positive"),
        (["--customers", "many"], "invalid int"),
        (["--start", "2024-02-30"], "invalid date"),
        (["--end", "31/12/2024"], "invalid date"),
        (["--seed", "-1"], "non-negative"),
        (["--format", "xlsx"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str], message: str, run_generator: RunGenerator, tmp_path: Path
) -> None:
    proc = run_generator(*args, "--out", str(tmp_path / "out"), check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and message in lines[0], proc.stderr
    assert not (tmp_path / "out" / "saas_user_activity.csv").exists()


def test_unusable_out_folder(tmp_path: Path, run_generator: RunGenerator) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out in (a_file, a_file / "below"):
        proc = run_generator("--scale", "small", "--out", str(out), check=False)
        assert proc.returncode == 2, out
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "--out" in proc.stderr
    # a missing folder is created; without --quiet a summary is printed
    proc = run_generator("--scale", "small", "--out", str(tmp_path / "new" / "dir"))
    assert (tmp_path / "new" / "dir" / "saas_sites.csv").is_file()
    assert "saas_user_activity" in proc.stdout and "rows" in proc.stdout
    assert proc.stderr == ""  # no progress bar below large scale


def test_generator_is_executable_script() -> None:
    assert GENERATOR.read_text().startswith("#!/usr/bin/env python3")
    assert os.access(GENERATOR, os.X_OK)


@pytest.mark.slow
def test_large_scale_streams_parquet_with_progress_bar(
    tmp_path: Path, run_generator: RunGenerator
) -> None:
    """The streamed (large) path writes the same rows as the in-memory path."""
    window = ["--customers", "40", "--start", "2024-01-01", "--end", "2024-04-30"]
    streamed = run_generator("--scale", "large", *window, "--out", str(tmp_path / "large"))
    assert "generating" in streamed.stderr  # tqdm progress bar
    run_generator(
        "--scale", "demo", "--format", "parquet", *window, "--out", str(tmp_path / "memory"),
        "--quiet",
    )  # fmt: skip
    for name in RAW_TABLES:
        a = pd.read_parquet(tmp_path / "large" / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "memory" / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
