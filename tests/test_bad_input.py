"""Bad input, end to end: real `dbt seed` + `dbt build` on dirty raw CSVs.

One messy data set is built once. It starts from generated `small` data made
to look like the ORIGINAL project's generator output (saas_sites.csv ordered
customer_id, site_id; double top-level-domain emails `x@name.com.org`;
activity on sites the user is not assigned to; activity before registration)
and carries every fault kind at once, each in its own rows: malformed dates,
non-numeric and negative counts, unknown categories, null and malformed keys,
orphan sites, site/customer mismatches, unknown users, duplicate rows and
keys, stray whitespace and case, and a user whose assignments disagree.

The assertions say what happens to each: quarantined with the right reason
and a message naming the column, normalised, or flagged and counted. Totals
are recomputed with pandas straight from the CSVs: raw rows = clean +
quarantined rows per table (events, bytes and minutes likewise), and the
marts' totals equal the clean rows'.

A second project, run concurrently, has header-only raw files; then a
customer feed goes bad (above `quarantine_max_share`: the build must fail,
with counts). Faults of whole files (encodings, line endings, quoting,
headers...) are tests/test_raw_files.py's.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from orchestration.dbt_runner import DbtProject
from tests.reference import ACTIVITY_TYPES, JOB_TYPES, LICENCE_ORDER, user_key

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

# <table> of quarantine_<table> / int_<table>_cleaned / stg_saas__<table>  ->  raw seed
RAW = {
    "customers": "saas_customer_info",
    "sites": "saas_sites",
    "users": "saas_users",
    "user_activity": "saas_user_activity",
    "storage": "saas_storage",
    "background_jobs": "saas_background_jobs",
}
# The messy set quarantines 5 of 13 customer rows, far above the default
# `quarantine_max_share` (1%): its build raises the limit, and
# test_quarantine_share_above_the_limit_fails_the_build shows the default fail.
BUILD_VARS = "{quarantine_max_share: 0.5}"
# `dbt seed && dbt build`, where the build leaves out what does not read the
# messy data or was just done: the seeds (loaded by `dbt seed`) and the unit
# tests (test_marts' build runs them).
BUILD_ARGS = ("--exclude", "resource_type:seed", "test_type:unit")
ORPHAN_SITE = "A99999999999"  # well-formed, in no sites row
FOREIGN_SITE = "<a site of another customer>"  # placeholder, resolved per row

# Faults a single row breaks, appended as new rows: (table, kind, changed raw
# columns, expected dq_reason_code, what the message must name).
ROW_FAULTS: list[tuple[str, str, dict[str, str], str, str]] = [
    ("customers", "null key", {"customer_id": ""}, "missing_key", "customer_id"),
    ("customers", "malformed key", {"customer_id": "12345"}, "malformed_key", "customer_id"),
    ("customers", "unknown category", {"customer_id": "1999999991", "region": "Mars"},
     "unknown_category", "region"),
    ("sites", "null key", {"site_id": ""}, "missing_key", "site_id"),
    ("sites", "malformed key", {"site_id": "B123"}, "malformed_key", "site_id"),
    ("sites", "unknown customer", {"site_id": "A99999999998", "customer_id": "1999999999"},
     "unknown_customer", "customer_id"),
    ("users", "malformed date", {"registration_date": "2024-02-30"}, "invalid_date",
     "registration_date"),
    ("users", "date before the calendars", {"registration_date": "1999-01-01"}, "out_of_range",
     "registration_date"),
    ("users", "unknown category", {"license_type": "Admin"}, "unknown_category", "license_type"),
    ("users", "null key", {"user_email": ""}, "missing_key", "user_email"),
    ("users", "malformed key", {"user_email": "not-an-email"}, "malformed_key", "user_email"),
    ("users", "orphan site", {"site_id": ORPHAN_SITE}, "orphan_site", "site_id"),
    ("users", "site/customer mismatch", {"site_id": FOREIGN_SITE}, "site_customer_mismatch",
     "site_id"),
    ("user_activity", "malformed date", {"date": "2024-02-30"}, "invalid_date", "date"),
    ("user_activity", "non-numeric count", {"event_count": "12abc"}, "invalid_number",
     "event_count"),
    ("user_activity", "negative count", {"event_count": "-8003"}, "negative_number",
     "event_count"),
    ("user_activity", "future date", {"date": "2034-12-31"}, "out_of_range", "date"),
    ("user_activity", "count too large", {"event_count": "999999999999999999"}, "out_of_range",
     "event_count"),
    ("user_activity", "unknown category", {"activity_type": "Download"}, "unknown_category",
     "activity_type"),
    ("user_activity", "null key", {"site_id": ""}, "missing_key", "site_id"),
    ("user_activity", "malformed key", {"customer_id": "12345"}, "malformed_key", "customer_id"),
    ("user_activity", "orphan site", {"site_id": ORPHAN_SITE}, "orphan_site", "site_id"),
    ("user_activity", "site/customer mismatch", {"site_id": FOREIGN_SITE},
     "site_customer_mismatch", "site_id"),
    ("user_activity", "unknown user", {"user_email": "ghost@example.com"}, "unknown_user",
     "user_email"),
    ("storage", "malformed date", {"date": "2024-13-01"}, "invalid_date", "date"),
    ("storage", "non-numeric count", {"storage_bytes": "lots"}, "invalid_number",
     "storage_bytes"),
    ("storage", "negative count", {"storage_bytes": "-777003"}, "negative_number",
     "storage_bytes"),
    ("storage", "date before the calendars", {"date": "1999-01-01"}, "out_of_range", "date"),
    ("storage", "count too large", {"storage_bytes": "777000000000000000"}, "out_of_range",
     "storage_bytes"),
    ("storage", "null key", {"customer_id": ""}, "missing_key", "customer_id"),
    ("storage", "malformed key", {"site_id": "A123"}, "malformed_key", "site_id"),
    ("storage", "orphan site", {"site_id": ORPHAN_SITE}, "orphan_site", "site_id"),
    ("storage", "site/customer mismatch", {"site_id": FOREIGN_SITE}, "site_customer_mismatch",
     "site_id"),
    ("background_jobs", "malformed date", {"date": "yesterday"}, "invalid_date", "date"),
    ("background_jobs", "non-numeric count", {"background_job_min": "1.5"}, "invalid_number",
     "job_minutes"),
    ("background_jobs", "negative count", {"background_job_min": "-5503"}, "negative_number",
     "job_minutes"),
    ("background_jobs", "future date", {"date": "2099-01-01"}, "out_of_range", "date"),
    ("background_jobs", "count too large", {"background_job_min": "550003"}, "out_of_range",
     "job_minutes"),
    ("background_jobs", "unknown category", {"background_job_type": "backup"},
     "unknown_category", "background_job_type"),
    ("background_jobs", "null key", {"site_id": ""}, "missing_key", "site_id"),
    ("background_jobs", "orphan site", {"site_id": ORPHAN_SITE}, "orphan_site", "site_id"),
    ("background_jobs", "site/customer mismatch", {"site_id": FOREIGN_SITE},
     "site_customer_mismatch", "site_id"),
]  # fmt: skip

# Each appended faulty row carries a unique marker in one raw column that the
# quarantine table keeps verbatim (a key column, or a text in raw_values):
# (raw column, quarantine column, marker of the n-th row). Customer and site
# faults are marked by their own key.
MARKERS = {
    "customers": ("customer_id", "customer_id", None),
    "sites": ("site_id", "site_id", None),
    "users": ("registration_date", "registration_date_text", lambda n: f"2019-01-{n:02d}"),
    "user_activity": ("event_count", "event_count_text", lambda n: str(8000 + n)),
    "storage": ("storage_bytes", "storage_bytes_text", lambda n: str(777000 + n)),
    "background_jobs": ("background_job_min", "job_minutes_text", lambda n: str(1300 + n)),
}
# Columns of fct_quarantined_rows; any other identifying value is looked up in
# its raw_values text (`name="value"` pairs).
QUARANTINE_KEYS = ("customer_id", "site_id", "user_key")

# Duplicates: an exact copy of a clean row, and a copy with the same key and
# other values (made to sort after the original, which stays clean).
# Background jobs have no natural key: identical runs are legitimate.
DUPLICATE_FAULTS = [
    (table, kind)
    for table in ("customers", "sites", "users", "user_activity", "storage")
    for kind in ("duplicate row", "duplicate key")
]
DUPLICATE_MESSAGES = {
    "duplicate row": "exact duplicate",
    "duplicate key": {
        "customers": "same customer_id with other values",
        "sites": "same site_id with other values",
        "users": "same customer_id, site_id, user_email with other values",
        "user_activity": "same user_key, site_id, activity_date, activity_type with other values",
        "storage": "same site_id, storage_date with other values",
    },
}
FAULT_IDS = [f"{t}: {k}" for t, k, *_ in ROW_FAULTS] + [f"{t}: {k}" for t, k in DUPLICATE_FAULTS]
MEASURES = {  # table -> (raw column, staged/cleaned column)
    "user_activity": ("event_count", "event_count"),
    "storage": ("storage_bytes", "storage_bytes"),
    "background_jobs": ("background_job_min", "job_minutes"),
}


@dataclass(frozen=True)
class Fault:
    """One injected faulty row: where it must land and why."""

    table: str  # the raw table's short name (RAW maps it to saas_*)
    where: dict[str, Any]  # column -> value picking the row in fct_quarantined_rows
    reason: str  # expected dq_reason_code
    names: str  # what the message must name


@dataclass
class Messy:
    """The messy raw tables and what is expected of them."""

    raw: dict[str, pd.DataFrame]  # table -> every raw row (text)
    clean: dict[str, pd.DataFrame]  # table -> the raw rows expected to pass
    faults: dict[str, Fault] = field(default_factory=dict)  # test id -> fault
    normalised: dict[str, dict[str, Any]] = field(default_factory=dict)
    shape: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------- helpers
def _key(customer_id: str, email: str) -> str:
    """user_key as staging derives it: trimmed customer, trimmed lower-cased email."""
    return user_key(customer_id.strip(), email.strip().lower())


def _keys(frame: pd.DataFrame) -> pd.Series:
    pairs = zip(frame["customer_id"], frame["user_email"], strict=True)
    return pd.Series([_key(c, e) for c, e in pairs], index=frame.index)


def _integers(values: pd.Series) -> pd.Series:
    """What staging parses as a whole number (trimmed text), else NaN."""
    text = values.str.strip()
    return pd.to_numeric(text.where(text.str.fullmatch(r"-?[0-9]{1,18}")), errors="coerce")


def _canonical(values: pd.Series, accepted: list[str]) -> pd.Series:
    return values.str.strip().str.lower().map({v.lower(): v for v in accepted})


def _activity(frame: pd.DataFrame) -> pd.DataFrame:
    """Clean raw activity, typed and normalised the way staging should."""
    out = pd.DataFrame(
        {
            "user_key": _keys(frame),
            "site_id": frame["site_id"].str.strip().str.upper(),
            "date": pd.to_datetime(frame["date"].str.strip()),
            "activity_type": _canonical(frame["activity_type"], ACTIVITY_TYPES),
            "event_count": _integers(frame["event_count"]).astype(np.int64),
        }
    )
    out["month_start"] = out["date"].dt.to_period("M").dt.to_timestamp()
    return out


def _assignments(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_key": _keys(frame),
            "site_id": frame["site_id"].str.strip().str.upper(),
            "registration_date": pd.to_datetime(frame["registration_date"].str.strip()),
            "license_type": _canonical(frame["license_type"], LICENCE_ORDER),
        }
    )


def _quarantine_condition(table: str, where: dict[str, Any]) -> str:
    """SQL picking a quarantined row of `table` in fct_quarantined_rows."""
    conditions = [f"raw_table = '{RAW[table]}'"]
    for column, value in where.items():
        text = None if value is None else str(value).replace("'", "''")
        if column in QUARANTINE_KEYS:
            conditions.append(f"{column} is null" if text is None else f"{column} = '{text}'")
        else:
            shown = "<null>" if text is None else f'"{text}"'
            conditions.append(f"raw_values like '%{column}={shown}%'")
    return " and ".join(conditions)


# --------------------------------------------------- the original's shape
def _shape_like_the_original(raw: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Rewrite generated data the way the original generator wrote it, and set
    aside a user on three sites and a user with conflicting assignments."""
    customers, users, activity = raw["customers"], raw["users"], raw["user_activity"]
    sites = raw["sites"][["customer_id", "site_id"]]  # the original's column order
    raw["sites"] = sites
    # double top-level-domain emails, consistently in every file
    for frame, column in ((customers, "contact_email"), (users, "user_email"),
                          (activity, "user_email")):  # fmt: skip
        frame[column] = frame[column] + ".org"

    sites_of = sites.groupby("customer_id")["site_id"].apply(sorted).to_dict()
    assigned = users.groupby(["customer_id", "user_email"])["site_id"].apply(set).to_dict()
    licence = users.groupby(["customer_id", "user_email"])["license_type"].first()
    registered = users.groupby(["customer_id", "user_email"])["registration_date"].min()
    active = set(activity.groupby(["customer_id", "user_email"]).groups)
    candidates = [user for user, on in sorted(assigned.items()) if len(on) == 1 and user in active]

    # a user on three sites of the customer, with activity on one of them
    multi = next(u for u in candidates if len(sites_of[u[0]]) >= 3)
    extra_sites = [s for s in sites_of[multi[0]] if s not in assigned[multi]][:2]
    multi_row = users[(users["customer_id"] == multi[0]) & (users["user_email"] == multi[1])]
    added = [multi_row.assign(site_id=site) for site in extra_sites]

    # a Viewer given a second assignment with an earlier date and a higher licence
    conflicting = next(
        u for u in candidates if u != multi and len(sites_of[u[0]]) >= 2 and licence[u] == "Viewer"
    )
    other_site = next(s for s in sites_of[conflicting[0]] if s not in assigned[conflicting])
    earlier = pd.Timestamp(registered[conflicting]) - pd.Timedelta(days=5)
    conflict_row = users[
        (users["customer_id"] == conflicting[0]) & (users["user_email"] == conflicting[1])
    ]
    added.append(
        conflict_row.assign(
            site_id=other_site,
            registration_date=earlier.strftime("%Y-%m-%d"),
            license_type="Creator",
        )
    )
    raw["users"] = pd.concat([users, *added], ignore_index=True)

    # activity on a site of the customer the user is not assigned to, and
    # activity ten days before registration (the original had both, for all)
    others = activity[
        ~activity.set_index(["customer_id", "user_email"]).index.isin([multi, conflicting])
    ]
    unassigned, before = [], []
    grouped = others.sort_values("date").groupby(["customer_id", "user_email"], sort=True)
    for number, (user, rows) in enumerate(grouped):
        elsewhere = [s for s in sites_of[user[0]] if s not in assigned[user]]
        if elsewhere:
            # (a user on several sites can have two rows with one date and type)
            firsts = rows.drop_duplicates(["date", "activity_type"]).head(2)
            unassigned.append(firsts.assign(site_id=elsewhere[0]))
        if number % 5 == 0:
            day = pd.Timestamp(registered[user]) - pd.Timedelta(days=10)
            before.append(rows.head(1).assign(date=day.strftime("%Y-%m-%d")))
    raw["user_activity"] = pd.concat([activity, *unassigned, *before], ignore_index=True)
    return {
        "multi_site_user": _key(*multi),
        "multi_site_user_sites": sorted(assigned[multi] | set(extra_sites)),
        "conflicting_user": _key(*conflicting),
        "conflicting_registration_date": earlier,
        "unassigned_rows": sum(len(f) for f in unassigned),
        "before_registration_rows": sum(len(f) for f in before),
    }


