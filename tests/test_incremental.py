"""Scheduled runs: incremental builds over data arriving day by day equal a
full refresh, a second run changes nothing, a killed build completes, and a
second writer is turned away. Real dbt runs on generated `small` data.

One replay is shared by the tests of this module (in file order):

* an initial full build of the data through ``D0``;
* then the incremental builds of ``RUN_DAYS`` across the May/June month
  boundary, two days apart (the day between arrives with the next run, as
  after a missed run), each run's data regenerated with ``--through``
  (prefix-stable) plus rows planted to arrive late or out of order: a late
  row inside the lookback, a late row far older than the lookback, a late
  exact duplicate, rows with an unparseable date, a site whose row arrives
  days after its data (its rows are quarantined as orphans until then), and
  a user assignment that arrives late with an earlier registration date and
  a higher licence (it changes that user's merged registration date and
  licence back to February);
* a second project copy builds the final data from scratch (full refresh).

Then: the daily job run twice changes nothing; a second concurrent run is
turned away at once; builds killed midway complete on the next run. (A
backfill of a date range equalling a full refresh is shown through the
orchestrator: tests/test_orchestration.py.)

Feeds are append-only: a day taken back from a feed is not removed by an
incremental run (the weekly full refresh of `incremental_refresh` does it).

Loading: each day's CSVs are loaded into the raw schema with DuckDB's
``read_csv`` (all text), which is what the project's seed materialization
does, in-process: a ``dbt seed`` per day would add a dbt start-up per day to
the test. ``python -m orchestration.replay_days`` replays with ``dbt seed``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from generator.config import RAW_TABLES
from orchestration.database import compare_relations, mart_relations
from orchestration.dbt_runner import REPO_ROOT, dbt_executable
from orchestration.dbt_runner import DbtProject as Project

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

RUN_DAILY = "orchestration.daily_job"
D0 = dt.date(2024, 5, 30)  # the initial full build covers the data through this day
# The days a run loads and builds (the data through that day): the month
# boundary is crossed; 06-01 and 06-03 arrive with the run of the next day.
# Every planted row below arrives on a run day or on the day before one.
RUN_DAYS = (dt.date(2024, 5, 31), dt.date(2024, 6, 2), dt.date(2024, 6, 4))
LAST_DAY = RUN_DAYS[-1]
NEW_SITE = "A99999999991"


def load_raw(project: Project) -> None:
    """Load the project's seed CSVs into its raw schema, all columns as text."""
    with duckdb.connect(str(project.database_path)) as connection:
        connection.execute("create schema if not exists raw")
        for table in RAW_TABLES:
            path = project.seeds_dir / f"{table}.csv"
            connection.execute(
                f"create or replace table raw.{table} as select * from read_csv("
                "?, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')",
                [str(path)],
            )


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Arrivals:
    """Rows planted in the feeds: (day the row arrives, table, row)."""

    rows: list[tuple[dt.date, str, dict[str, str]]] = field(default_factory=list)

    def add(self, arrives: dt.date, table: str, **row: str) -> None:
        self.rows.append((arrives, table, row))

    def append_to(self, seeds_dir: Path, day: dt.date) -> None:
        """Append the rows that have arrived by ``day`` to the generated CSVs."""
        for table in {table for _, table, _ in self.rows}:
            path = seeds_dir / f"{table}.csv"
            with path.open(newline="") as handle:
                header = next(csv.reader(handle))
            with path.open("a", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
                for arrives, name, row in self.rows:
                    if name == table and arrives <= day:
                        writer.writerow(row)


def plant_rows(seeds_dir: Path) -> tuple[Arrivals, dict[str, str]]:
    """Choose the planted rows from the data generated through the last day."""
    internal = {r["customer_id"] for r in read_csv_rows(seeds_dir / "saas_internal_accounts.csv")}
    sites = [
        r for r in read_csv_rows(seeds_dir / "saas_sites.csv") if r["customer_id"] not in internal
    ]
    users = read_csv_rows(seeds_dir / "saas_users.csv")
    activity = read_csv_rows(seeds_dir / "saas_user_activity.csv")
    sites_of: dict[str, list[str]] = {}
    for site in sites:
        sites_of.setdefault(site["customer_id"], []).append(site["site_id"])
    assignments: dict[tuple[str, str], int] = {}
    for user in users:
        key = (user["customer_id"], user["user_email"])
        assignments[key] = assignments.get(key, 0) + 1

    def candidates(customer: str) -> tuple[dict[str, str], dict[str, str]] | None:
        mine = sorted(
            (u for u in users if u["customer_id"] == customer),
            key=lambda u: (u["registration_date"], u["user_email"], u["site_id"]),
        )
        early = [u for u in mine if u["registration_date"] < "2024-02-15"]
        later = [
            u
            for u in mine
            if "2024-02-15" <= u["registration_date"] < "2024-05-01"
            and u["license_type"] != "Creator"
            and assignments[(customer, u["user_email"])] == 1
        ]
        for user1 in early:
            for user2 in later:
                if user2["user_email"] != user1["user_email"]:
                    return user1, user2
        return None

    customer, (user1, user2) = next(
        (c, found)
        for c in sorted(sites_of, key=lambda c: -len(sites_of[c]))
        if len(sites_of[c]) >= 2 and (found := candidates(c)) is not None
    )
    site1 = user1["site_id"]
    other_site = next(s for s in sites_of[customer] if s != user2["site_id"])
    taken = {
        (a["date"], a["activity_type"])
        for a in activity
        if a["user_email"] == user1["user_email"] and a["site_id"] == site1
    }

    def free_slot(days: list[str]) -> tuple[str, str]:
        return next(
            (d, t)
            for d in days
            for t in ("Publish", "Create", "View", "Access")
            if (d, t) not in taken
        )

    inside_day, inside_type = free_slot(["2024-05-31", "2024-05-30"])
    old_day, old_type = free_slot(["2024-05-20", "2024-05-19", "2024-05-18", "2024-05-17"])
    duplicate = next(
        a for a in activity if a["date"] == "2024-06-02" and a["customer_id"] == customer
    )
    earlier = dt.date.fromisoformat(user2["registration_date"]) - dt.timedelta(days=20)

    arrivals = Arrivals()
    base = {"customer_id": customer, "user_email": user1["user_email"]}
    # a late row inside the lookback (3 days): dated 05-30/31, arrives 06-02
    arrivals.add(
        dt.date(2024, 6, 2),
        "saas_user_activity",
        **base,
        site_id=site1,
        date=inside_day,
        activity_type=inside_type,
        event_count="7",
    )
    # a late row far older than the lookback: dated 05-17..20, arrives 06-03
    arrivals.add(
        dt.date(2024, 6, 3),
        "saas_user_activity",
        **base,
        site_id=site1,
        date=old_day,
        activity_type=old_type,
        event_count="3",
    )
    # a late exact duplicate of a row of 06-02, arriving 06-04
    arrivals.add(dt.date(2024, 6, 4), "saas_user_activity", **duplicate)
    # rows whose date does not parse (the undated partition), 05-31 and 06-04
    for arrives, text in ((dt.date(2024, 5, 31), "2024-05-3x"), (dt.date(2024, 6, 4), "soon")):
        arrivals.add(
            arrives,
            "saas_user_activity",
            **base,
            site_id=site1,
            date=text,
            activity_type="View",
            event_count="1",
        )
    # a site whose data arrives from 05-31 on, but whose own row only on 06-02
    day = dt.date(2024, 5, 31)
    while day <= LAST_DAY + dt.timedelta(days=1):
        arrivals.add(
            day,
            "saas_user_activity",
            **base,
            site_id=NEW_SITE,
            date=day.isoformat(),
            activity_type="View",
            event_count="2",
        )
        arrivals.add(
            day,
            "saas_storage",
            customer_id=customer,
            site_id=NEW_SITE,
            date=day.isoformat(),
            storage_bytes=str(1000 * day.day),
        )
        day += dt.timedelta(days=1)
    arrivals.add(
        dt.date(2024, 5, 31),
        "saas_background_jobs",
        customer_id=customer,
        site_id=NEW_SITE,
        date="2024-05-31",
        background_job_type="extract",
        background_job_min="15",
    )
    arrivals.add(dt.date(2024, 6, 2), "saas_sites", site_id=NEW_SITE, customer_id=customer)
    # a late assignment of user2 to another site, registered 20 days before
    # user2's own registration, as a Creator; arrives 06-03
    arrivals.add(
        dt.date(2024, 6, 3),
        "saas_users",
        customer_id=customer,
        site_id=other_site,
        user_email=user2["user_email"],
        registration_date=earlier.isoformat(),
        license_type="Creator",
    )
    facts = {
        "customer_id": customer,
        "user2_email": user2["user_email"],
        "user2_registration_date": earlier.isoformat(),
    }
    return arrivals, facts


@dataclass
class Replay:
    incremental: Project
    full_refresh: Project
    arrivals: Arrivals
    facts: dict[str, str]
    daily_wall_s: list[float]


def generate(project: Project, arrivals: Arrivals, day: dt.date) -> None:
    project.generate("--scale", "small", "--through", day.isoformat())
    arrivals.append_to(project.seeds_dir, day)


def run_daily(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", RUN_DAILY, "--project-dir", str(project.root), "--quiet", *args],
        env=project.full_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def snapshot(project: Project) -> Path:
    """A copy of the project's DuckDB file (dbt has exited: no WAL left)."""
    copy = project.root / f"snapshot_{len(list(project.root.glob('snapshot_*')))}.duckdb"
    shutil.copy(project.database_path, copy)
    return copy


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    base = tmp_path_factory.mktemp("incremental")
    incremental = Project.copy_of(REPO_ROOT, base / "incremental")
    full_refresh = Project.copy_of(REPO_ROOT, base / "full_refresh")

    # the planted rows are chosen from the data of the whole replay window
    incremental.generate("--scale", "small", "--through", LAST_DAY.isoformat())
    arrivals, facts = plant_rows(incremental.seeds_dir)

    generate(incremental, arrivals, D0)
    load_raw(incremental)
    incremental.dbt("run")  # the deployment: every model, views included

    walls: list[float] = []
    for day in RUN_DAYS:
        generate(incremental, arrivals, day)
        load_raw(incremental)
        if day < LAST_DAY:
            walls.append(incremental.dbt("run", "--selector", "daily").wall_s)
        else:  # the last day runs the real daily job (freshness, build, tests)
            started = time.perf_counter()
            job = run_daily(incremental, "--as-of", (day + dt.timedelta(days=1)).isoformat())
            assert job.returncode == 0, job.stdout[-6000:] + job.stderr[-3000:]
            walls.append(time.perf_counter() - started)

    for path in incremental.seeds_dir.glob("saas_*.csv"):
        shutil.copy(path, full_refresh.seeds_dir / path.name)
    load_raw(full_refresh)
    full_refresh.dbt("run")
    yield Replay(incremental, full_refresh, arrivals, facts, walls)


def rebuilt_months(project: Project) -> dict[str, int]:
    """Months each month-grain incremental model rebuilt in the last dbt run."""
    last_run = (project.root / "logs" / "dbt.log").read_text().rsplit("Running with dbt", 1)[-1]
    return {
        match.group(1): int(match.group(2))
        for match in re.finditer(r"(\w+): rebuilding (\d+) month\(s\)", last_run)
    }


def all_materialized(project: Project) -> list[str]:
    with duckdb.connect(str(project.database_path), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema <> 'raw' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
    return [name for (name,) in rows]  # every layer's tables, the raw ones (seeds) aside


def test_day_by_day_replay_equals_full_refresh(replay: Replay) -> None:
    marts = mart_relations(replay.incremental.target_dir / "manifest.json")
    assert len(marts) >= 10, marts
    tables = all_materialized(replay.incremental)
    assert set(marts) <= set(tables)
    assert tables == all_materialized(replay.full_refresh)
    # every mart, and every other table of the build too, row for row
    differences = compare_relations(
        replay.incremental.database_path, replay.full_refresh.database_path, tables
    )
    assert differences == {}

    # the planted rows did what they were planted for
    with duckdb.connect(str(replay.incremental.database_path), read_only=True) as connection:
        reasons = dict(
            connection.execute(
                "select dq_reason_code, count(*) from quarantine.fct_quarantined_rows "
                "where raw_table = 'saas_user_activity' group by 1"
            ).fetchall()
        )
        assert reasons == {"duplicate_row": 1, "invalid_date": 2}
        new_site_months = connection.execute(
            "select month_start, events_total, storage_days from fct_site_months "
            "where site_id = ? order by 1",
            [NEW_SITE],
        ).fetchall()
        assert [(m.isoformat(), e) for m, e, _ in new_site_months] == [
            ("2024-05-01", 2),
            ("2024-06-01", 8),
        ]
        merged = connection.execute(
            "select d.registration_date, d.license_type from dim_users as d "
            "inner join intermediate.int_users_deduplicated as u using (user_key) "
            "where u.user_email = ?",
            [replay.facts["user2_email"]],
        ).fetchone()
        assert merged is not None
        assert (merged[0].isoformat(), merged[1]) == (
            replay.facts["user2_registration_date"],
            "Creator",
        )


def test_daily_job_twice_with_no_new_data_changes_nothing(replay: Replay) -> None:
    project = replay.incremental
    tables = all_materialized(project)
    before = snapshot(project)
    job = run_daily(project, "--as-of", (LAST_DAY + dt.timedelta(days=1)).isoformat())
    assert job.returncode == 0, job.stdout[-6000:] + job.stderr[-3000:]
    assert compare_relations(before, project.database_path, tables) == {}
    # with no new data, the incremental models rebuild their lookback window
    # only: its days (06-01 .. 06-04, in the log as date texts) and the one
    # month they fall in (dbt-duckdb reports no row counts: scopes are logged)
    assert rebuilt_months(project) == {
        "int_activity_aggregated_to_user_site_months": 1,
        "int_storage_aggregated_to_site_months": 1,
        "int_background_jobs_aggregated_to_site_months": 1,
    }
    # freshness ran as of the morning after the last day, and passed
    sources = json.loads((project.target_dir / "sources.json").read_text())
    assert {r["status"] for r in sources["results"]} == {"pass"}, sources["results"]


def test_stale_sources_make_the_daily_job_exit_3(replay: Replay) -> None:
    """Four days without data: freshness errors, and with --require-fresh the
    job exits 3 before building anything."""
    project = replay.incremental
    as_of = (LAST_DAY + dt.timedelta(days=4)).isoformat()
    job = run_daily(project, "--as-of", as_of, "--require-fresh")
    assert job.returncode == 3, job.stdout[-3000:] + job.stderr[-3000:]
    assert "--require-fresh: not building" in job.stdout and "$ dbt build" not in job.stdout
    sources = json.loads((project.target_dir / "sources.json").read_text())
    assert "error" in {result["status"] for result in sources["results"]}


def test_second_concurrent_run_fails_fast_and_first_is_unharmed(replay: Replay) -> None:
    project = replay.incremental
    tables = all_materialized(project)
    before = snapshot(project)
    command = [
        sys.executable,
        "-m",
        RUN_DAILY,
        "--project-dir",
        str(project.root),
        "--quiet",
        "--skip-freshness",
    ]
    lock = project.database_path.with_name(project.database_path.name + ".lock")
    lock.unlink(missing_ok=True)
    first = subprocess.Popen(
        command, env=project.full_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    started = time.perf_counter()
    second = subprocess.run(command, env=project.full_env(), capture_output=True, text=True)
    second_s = time.perf_counter() - started
    out, err = first.communicate(timeout=900)

    assert second.returncode == 75, second.stdout + second.stderr
    assert second_s < 10, f"the second run took {second_s:.1f} s to give up"
    assert "another run is using this database" in second.stderr
    assert first.returncode == 0, out[-6000:] + err[-3000:]
    assert compare_relations(before, project.database_path, tables) == {}

    # another process (not a job) holding the DuckDB file: said up front
    with duckdb.connect(str(project.database_path)):
        blocked = run_daily(project, "--skip-freshness")
    assert blocked.returncode == 75, blocked.stdout + blocked.stderr
    assert "is locked by another process" in blocked.stderr
    assert f"PID {os.getpid()}" in blocked.stderr


def test_killed_builds_complete_on_the_next_run(replay: Replay) -> None:
    """A new day arrives; its build is killed at random points, three times;
    the next run completes, and its marts equal an uninterrupted build's."""
    project, reference = replay.incremental, replay.full_refresh
    day = LAST_DAY + dt.timedelta(days=1)
    generate(project, replay.arrivals, day)
    load_raw(project)
    # the uninterrupted build: the same starting database, in the other copy
    shutil.copy(project.database_path, reference.database_path)
    reference.dbt("run", "--selector", "daily")

    typical_s = max(replay.daily_wall_s[:-1])
    rng = random.Random(20240607)
    command = [dbt_executable(), "run", "--selector", "daily"]
    killed, ended = [], []  # the signals that hit a running build; the builds that ended first
    for number, kill_signal in enumerate((signal.SIGKILL, signal.SIGTERM, signal.SIGKILL)):
        delay = rng.uniform(0.3 * typical_s, 0.95 * typical_s)
        for attempt in range(3):  # a build that ends before its kill is run again, killed sooner
            output = project.root / f"killed_run_{number}_{attempt}.log"
            with output.open("w") as log:
                started = time.monotonic()
                process = subprocess.Popen(
                    command,
                    cwd=project.root,
                    env=project.dbt_env(),  # as project.dbt's: its parse state is dbt's
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                try:
                    process.wait(timeout=delay)
                except subprocess.TimeoutExpired:
                    process.send_signal(kill_signal)
                    process.wait(timeout=60)
                    killed.append(kill_signal.name)
                    break
            took = time.monotonic() - started
            ended.append(f"exit {process.returncode} in {took:.1f} s: {output.read_text()[-800:]}")
            delay = 0.5 * took
    assert len(killed) == 3, f"builds ended before their kill ({typical_s:.1f} s typical): {ended}"
    project.dbt("run", "--selector", "daily")

    tables = all_materialized(reference)
    assert all_materialized(project) == tables, "a killed run left a relation behind"
    assert compare_relations(project.database_path, reference.database_path, tables) == {}
