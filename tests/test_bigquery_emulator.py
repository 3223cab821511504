"""The whole project on BigQuery SQL, against the local BigQuery API emulator.

One module-scoped fixture starts crucible-emulator from ``.venv-bq-emulator``
on a free loopback port, generates ``--scale small`` data once (three
customers: the emulator loads seeds at about a thousand rows a second), adds a
few dozen rows that break the data-quality rules (so that the quarantine path,
safe casts, regular expressions and duplicate detection are compared too), and
builds it twice at the same time: ``dbt seed`` + ``dbt build`` with dbt-bigquery against
the emulator (target ``bq_emulator``, a dataset of its own per run), and the
same on DuckDB. The tests then require the two warehouses to agree: every mart
row for row, the headline figures, the onboarding signal site lists, the user
keys (same hash for the same input), and the column types. Then a few late
and new activity rows are inserted into both raw tables and the models run
again, so the incremental models take their incremental path (on BigQuery an
insert_overwrite MERGE), and the marts must still agree. The emulator is
stopped by its PID at teardown.

Nothing here can reach Google: the emulator target's ``api_endpoint`` is
checked to be loopback, and the Python client is given the emulator endpoint
and anonymous credentials.

The builds run ``dbt build --exclude-resource-type seed`` after ``dbt seed``:
``dbt build`` would reload every seed (slow on the emulator), and its staging
views read ``source()``, not ``ref()``, so they would not wait for the seeds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from generator.config import SCALES
from orchestration.database import LOAD_TIME_COLUMNS
from orchestration.dbt_runner import REPO_ROOT, DbtError, DbtProject, dbt_executable
from scripts import bigquery_emulator
from tests.reference import user_key

pytestmark = [pytest.mark.bigquery, pytest.mark.dbt, pytest.mark.slow]

DBT_TIMEOUT_SECONDS = 900
# `--scale small` with fewer customers: ~12k raw rows instead of ~42k, which
# keeps the emulator's `dbt seed` near 15 s instead of near a minute. Every
# planted signal case is still present.
GENERATOR_ARGS = ("--scale", "small", "--customers", "3")
EMULATOR_THREADS = "8"  # the emulator build is per-query latency bound
DBT_TEST_VARS = "quarantine_max_share: 1"
LAYER_SCHEMAS = ("staging", "intermediate", "quarantine")  # dbt_project.yml: a schema per layer
# Warehouse-specific internal hashes (DuckDB hash() vs BigQuery md5 bits):
# equal within a warehouse, never across.
# Headline metrics summed per month from fct_site_months.
SITE_MONTH_SUMS = (
    "events_total",
    "active_users",
    "licensed_users",
    "new_users",
    "job_minutes_total",
    "job_runs",
    "storage_gib_avg",
)
SEGMENT_MARTS = {
    "seg_account_tier_months": "account_tier",
    "seg_region_months": "region",
    "seg_industry_months": "industry",
}
SEGMENT_COLUMNS = (
    "customers",
    "active_sites",
    "licensed_users",
    "active_users",
    "licence_utilisation",
    "events_total",
    "events_per_active_user",
    "storage_gib_avg",
    "job_minutes_total",
)
# DuckDB type -> the BigQuery (REST API) type the same column must have.
BIGQUERY_TYPE_OF_DUCKDB = {
    "VARCHAR": "STRING",
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "DOUBLE": "FLOAT",
    "DATE": "DATE",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP",
}


@dataclass
class Build:
    """One warehouse's build of the shared data set."""

    project: DbtProject
    dbt_vars: str
    timings: dict[str, float] = field(default_factory=dict)
    build_results: dict[str, str] = field(default_factory=dict)  # unique_id -> status

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``dbt ARGS --vars ...`` in the project copy, bounded in time; a
        non-zero exit raises DbtError unless ``check`` is false."""
        command = [dbt_executable(), *args, "--vars", self.dbt_vars]
        started = time.monotonic()
        try:
            result = subprocess.run(
                command,
                cwd=self.project.root,
                env={**os.environ, **self.project.env},
                capture_output=True,
                text=True,
                timeout=DBT_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired as exc:
            raise DbtError(f"dbt {' '.join(args)} ran over {DBT_TIMEOUT_SECONDS}s") from exc
        self.timings[f"dbt {args[0]}"] = time.monotonic() - started
        if check and result.returncode != 0:
            raise DbtError(
                f"dbt {' '.join(args)} [{self.project.env['DBT_TARGET']}] exited "
                f"{result.returncode}\n{result.stdout[-8000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def seed_and_build(self) -> Build:
        self.dbt("seed")
        self.dbt("build", "--exclude-resource-type", "seed")
        results = self.artifact("run_results.json")["results"]
        self.build_results = {result["unique_id"]: result["status"] for result in results}
        return self

    def artifact(self, name: str) -> dict[str, Any]:
        return json.loads((self.project.root / "target" / name).read_text())


@dataclass
class Warehouses:
    """Both builds, plus readers that return plain Python rows from each."""

    bigquery: Build
    duckdb: Build
    client: bigquery.Client
    dataset: str
    timings: dict[str, float]

    def bq_rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the emulator; ``{t}`` names the marts' dataset,
        ``{intermediate}`` (and each other layer) that layer's."""
        datasets = {layer: f"`demo.{self.dataset}_{layer}`" for layer in LAYER_SCHEMAS}
        query = sql.format(t=f"`demo.{self.dataset}`", **datasets)
        return [tuple(row.values()) for row in self.client.query(query).result()]

    def duck_rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` on the DuckDB build; the same names, its schemas."""
        with duckdb.connect(str(self.duckdb.project.database_path), read_only=True) as con:
            schemas = {layer: layer for layer in LAYER_SCHEMAS}
            return con.execute(sql.format(t="main", **schemas)).fetchall()

    def place(self, model: str) -> str:
        """The placeholder of ``model``'s schema in ``bq_rows``/``duck_rows``."""
        schema = self.duckdb.project.relation(model).split(".")[0]
        return "t" if schema == "main" else schema

    def bq_table(self, model: str) -> bigquery.Table:
        place = self.place(model)
        dataset = self.dataset if place == "t" else f"{self.dataset}_{place}"
        return self.client.get_table(f"demo.{dataset}.{model}")

    def both(self, sql: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        return self.bq_rows(sql), self.duck_rows(sql)

    def marts(self) -> list[str]:
        """Every model under models/marts, from the DuckDB build's manifest."""
        nodes = self.duckdb.artifact("manifest.json")["nodes"].values()
        return sorted(
            node["name"]
            for node in nodes
            if node["resource_type"] == "model"
            and node["original_file_path"].startswith("models/marts/")
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_emulator_target_is_loopback(project: DbtProject) -> None:
    """Never let fake credentials reach Google's real endpoints."""
    profiles = yaml.safe_load((project.root / "profiles.yml").read_text())
    target = profiles["saas_usage"]["outputs"]["bq_emulator"]
    assert target["method"] == "oauth-secrets", target
    assert str(target["api_endpoint"]).startswith("http://127.0.0.1:"), target
    assert int(target["job_retries"]) == 0, target


def _append_rule_breaking_rows(seeds: Path) -> None:
    """Append rows that the data-quality models must quarantine or normalise.

    Built from the generated ids, so they stay valid where they must be.
    """

    def read(table: str) -> list[dict[str, str]]:
        with (seeds / f"{table}.csv").open(newline="") as handle:
            return list(csv.DictReader(handle))

    def append(table: str, rows: list[list[str]]) -> None:
        with (seeds / f"{table}.csv").open("a", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)

    customers, sites, users = read("saas_customer_info"), read("saas_sites"), read("saas_users")
    customer = customers[0]
    cid = customer["customer_id"]
    site = next(s["site_id"] for s in sites if s["customer_id"] == cid)
    other_site = next(s["site_id"] for s in sites if s["customer_id"] != cid)
    user = next(u for u in users if u["customer_id"] == cid)
    email, reg = user["user_email"], user["registration_date"]
    append(
        "saas_customer_info",
        [
            list(customer.values()),  # exact duplicate
            [cid, "Retail", "APAC", "SMB", "dup@example.com"],  # duplicate key
            ["12345", "Finance", "EMEA", "SMB", "short@example.com"],  # malformed key
            ["1000009001", "Finance", "Mars", "SMB", "x@example.com"],  # unknown region
            ["1000009002", " finance ", "emea", "smb", "Boss@Example.COM"],  # normalised
            ["1000009003", "", "EMEA", "SMB", "no-at-sign"],  # missing industry
        ],
    )
    append("saas_internal_accounts", [["1000009002", "sales demo tenant"]])
    append(
        "saas_sites",
        [
            [site, cid],  # exact duplicate
            ["A99999999999", "1000009999"],  # unknown customer
            ["B123", cid],  # malformed key
            ["a77777777777", "1000009002"],  # lower case: normalised
        ],
    )
    append(
        "saas_users",
        [
            [cid, site, "not-an-email", reg, "Viewer"],
            [cid, site, "late@example.com", "2024-02-30", "Viewer"],
            [cid, site, "admin@example.com", reg, "Admin"],
            [cid, other_site, "mismatch@example.com", reg, "Viewer"],
            [cid, site, email.upper(), "2024-01-01", "Creator"],  # duplicate key (case)
        ],
    )
    append(
        "saas_user_activity",
        [
            [cid, email, site, "2024/03/01", "View", "3"],
            [cid, email, site, "2024-03-01", "Browse", "3"],
            [cid, email, site, "2024-03-02", "View", "-3"],
            [cid, email, site, "2024-03-03", "View", "4.5"],
            [cid, email, site, "2024-03-04", "View", ""],
            [cid, "ghost@example.com", site, "2024-03-05", "View", "2"],
            [cid, email, "A99999999999", "2024-03-06", "View", "2"],
            [cid, email, other_site, "2024-03-07", "View", "2"],
            [cid, email.upper(), site, "2024-06-30", " view ", "7"],
            [cid, email, site, "2024-06-30", "View", "8"],  # same key, other count
            [cid, email, site, "2024-06-29", "Publish", "1"],
            [cid, email, site, "2024-06-29", "Publish", "1"],  # exact duplicate
        ],
    )
    append(
        "saas_storage",
        [
            [cid, site, "2024-01-05", "-5"],
            [cid, site, "2024-13-01", "10"],
            [cid, site, "2024-06-30", "99999999999999999999"],
            [cid, site, "2024-06-28", "123"],
            [cid, site, "2024-06-28", "124"],  # same key, other value
            [cid, site, "2024-06-27", "55"],
            [cid, site, "2024-06-27", "55"],  # exact duplicate
        ],
    )
    append(
        "saas_background_jobs",
        [
            [cid, site, "2024-03-01", "extract", "abc"],
            [cid, site, "2024-03-01", "backup", "5"],
            [cid, site, "2024-03-01", "Flow Run", "5"],  # normalised
            [cid, site, "2024-03-01", "alert", "-1"],
            [cid, "A99999999999", "2024-03-01", "alert", "1"],
        ],
    )


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouses]:
    started = time.monotonic()
    timings: dict[str, float] = {}
    root = tmp_path_factory.mktemp("bigquery_emulator")
    port = _free_port()
    pidfile, log = root / "emulator.pid", root / "emulator.log"
    try:
        bigquery_emulator.start(port, pidfile, log, timeout=60)
    except bigquery_emulator.EmulatorError as exc:
        pytest.fail(f"cannot start the BigQuery emulator: {exc}", pytrace=False)
    timings["emulator start"] = time.monotonic() - started
    try:
        dataset = f"ci_{uuid.uuid4().hex[:10]}"  # a CI run's dataset, as the target requires
        bq_project = DbtProject.copy_of_repo(
            root / "bigquery",
            DBT_TARGET="bq_emulator",
            BQ_EMULATOR_PORT=str(port),
            BQ_EMULATOR_DATASET=dataset,
            DBT_THREADS=EMULATOR_THREADS,
        )
        _assert_emulator_target_is_loopback(bq_project)
        duck_project = DbtProject.copy_of_repo(root / "duckdb")

        generate_started = time.monotonic()
        bq_project.generate(*GENERATOR_ARGS)
        _append_rule_breaking_rows(bq_project.seeds_dir)
        for csv_file in bq_project.seeds_dir.glob("saas_*.csv"):
            shutil.copy(csv_file, duck_project.seeds_dir / csv_file.name)
        timings["generate small"] = time.monotonic() - generate_started

        # The rule-breaking rows exceed the build's quarantine-share guard.
        # Raw tables follow the target: <dataset>_raw on BigQuery, raw on DuckDB.
        bq_build = Build(bq_project, f"{{{DBT_TEST_VARS}}}")
        duck_build = Build(duck_project, f"{{{DBT_TEST_VARS}}}")
        builds_started = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(b.seed_and_build) for b in (bq_build, duck_build)]
            for future in futures:
                future.result()
        timings["both builds (concurrent)"] = time.monotonic() - builds_started
        timings.update({f"bigquery {k}": v for k, v in bq_build.timings.items()})
        timings.update({f"duckdb {k}": v for k, v in duck_build.timings.items()})

        client = bigquery.Client(
            project="demo",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": bigquery_emulator.endpoint(port)},
        )
        timings["fixture total"] = time.monotonic() - started
        yield Warehouses(bq_build, duck_build, client, dataset, timings)
        client.close()
    finally:
        bigquery_emulator.stop(pidfile)


# --------------------------------------------------------------------------
# comparison helpers
# --------------------------------------------------------------------------
def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    """Order rows alike on both sides: floats rounded so noise cannot reorder."""
    return tuple(
        (value is None, f"{value:.6g}" if isinstance(value, float) else str(value)) for value in row
    )


def _same_value(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        if math.isnan(left) and math.isnan(right):
            return True
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


def assert_same_rows(
    name: str, bq: list[tuple[Any, ...]], duck: list[tuple[Any, ...]], columns: list[str]
) -> None:
    assert len(bq) == len(duck), f"{name}: {len(bq)} rows on BigQuery, {len(duck)} on DuckDB"
    for bq_row, duck_row in zip(
        sorted(bq, key=_sort_key), sorted(duck, key=_sort_key), strict=True
    ):
        for column, left, right in zip(columns, bq_row, duck_row, strict=True):
            assert _same_value(left, right), (
                f"{name}.{column}: BigQuery {left!r} vs DuckDB {right!r}\n"
                f"  BigQuery row: {dict(zip(columns, bq_row, strict=True))}\n"
                f"  DuckDB row:   {dict(zip(columns, duck_row, strict=True))}"
            )


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------
def test_build_on_emulator_runs_every_model_and_test(warehouses: Warehouses) -> None:
    """Same nodes with the same outcome on both warehouses; nothing failed."""

    bq, duck = warehouses.bigquery.build_results, warehouses.duckdb.build_results
    assert set(bq) == set(duck)
    bad = {node: status for node, status in bq.items() if status in ("error", "fail", "skipped")}
    assert not bad, f"not successful on the emulator: {bad}"
    differ = {node: (bq[node], duck[node]) for node in bq if bq[node] != duck[node]}
    assert not differ, f"outcome differs (BigQuery, DuckDB): {differ}"
    kinds = {
        kind: sum(node.startswith(kind + ".") for node in bq)
        for kind in ("model", "test", "unit_test")
    }
    assert kinds["model"] > 0
    assert kinds["test"] > 0
    print(f"emulator build: {kinds}")


CONTRACT_MARTS = (
    "fct_site_months",
    "fct_user_months",
    "fct_quarantined_rows",
    "seg_months",
    "dim_customers",
    "dim_sites",
    "dim_users",
    "seg_account_tier_months",
    "seg_region_months",
    "seg_industry_months",
    "onboarding_site_signals",
    "customer_license_months",
    "customer_background_job_months",
    "rpt_site_month_usage_long",
)


@pytest.mark.parametrize("mart", CONTRACT_MARTS)
def test_contract_mart_is_identical_on_both(warehouses: Warehouses, mart: str) -> None:
    _assert_table_identical(warehouses, mart)


def test_every_mart_is_identical_on_both(warehouses: Warehouses) -> None:
    """The other marts: any added later."""
    marts = warehouses.marts()
    assert set(CONTRACT_MARTS) <= set(marts)
    for mart in marts:
        if mart not in CONTRACT_MARTS:
            _assert_table_identical(warehouses, mart, allow_empty=True)


def _assert_table_identical(warehouses: Warehouses, table: str, allow_empty: bool = False) -> None:
    schema = warehouses.bq_table(table).schema
    columns = [f.name for f in schema if f.name not in LOAD_TIME_COLUMNS]  # differ per build
    sql = f"select {', '.join(columns)} from {{{warehouses.place(table)}}}.{table}"
    bq, duck = warehouses.both(sql)
    assert bq or allow_empty, f"{table} is empty: the comparison would prove nothing"
    assert_same_rows(table, bq, duck, columns)


def test_quarantine_reason_counts_match(warehouses: Warehouses) -> None:
    """The appended rule-breaking rows land in quarantine alike on both."""
    sql = (
        "select raw_table, dq_reason_code, count(*) as n from {quarantine}.fct_quarantined_rows "
        "group by raw_table, dq_reason_code order by raw_table, dq_reason_code"
    )
    bq, duck = warehouses.both(sql)
    tables = {row[0] for row in bq}
    assert len(tables) == 6, f"the rule-breaking rows did not reach every raw table: {tables}"
    assert bq == duck, f"BigQuery {bq} vs DuckDB {duck}"


def test_column_types_match(warehouses: Warehouses) -> None:
    """DATE stays DATE (no DATETIME/TIMESTAMP), floats are 64-bit on both."""
    mismatches = []
    for mart in warehouses.marts():
        bq_types = {f.name: f.field_type for f in warehouses.bq_table(mart).schema}
        duck_types = dict(
            warehouses.duck_rows(
                "select column_name, data_type from information_schema.columns "
                f"where table_name = '{mart}'"
            )
        )
        assert set(bq_types) == set(duck_types), mart
        for column, duck_type in duck_types.items():
            expected = BIGQUERY_TYPE_OF_DUCKDB.get(duck_type, f"no match for DuckDB {duck_type}")
            if bq_types[column] != expected:
                mismatches.append(
                    f"{mart}.{column}: BigQuery {bq_types[column]}, DuckDB {duck_type}"
                )
    assert not mismatches, "\n".join(mismatches)


def test_headline_site_month_figures_match(warehouses: Warehouses) -> None:
    sums = ", ".join(f"sum({column}) as {column}" for column in SITE_MONTH_SUMS)
    sql = (
        f"select month_start, count(*) as site_months, {sums} "
        "from {t}.fct_site_months group by month_start order by month_start"
    )
    bq, duck = warehouses.both(sql)
    assert len(bq) >= 6, "small data spans six months"
    assert_same_rows(
        "fct_site_months by month", bq, duck, ["month_start", "site_months", *SITE_MONTH_SUMS]
    )
    assert sum(row[2] for row in bq) > 0, "no events at all"


@pytest.mark.parametrize("mart", sorted(SEGMENT_MARTS))
def test_segment_mart_values_match(warehouses: Warehouses, mart: str) -> None:
    segment = SEGMENT_MARTS[mart]
    columns = [segment, "month_start", *SEGMENT_COLUMNS]
    sql = f"select {', '.join(columns)} from {{t}}.{mart} order by {segment}, month_start"
    bq, duck = warehouses.both(sql)
    assert_same_rows(mart, bq, duck, columns)


def test_onboarding_signal_site_lists_match(warehouses: Warehouses) -> None:
    schema = warehouses.client.get_table(
        f"demo.{warehouses.dataset}.onboarding_site_signals"
    ).schema
    signals = [f.name for f in schema if f.name.startswith("is_") and f.field_type == "BOOLEAN"]
    assert {"is_high_activity_no_storage", "is_slow_ramp", "is_stalled"} <= set(signals)
    for signal in signals:
        sql = f"select site_id from {{t}}.onboarding_site_signals where {signal} order by site_id"
        bq, duck = warehouses.both(sql)
        assert bq == duck, f"{signal}: BigQuery {bq} vs DuckDB {duck}"


def test_user_keys_are_the_same_hash_on_both(warehouses: Warehouses) -> None:
    """user_key: the same keyed hash on both warehouses (tests/reference.py)."""
    sql = "select user_key from {t}.dim_users"
    bq, duck = warehouses.both(sql)
    bq_keys, duck_keys = {row[0] for row in bq}, {row[0] for row in duck}
    assert bq_keys == duck_keys
    assert len(bq_keys) == len(bq), "user_key is not unique"
    users = pd.read_csv(
        warehouses.bigquery.project.seeds_dir / "saas_users.csv", dtype=str, nrows=20
    )
    for row in users.itertuples():
        expected = user_key(row.customer_id.strip(), row.user_email.strip())
        assert expected in bq_keys, f"{row.user_email} -> {expected} missing from dim_users"


def test_bigquery_physical_design_is_config_only(warehouses: Warehouses) -> None:
    """Partitioned and clustered on BigQuery; none of it in the DuckDB build."""
    fct = warehouses.client.get_table(f"demo.{warehouses.dataset}.fct_site_months")
    assert fct.time_partitioning is not None
    assert fct.time_partitioning.field == "month_start"
    assert fct.time_partitioning.type_ == "MONTH"
    assert fct.clustering_fields == ["customer_id", "site_id"]

    nodes = warehouses.duckdb.artifact("manifest.json")["nodes"]
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        config = node["config"]
        assert config.get("partition_by") is None, node["name"]
        assert config.get("cluster_by") is None, node["name"]
        assert not config.get("grants"), node["name"]
    run_sql = (
        warehouses.duckdb.project.root
        / "target/run/saas_usage/models/marts/core/fct_site_months.sql"
    ).read_text()
    # (a window's "partition by" is SQL, not physical design)
    assert "partitioned by" not in run_sql.lower()
    assert "cluster" not in run_sql.lower()


# --------------------------------------------------------------------------
# a second, incremental run: late and new rows arrive in the raw tables
# --------------------------------------------------------------------------
def test_source_freshness_reads_the_same_dates_on_both(
    warehouses: Warehouses, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily job's first step, on both: every feed's latest date as the
    same timestamp, and the same verdict, as of the day after the data (the
    daily feeds are then fresh; three customers' registrations may not be)."""
    as_of = SCALES["small"].end + dt.timedelta(days=1)
    monkeypatch.setenv("SAAS_FRESHNESS_AS_OF", as_of.isoformat())
    found = {}
    for name, build in (("bigquery", warehouses.bigquery), ("duckdb", warehouses.duckdb)):
        build.dbt("source", "freshness", check=False)
        results = build.artifact("sources.json")["results"]
        found[name] = {
            result["unique_id"].rsplit(".", 1)[1]: (result["status"], result["max_loaded_at"][:19])
            for result in results
        }
    assert found["bigquery"] == found["duckdb"]
    daily_feeds = ("saas_user_activity", "saas_storage", "saas_background_jobs")
    assert {found["duckdb"][feed] for feed in daily_feeds} == {
        ("pass", SCALES["small"].end.isoformat() + "T00:00:00")
    }


@pytest.fixture(scope="module")
def after_incremental_run(warehouses: Warehouses) -> Warehouses:
    """Append activity rows (a late day and a new month) on both warehouses,
    then run the models again: incremental models take their incremental
    path (BigQuery: insert_overwrite MERGE of the changed partitions)."""
    started = time.monotonic()
    sql = (
        "select customer_id, user_email, site_id from {intermediate}.int_users_deduplicated "
        "inner join {intermediate}.int_user_site_assignments using (user_key, customer_id) "
        "order by customer_id, user_email, site_id limit 1"
    )
    customer_id, email, site_id = warehouses.duck_rows(sql)[0]
    new_rows = [
        (customer_id, email, site_id, "2024-02-10", "View", "11"),  # late, old day
        (customer_id, email, site_id, "2024-07-02", "Create", "5"),  # new month
        (customer_id, email, site_id, "2024-07-02", "View", "9"),
    ]
    values = ", ".join("(" + ", ".join(f"'{value}'" for value in row) + ")" for row in new_rows)
    insert = (
        "insert into {t}.saas_user_activity "
        "(customer_id, user_email, site_id, date, activity_type, event_count) "
        f"values {values}"
    )
    warehouses.client.query(insert.format(t=f"`demo.{warehouses.dataset}_raw`")).result()
    with duckdb.connect(str(warehouses.duckdb.project.database_path)) as con:
        con.execute(insert.format(t="raw"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(build.dbt, "run") for build in (warehouses.bigquery, warehouses.duckdb)
        ]
        for future in futures:
            future.result()
    warehouses.timings["incremental runs (concurrent)"] = time.monotonic() - started
    return warehouses


def test_incremental_run_takes_the_merge_path_on_bigquery(
    after_incremental_run: Warehouses,
) -> None:
    run_sql = (
        after_incremental_run.bigquery.project.root
        / "target/run/saas_usage/models/intermediate/data_quality/int_user_activity_checked.sql"
    ).read_text()
    assert "merge into" in run_sql.lower(), run_sql[:2000]
    assert "declare" not in run_sql.lower(), "BigQuery scripting: the emulator rejects it"


@pytest.mark.parametrize("mart", ["fct_site_months", "seg_region_months", "dim_users"])
def test_marts_agree_after_incremental_run(after_incremental_run: Warehouses, mart: str) -> None:
    _assert_table_identical(after_incremental_run, mart)


def test_incremental_run_picked_up_the_new_rows(after_incremental_run: Warehouses) -> None:
    sql = "select max(month_start) from {t}.fct_site_months"
    bq, duck = after_incremental_run.both(sql)
    assert bq == duck == [(dt.date(2024, 7, 1),)]


def test_wall_time(warehouses: Warehouses, capsys: pytest.CaptureFixture[str]) -> None:
    """Reports where the fixture's time went (shown with -s or -rA)."""
    with capsys.disabled():
        print("\nBigQuery emulator comparison timings:")
        for phase, seconds in warehouses.timings.items():
            print(f"  {phase:<32} {seconds:6.1f}s")
    assert warehouses.timings["fixture total"] < DBT_TIMEOUT_SECONDS


def test_emulator_is_loopback_only() -> None:
    assert bigquery_emulator.HOST == "127.0.0.1"
    assert (REPO_ROOT / "requirements-bq-emulator.txt").read_text().count("crucible-emulator==")