# ------------------------------------------------------------ the faults
def _inject_faults(raw: dict[str, pd.DataFrame], avoid: set[str]) -> Messy:
    """Append the faulty rows; stray whitespace and case edit clean rows."""
    clean = {table: frame.copy() for table, frame in raw.items()}
    appended: dict[str, list[dict[str, str]]] = {table: [] for table in raw}
    messy = Messy(raw={}, clean=clean)
    owners = dict(zip(clean["sites"]["site_id"], clean["sites"]["customer_id"], strict=True))

    def plain(table: str) -> pd.DataFrame:
        """Clean rows of users set aside for nothing else."""
        frame = clean[table]
        if "user_email" not in frame:
            return frame
        return frame[~_keys(frame).isin(avoid)]

    # row faults: copies of one clean template row per table, one change each
    numbers: dict[str, int] = {}
    for table, kind, changes, reason, names in ROW_FAULTS:
        template = plain(table).iloc[0].to_dict()
        row = {**template, **changes}
        if row.get("site_id") == FOREIGN_SITE:
            row["site_id"] = next(s for s, c in owners.items() if c != template["customer_id"])
        raw_column, quarantine_column, marker = MARKERS[table]
        numbers[table] = numbers.get(table, 0) + 1
        if raw_column not in changes and marker is not None:
            row[raw_column] = marker(numbers[table])
        appended[table].append(row)
        value = row[raw_column] or None  # an empty field loads as null
        messy.faults[f"{table}: {kind}"] = Fault(table, {quarantine_column: value}, reason, names)

    # duplicates of clean rows: exact copies and same-key copies sorting last
    customers, sites = plain("customers"), plain("sites")
    max_customer = customers["customer_id"].max()
    site = sites[sites["customer_id"] < max_customer].iloc[1]
    users, activity, storage = plain("users"), plain("user_activity"), plain("storage")
    one_day = pd.Timedelta(days=1)
    later = (pd.Timestamp(users.iloc[2]["registration_date"]) + one_day).strftime("%Y-%m-%d")
    duplicates = {  # table -> (row copied exactly, row copied with the same key, its changes)
        "customers": (customers.iloc[1], customers.iloc[2], {"contact_email": "zz@zz.example"}),
        "sites": (sites.iloc[0], site, {"customer_id": max_customer}),
        "users": (users.iloc[1], users.iloc[2], {"registration_date": later}),
        "user_activity": (
            activity.iloc[1],
            activity.iloc[2],
            {"event_count": str(int(activity.iloc[2]["event_count"]) + 8500)},
        ),
        "storage": (
            storage.iloc[1],
            storage.iloc[2],
            {"storage_bytes": str(int(storage.iloc[2]["storage_bytes"]) + 10**12)},
        ),
    }
    for table, (exact, same_key, changes) in duplicates.items():
        for kind, source, change in (
            ("duplicate row", exact, {}),
            ("duplicate key", same_key, changes),
        ):
            row = {**source.to_dict(), **change}
            appended[table].append(row)
            message = DUPLICATE_MESSAGES[kind]
            names = message if isinstance(message, str) else message[table]
            reason = kind.replace(" ", "_")
            messy.faults[f"{table}: {kind}"] = Fault(table, _identity(table, row), reason, names)

    # identical background-job runs are legitimate: one more, kept
    jobs = clean["background_jobs"]
    clean["background_jobs"] = jobs = pd.concat([jobs, jobs.iloc[[5]]], ignore_index=True)

    # stray whitespace and case: normalised in staging, never quarantined
    row = customers.index[3]
    frame = clean["customers"]
    messy.normalised["customers"] = frame.loc[row].to_dict()
    frame.at[row, "customer_id"] = f"  {frame.at[row, 'customer_id']} "
    frame.at[row, "region"] = f" {frame.at[row, 'region'].lower()}  "
    frame.at[row, "account_tier"] = frame.at[row, "account_tier"].upper()
    frame.at[row, "industry"] = f"{frame.at[row, 'industry'].lower()} "
    row = sites.index[-1]
    frame = clean["sites"]
    messy.normalised["sites"] = frame.loc[row].to_dict()
    frame.at[row, "site_id"] = f" {frame.at[row, 'site_id'].lower()} "
    row = users.index[3]
    frame = clean["users"]
    messy.normalised["users"] = frame.loc[row].to_dict()
    frame.at[row, "user_email"] = f"  {frame.at[row, 'user_email'].upper()} "
    frame.at[row, "site_id"] = frame.at[row, "site_id"].lower()
    frame.at[row, "license_type"] = f" {frame.at[row, 'license_type'].lower()}"
    row = activity.index[3]
    frame = clean["user_activity"]
    messy.normalised["user_activity"] = frame.loc[row].to_dict()
    for column in ("customer_id", "date", "event_count"):
        frame.at[row, column] = f" {frame.at[row, column]} "
    frame.at[row, "user_email"] = f"  {frame.at[row, 'user_email'].upper()}  "
    frame.at[row, "site_id"] = f"{frame.at[row, 'site_id'].lower()} "
    frame.at[row, "activity_type"] = f" {frame.at[row, 'activity_type'].upper()}"
    row = storage.index[3]
    frame = clean["storage"]
    messy.normalised["storage"] = frame.loc[row].to_dict()
    for column in ("customer_id", "date", "storage_bytes"):
        frame.at[row, column] = f"{frame.at[row, column]}  "
    frame.at[row, "site_id"] = f" {frame.at[row, 'site_id'].lower()}"
    row = jobs.index[jobs["background_job_type"] == "flow run"][0]
    messy.normalised["background_jobs"] = jobs.loc[row].to_dict()
    jobs.at[row, "background_job_type"] = " Flow Run "

    messy.raw = {
        table: pd.concat([clean[table], pd.DataFrame(rows, columns=clean[table].columns)],
                         ignore_index=True)
        for table, rows in appended.items()
    }  # fmt: skip
    return messy


def _identity(table: str, row: dict[str, str]) -> dict[str, Any]:
    """Values in fct_quarantined_rows that single out a copy of a raw row."""
    if table == "customers":
        return {"customer_id": row["customer_id"]}
    if table == "sites":
        return {"site_id": row["site_id"], "customer_id": row["customer_id"]}
    if table == "users":
        return {
            "user_key": _key(row["customer_id"], row["user_email"]),
            "site_id": row["site_id"],
            "registration_date_text": row["registration_date"],
        }
    if table == "user_activity":
        return {
            "user_key": _key(row["customer_id"], row["user_email"]),
            "site_id": row["site_id"],
            "activity_type": row["activity_type"],
            "activity_date_text": row["date"],
            "event_count_text": row["event_count"],
        }
    return {"site_id": row["site_id"], "storage_date_text": row["date"],
            "storage_bytes_text": row["storage_bytes"]}  # fmt: skip


# ---------------------------------------------------------------- fixtures
@dataclass
class SecondProject:
    """Generated data whose storage and job files are header-only (built with
    the default vars), then a customer feed gone bad."""

    project: DbtProject
    bad_customer_rows: int = 3
    raw_customer_rows: int = 0
    over_limit: Any = None  # the build after the bad customer feed arrived


def _run_second_project(second: SecondProject) -> SecondProject:
    project = second.project
    project.generate("--scale", "small", "--seed", "5")
    for name in ("saas_storage", "saas_background_jobs"):
        path = project.seeds_dir / f"{name}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    project.dbt("seed")
    project.dbt("build", *BUILD_ARGS)

    # a customer feed goes bad: more than quarantine_max_share (1%) of its rows
    path = project.seeds_dir / "saas_customer_info.csv"
    lines = path.read_text().splitlines()
    junk = [f"19999999{n:02d},Retail,Mars,SMB,x@y.example" for n in range(second.bad_customer_rows)]
    path.write_text("\n".join([*lines, *junk]) + "\n")
    second.raw_customer_rows = len(lines) - 1 + len(junk)
    project.dbt("seed", "--select", "saas_customer_info")
    second.over_limit = project.dbt(
        "build", "--select", "int_customers_checked", "fct_quarantined_rows", check=False
    )
    return second


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The messy project, built here, and the second project, run meanwhile.
    Each project keeps one set of vars throughout, so that dbt's partial
    parsing is never invalidated between its commands."""
    second = SecondProject(DbtProject.copy_of_repo(tmp_path_factory.mktemp("second") / "project"))
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("messy") / "project")
    with ThreadPoolExecutor(max_workers=1) as pool:
        second_run: Future[SecondProject] = pool.submit(_run_second_project, second)
        project.generate("--scale", "small", "--seed", "3")
        raw = {
            table: pd.read_csv(project.seeds_dir / f"{name}.csv", dtype=str, keep_default_na=False)
            for table, name in RAW.items()
        }
        shape = _shape_like_the_original(raw)
        messy = _inject_faults(raw, {shape["multi_site_user"], shape["conflicting_user"]})
        messy.shape = shape
        for table, frame in messy.raw.items():
            frame.to_csv(project.seeds_dir / f"{RAW[table]}.csv", index=False, lineterminator="\n")
        project.dbt("seed", "--vars", BUILD_VARS)
        build = project.dbt("build", *BUILD_ARGS, "--vars", BUILD_VARS)
        yield {"project": project, "messy": messy, "log": build.stdout, "second": second_run}


@pytest.fixture(scope="module")
def project(builds: dict[str, Any]) -> DbtProject:
    return builds["project"]


@pytest.fixture(scope="module")
def messy(builds: dict[str, Any]) -> Messy:
    return builds["messy"]


@pytest.fixture(scope="module")
def second(builds: dict[str, Any]) -> SecondProject:
    return builds["second"].result()


# ---------------------------------------------- each fault, where it lands
@pytest.mark.parametrize("fault_id", FAULT_IDS)
def test_faulty_row_is_quarantined_with_its_reason(
    project: DbtProject, messy: Messy, fault_id: str
) -> None:
    fault = messy.faults[fault_id]
    where = _quarantine_condition(fault.table, fault.where)
    rows = project.query(f"select * from fct_quarantined_rows where {where}")
    assert len(rows) == 1, f"{fault_id}: {len(rows)} quarantined rows ({where})"
    assert rows.at[0, "dq_reason_code"] == fault.reason, rows.to_dict("records")
    assert fault.names in rows.at[0, "dq_reason_message"], rows.at[0, "dq_reason_message"]


def _normalised_lookup(table: str, row: dict[str, str]) -> tuple[str, list[Any]]:
    """SQL finding the clean, normalised version of a raw row, and what it returns."""
    if table == "customers":
        sql = "select region, account_tier, industry from dim_customers"
        where = f"customer_id = '{row['customer_id']}'"
        return f"{sql} where {where}", [(row["region"], row["account_tier"], row["industry"])]
    if table == "sites":
        return f"select site_id from dim_sites where site_id = '{row['site_id']}'", [
            (row["site_id"],)
        ]
    clean = "dq_reason_code is null"
    if table == "users":
        key = _key(row["customer_id"], row["user_email"])
        sql = "select license_type from int_users_checked"
        where = f"{clean} and user_key = '{key}' and site_id = '{row['site_id']}'"
        return f"{sql} where {where}", [(row["license_type"],)]
    if table == "user_activity":
        key = _key(row["customer_id"], row["user_email"])
        sql = "select event_count from int_user_activity_checked"
        where = (
            f"{clean} and user_key = '{key}' and site_id = '{row['site_id']}'"
            f" and activity_date = '{row['date']}' and activity_type = '{row['activity_type']}'"
        )
        return f"{sql} where {where}", [(int(row["event_count"]),)]
    if table == "storage":
        sql = "select customer_id, storage_bytes from int_storage_checked"
        where = f"{clean} and site_id = '{row['site_id']}' and storage_date = '{row['date']}'"
        return f"{sql} where {where}", [(row["customer_id"], int(row["storage_bytes"]))]
    sql = f"select count(*) from int_background_jobs_checked where {clean}"
    return f"{sql} and background_job_type = '{row['background_job_type']}'", []


@pytest.mark.parametrize("table", list(RAW))
def test_stray_whitespace_and_case_are_normalised_not_quarantined(
    project: DbtProject, messy: Messy, table: str
) -> None:
    sql, expected = _normalised_lookup(table, messy.normalised[table])
    found = list(project.query(sql).itertuples(index=False, name=None))
    if table == "background_jobs":  # every run of the type is clean, the padded one too
        types = _canonical(messy.clean[table]["background_job_type"], JOB_TYPES)
        expected = [((types == messy.normalised[table]["background_job_type"]).sum(),)]
    assert found == expected
    # and not quarantined: every quarantined row of the table is an injected fault
    injected = sum(f.table == table for f in messy.faults.values())
    assert _quarantined_rows(project, table) == injected


def _quarantined_rows(project: DbtProject, table: str) -> int:
    found = project.query(
        f"select count(*) as n from fct_quarantined_rows where raw_table = '{RAW[table]}'"
    )
    return int(found.at[0, "n"])


# --------------------------------------------------------- soft anomalies
def test_unassigned_site_and_pre_registration_activity_are_flagged_and_counted(
    project: DbtProject, messy: Messy
) -> None:
    activity = _activity(messy.clean["user_activity"])
    assignments = _assignments(messy.clean["users"])
    pairs = set(zip(assignments["user_key"], assignments["site_id"], strict=True))
    registered = assignments.groupby("user_key")["registration_date"].min()
    unassigned = [
        pair not in pairs for pair in zip(activity["user_key"], activity["site_id"], strict=True)
    ]
    before = activity["date"] < activity["user_key"].map(registered)
    assert sum(unassigned) >= messy.shape["unassigned_rows"] > 0
    assert before.sum() >= messy.shape["before_registration_rows"] > 0

    expected = {
        "unassigned": activity.loc[unassigned, "event_count"].sum(),
        "before": activity.loc[before, "event_count"].sum(),
    }
    flagged = project.query(
        "select sum(events_unassigned_site) as unassigned,"
        " sum(events_before_registration) as before"
        " from int_activity_aggregated_to_user_site_months"
    )
    assert flagged.to_dict("records") == [expected]
    fact = project.query(
        "select sum(events_unassigned_site) as unassigned,"
        " sum(events_before_registration) as before from fct_site_months"
    )
    assert fact.to_dict("records") == [
        {
            "unassigned": activity.loc[unassigned, "event_count"].sum(),
            "before": activity.loc[before, "event_count"].sum(),
        }
    ]


def test_conflicting_assignments_take_earliest_date_and_highest_licence(
    project: DbtProject, messy: Messy
) -> None:
    key = messy.shape["conflicting_user"]
    user = project.query(f"select * from dim_users where user_key = '{key}'")
    assert len(user) == 1
    assert user.at[0, "license_type"] == "Creator"
    assert (
        pd.Timestamp(user.at[0, "registration_date"])
        == messy.shape["conflicting_registration_date"]
    )
    assert user.at[0, "assigned_sites"] == 2
    assert user.at[0, "has_conflicting_licenses"]
    assert user.at[0, "has_conflicting_registration_dates"]
    assert project.query(
        f"select * from fct_quarantined_rows where raw_table = 'saas_users' and user_key = '{key}'"
    ).empty


def test_original_shape_loads_double_tld_emails_are_valid(
    project: DbtProject, messy: Messy
) -> None:
    columns = project.query(
        "select column_name from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'saas_sites' order by ordinal_position"
    )
    assert columns["column_name"].tolist() == ["customer_id", "site_id"]
    assert messy.clean["users"]["user_email"].str.strip().str.lower().str.endswith(".org").all()
    users = project.query("select count(*) as n from dim_users")
    assert users.at[0, "n"] == _assignments(messy.clean["users"])["user_key"].nunique()


# --------------------------------------------------------------- the books
@pytest.mark.parametrize("table", list(RAW))
def test_raw_rows_equal_clean_plus_quarantined(
    project: DbtProject, messy: Messy, table: str
) -> None:
    counts = project.query(
        f"select (select count(*) from raw.{RAW[table]}) as raw_rows,"
        f" (select count(*) from stg_saas__{table}) as staged,"
        f" (select count(*) from int_{table}_checked where dq_reason_code is null) as clean,"
        f" (select count(*) from fct_quarantined_rows where raw_table = '{RAW[table]}')"
        " as quarantined"
    ).iloc[0]
    injected = sum(f.table == table for f in messy.faults.values())
    assert counts["raw_rows"] == counts["staged"] == len(messy.raw[table])
    assert counts["clean"] == len(messy.clean[table])
    assert counts["quarantined"] == injected
    assert counts["clean"] + counts["quarantined"] == len(messy.raw[table])


@pytest.mark.parametrize("table", list(MEASURES))
def test_raw_totals_equal_clean_plus_quarantined(
    project: DbtProject, messy: Messy, table: str
) -> None:
    raw_column, column = MEASURES[table]
    totals = project.query(
        f"select coalesce(sum({column}) filter (where dq_reason_code is null), 0) as clean,"
        f" coalesce(sum({column}) filter (where dq_reason_code is not null), 0) as quarantined"
        f" from int_{table}_checked"
    ).iloc[0]
    assert totals["clean"] == _integers(messy.clean[table][raw_column]).sum()
    assert totals["clean"] + totals["quarantined"] == _integers(messy.raw[table][raw_column]).sum()


def test_fact_totals_equal_the_clean_rows(project: DbtProject, messy: Messy) -> None:
    fact = project.query(
        "select sum(events_total) as events, sum(job_minutes_total) as minutes,"
        " sum(storage_days) as storage_days from fct_site_months"
    ).iloc[0]
    assert fact["events"] == _integers(messy.clean["user_activity"]["event_count"]).sum()
    assert fact["minutes"] == _integers(messy.clean["background_jobs"]["background_job_min"]).sum()
    assert fact["storage_days"] == len(messy.clean["storage"])


def test_fact_counts_each_event_once_per_site_month(project: DbtProject, messy: Messy) -> None:
    """The original joined activity to users on email alone and counted a
    user's events on every site they sit on (1.86x): per site and month, the
    fact must equal the raw events and distinct active users exactly."""
    activity = _activity(messy.clean["user_activity"])
    expected = (
        activity.groupby(["site_id", "month_start"])
        .agg(events_total=("event_count", "sum"), active_users=("user_key", "nunique"))
        .reset_index()
    )
    fact = project.query(
        "select site_id, month_start, events_total, active_users from fct_site_months"
        " where events_total > 0 or active_users > 0"
    )
    fact["month_start"] = pd.to_datetime(fact["month_start"])
    merged = expected.merge(fact, on=["site_id", "month_start"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["events_total_x"] == merged["events_total_y"]).all()
    assert (merged["active_users_x"] == merged["active_users_y"]).all()


def test_user_on_three_sites_with_activity_on_one_is_counted_once(
    project: DbtProject, messy: Messy
) -> None:
    key, sites = messy.shape["multi_site_user"], messy.shape["multi_site_user_sites"]
    activity = _activity(messy.clean["user_activity"])
    mine = activity[activity["user_key"] == key]
    assert len(sites) == 3 and mine["site_id"].nunique() == 1
    user = project.query(f"select * from dim_users where user_key = '{key}'").iloc[0]
    assert (user["assigned_sites"], user["active_sites"]) == (3, 1)
    assert user["events_total"] == mine["event_count"].sum()
    in_list = ", ".join(f"'{s}'" for s in sites)
    fact = project.query(
        f"select site_id, sum(events_total) as events from fct_site_months"
        f" where site_id in ({in_list}) group by site_id"
    ).set_index("site_id")["events"]
    expected = activity[activity["site_id"].isin(sites)].groupby("site_id")["event_count"].sum()
    assert (
        fact.reindex(sites, fill_value=0).tolist() == expected.reindex(sites, fill_value=0).tolist()
    )


# ------------------------------------------------------ quarantine visibility
@pytest.mark.parametrize("table", list(RAW))
def test_quarantine_is_visible_in_the_build_log(
    builds: dict[str, Any], messy: Messy, table: str
) -> None:
    log = builds["log"]
    faults = [f for f in messy.faults.values() if f.table == table]
    summary = (
        f"quarantine {RAW[table]}: {len(faults)} of {len(messy.raw[table])} raw rows quarantined"
    )
    assert summary in log
    line = next(line for line in log.splitlines() if summary in line)
    for reason in {f.reason for f in faults}:
        assert f"{reason} {sum(f.reason == reason for f in faults)}" in line, line


def test_quarantine_share_above_the_limit_fails_the_build(second: SecondProject) -> None:
    result = second.over_limit
    bad, rows = second.bad_customer_rows, second.raw_customer_rows
    assert result.returncode != 0
    assert (
        f"quarantine over the limit saas_customer_info: {bad} of {rows} raw rows quarantined"
        f" ({bad / rows:.2%}, above the quarantine_max_share limit of 1.00%)"
        f": unknown_category {bad}"
    ) in result.stdout
    assert "FAIL 1 assert_quarantine_within_limit" in result.stdout


# ---------------------------------------------------------- empty raw files
def test_header_only_files_build_with_nothing_quarantined(second: SecondProject) -> None:
    project = second.project
    for table in ("storage", "background_jobs"):
        counts = project.query(
            f"select (select count(*) from raw.{RAW[table]}) as raw_rows,"
            f" (select count(*) from fct_quarantined_rows where raw_table = '{RAW[table]}')"
            " as quarantined"
        )
        assert counts.to_dict("records") == [{"raw_rows": 0, "quarantined": 0}]
    fact = project.query(
        "select count(*) as months, count(storage_gib_avg) as with_storage,"
        " sum(job_minutes_total) as minutes, sum(events_total) as events from fct_site_months"
    ).iloc[0]
    activity = pd.read_csv(project.seeds_dir / "saas_user_activity.csv")
    assert fact["months"] > 0
    assert (fact["with_storage"], fact["minutes"]) == (0, 0)
    assert fact["events"] == activity["event_count"].sum()
