#!/usr/bin/env python3
"""Benchmark the whole pipeline against its baselines: ``make bench``.

For each scale (``--scales small,demo`` by default; ``large`` on request), in
a copy of the project under a work folder (the working tree is not touched),
every step runs as its own process, timed (wall) and watched for memory:

========================  ===================================================
step                      command
========================  ===================================================
generate                  ``generate_saas_data.py --scale S`` (CSV; Parquet at
                          ``large``)
load                      ``dbt seed`` (``large``: the raw tables are external
                          Parquet sources, nothing to load but the
                          ``saas_internal_accounts`` lookup)
build                     ``dbt build --exclude resource_type:seed`` (``large``:
                          unit tests excluded too, they need seeded tables)
startup                   ``dbt parse`` with partial parsing warm: dbt's fixed
                          start-up, paid by every command
daily_load, daily_build   the daily job when one day arrives: the data set is
                          rolled back to its second-to-last day with an
                          incremental run (not timed), then the last day
                          arrives: ``dbt seed`` (``daily_load``; Parquet: none)
                          and ``dbt build --selector daily`` (``daily_build``)
test (``--with-tests``)   the full test command (``make test``), once
========================  ===================================================

and, in the same run, the baselines (each its own process too):

* ``faker``: one-row-at-a-time Faker generation of as many activity rows
  (``bench_generate.py``'s baseline; not at ``large``, it would take hours);
* ``read_csv``: DuckDB's own ``read_csv`` of the same CSV files into a fresh
  DuckDB file (``create table ... as select * from read_csv(..., all_varchar)``):
  the load limit;
* ``handwritten``: ``bench/sql/handwritten_marts.sql`` run directly
  with the duckdb module over the same raw tables (the ``read_csv`` file; at
  ``large``, views over the Parquet files): the transform limit. Its
  fct_site_months and segment marts are compared with dbt's, row for row.

Ratios (lower is better): generation wall / Faker wall (target <= 1/20), the
seeds' execution time in ``run_results.json`` / the ``read_csv`` query time
(target <= 3 at demo), the build's summed model execution time / the
hand-written SQL's query time (target <= 2 at demo; at ``large`` the wall
times, target <= 2), the daily build's model execution time / the full
build's (target < 0.2). Demo end to end (generate + load + build wall) < 60 s;
``large`` peak memory < 8 GB.

Peak memory of a step is the larger of (a) the summed resident memory of the
process tree, polled every 50 ms with psutil, and (b) the largest single
process's maximum resident set size from the kernel (``os.wait4``). DuckDB runs
inside the dbt process with the profile's ``memory_limit``
(``DBT_DUCKDB_MEMORY_LIMIT``, default 4GB; ``--memory-limit``) and threads.

Wall times include waiting for the CPU: on a shared machine they grow with the
load. The load average before and after each scale is recorded, each step's
CPU time too; ``--repeat N`` runs every scale N times (the summary is the
median, peak memory the maximum). Prints a table and writes JSON::

    python -m bench                                # small and demo
    python -m bench --scales demo --repeat 3
    python -m bench --scales large --out bench/results/bench-large.json
    python -m bench --scales small,demo --with-tests
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.dbt_runner import DBT, REPO_ROOT, execution_seconds, status_counts
from orchestration.dbt_runner import DbtProject as Project

BENCH_DIR = Path(__file__).resolve().parent

GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"
HANDWRITTEN_SQL = BENCH_DIR / "sql" / "handwritten_marts.sql"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "bench.json"
SCALES = ("small", "demo", "large")
RAW_TABLES = (
    "saas_customer_info",
    "saas_sites",
    "saas_storage",
    "saas_users",
    "saas_user_activity",
    "saas_background_jobs",
)
LOOKUP_SEED = "saas_internal_accounts"
TARGETS = {
    "generate_vs_faker": 1 / 20,
    "load_vs_read_csv": 3.0,
    "build_vs_handwritten": 2.0,
    "daily_vs_full_build": 0.2,
    "demo_end_to_end_s": 60.0,
    "large_peak_mb": 8 * 1024,
}
# hand-written marts compared with dbt's: (table, key columns)
COMPARED_MARTS = (
    ("fct_site_months", ("site_id", "month_start")),
    ("seg_account_tier_months", ("account_tier", "month_start")),
    ("seg_region_months", ("region", "month_start")),
    ("seg_industry_months", ("industry", "month_start")),
)


# --------------------------------------------------------------------------
# Measuring one process (tree)
# --------------------------------------------------------------------------
@dataclass
class Measured:
    """One finished child process: its exit code, times, memory and output."""

    command: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    peak_mb: float
    tree_peak_mb: float
    largest_process_mb: float
    output: str
    peaks_by_command: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def row(self) -> dict[str, Any]:
        return {
            "command": " ".join(self.command),
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 2),
            "peak_mb": round(self.peak_mb, 1),
            "tree_peak_mb": round(self.tree_peak_mb, 1),
            "largest_process_mb": round(self.largest_process_mb, 1),
        }


def _command_key(cmdline: list[str]) -> str:
    """A short name of a process for the per-command peaks (dbt subcommand, script)."""
    words = [Path(cmdline[0]).name, *cmdline[1:]] if cmdline else ["?"]
    if len(words) > 1 and words[0].startswith("python"):
        words = [Path(words[1]).name, *words[2:]]
    return " ".join(words)[:160]


def measure(
    command: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    poll_s: float = 0.05,
) -> Measured:
    """Run ``command``; wall and CPU time, peak memory of its process tree, output."""
    import psutil

    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        done = threading.Event()
        tree_peak = [0]
        by_command: dict[str, int] = {}

        def poll() -> None:
            try:
                root = psutil.Process(process.pid)
            except psutil.Error:
                return
            while not done.is_set():
                total = 0
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    break
                for proc in procs:
                    try:
                        rss = proc.memory_info().rss
                        key = _command_key(proc.cmdline())
                    except psutil.Error:
                        continue
                    total += rss
                    by_command[key] = max(by_command.get(key, 0), rss)
                tree_peak[0] = max(tree_peak[0], total)
                done.wait(poll_s)

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        watcher.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read().decode(errors="replace")
    mb = 1024 * 1024
    largest = usage.ru_maxrss / 1024  # kB on Linux: the largest process of the tree
    tree = tree_peak[0] / mb
    return Measured(
        command=list(command),
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mb=max(tree, largest),
        tree_peak_mb=tree,
        largest_process_mb=largest,
        output=output,
        peaks_by_command={k: round(v / mb, 1) for k, v in by_command.items()},
    )


def must(run: Measured, what: str) -> Measured:
    if not run.ok:
        print(run.output[-6000:], file=sys.stderr)
        raise SystemExit(f"bench: {what} failed (exit {run.returncode}): {' '.join(run.command)}")
    return run


# --------------------------------------------------------------------------
# Baseline workers (run as `bench.py --worker ...` child processes)
# --------------------------------------------------------------------------
def worker_read_csv(data: Path, database: Path, memory_limit: str) -> dict[str, Any]:
    """Load every raw CSV (and the lookup) with DuckDB's read_csv, all columns text."""
    import duckdb

    database.unlink(missing_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute(f"set memory_limit = '{memory_limit}'")
    connection.execute("create schema raw")
    per_table: dict[str, float] = {}
    for name in (*RAW_TABLES, LOOKUP_SEED):
        started = time.perf_counter()
        connection.execute(
            f"create table raw.{name} as select * from "
            f"read_csv('{data / (name + '.csv')}', header = true, all_varchar = true)"
        )
        per_table[name] = round(time.perf_counter() - started, 4)
    rows = connection.execute("select count(*) from raw.saas_user_activity").fetchone()
    connection.close()
    return {"query_s": round(sum(per_table.values()), 4), "per_table_s": per_table, "rows": rows}


def handwritten_statements() -> list[tuple[str, str]]:
    """The statements of handwritten_marts.sql with a short label each."""
    statements = []
    for chunk in re.split(r";\s*\n", HANDWRITTEN_SQL.read_text()):
        lines = [line for line in chunk.splitlines() if line.strip()]
        code = [line for line in lines if not line.lstrip().startswith("--")]
        if code:
            label = re.sub(r"\s+", " ", code[0]).strip()[:70]
            statements.append((label, "\n".join(lines)))
    return statements


def worker_handwritten(
    database: Path, memory_limit: str, parquet: Path | None, threads: int | None
) -> dict[str, Any]:
    """Run the hand-written SQL over schema raw of ``database``; time each statement.

    With ``parquet``, the raw tables are first declared as views over the
    Parquet files (what dbt's external sources read), so nothing is loaded.
    """
    import duckdb

    if parquet is not None:
        database.unlink(missing_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        connection.execute(f"set threads = {threads}")
    if parquet is not None:
        connection.execute("create schema raw")
        for name in RAW_TABLES:
            connection.execute(
                f"create view raw.{name} as select * from "
                f"read_parquet('{parquet / (name + '.parquet')}/*.parquet')"
            )
        lookup = parquet / f"{LOOKUP_SEED}.csv"
        connection.execute(
            f"create table raw.{LOOKUP_SEED} as select * from "
            f"read_csv('{lookup}', header = true, all_varchar = true)"
        )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for label, sql in handwritten_statements():
        t = time.perf_counter()
        connection.execute(sql)
        timings[label] = round(time.perf_counter() - t, 4)
    total = time.perf_counter() - started
    connection.close()
    slowest = dict(sorted(timings.items(), key=lambda kv: -kv[1])[:6])
    return {"query_s": round(total, 4), "slowest_statements_s": slowest}


# --------------------------------------------------------------------------
# Comparing the hand-written marts with dbt's
# --------------------------------------------------------------------------
def compare_marts(handwritten_db: Path, dbt_db: Path) -> dict[str, Any]:
    """Row-for-row comparison of hw.<mart> with dbt's main.<mart> on hw's columns.

    Doubles agree to 1e-9 relative (sums of floats may round differently when
    added in another order); every other column exactly (null-safe).
    """
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"attach '{handwritten_db}' as hw_db (read_only)")
    connection.execute(f"attach '{dbt_db}' as dbt_db (read_only)")
    result: dict[str, Any] = {}
    for table, keys in COMPARED_MARTS:
        columns = connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'hw_db' and table_schema = 'hw' and table_name = ? "
            "order by ordinal_position",
            [table],
        ).fetchall()
        conditions = []
        for name, kind in columns:
            if name in keys:
                continue
            if kind in ("DOUBLE", "FLOAT"):
                conditions.append(
                    f"(h.{name} is null) <> (d.{name} is null) or abs(h.{name} - d.{name}) "
                    f"> 1e-9 * greatest(1, abs(d.{name}))"
                )
            else:
                conditions.append(f"h.{name} is distinct from d.{name}")
        join = " and ".join(f"h.{k} = d.{k}" for k in keys)
        differing = " or ".join(f"({c})" for c in conditions)
        row = connection.execute(
            f"""
            select
                (select count(*) from hw_db.hw.{table}) as handwritten_rows,
                (select count(*) from dbt_db.main.{table}) as dbt_rows,
                count(*) filter (where d.{keys[0]} is null) as only_handwritten,
                count(*) filter (where h.{keys[0]} is null) as only_dbt,
                count(*) filter (where h.{keys[0]} is not null and d.{keys[0]} is not null
                                 and ({differing})) as differing_rows
            from hw_db.hw.{table} as h
            full outer join dbt_db.main.{table} as d on {join}
            """
        ).fetchone()
        assert row is not None
        names = ("handwritten_rows", "dbt_rows", "only_handwritten", "only_dbt", "differing_rows")
        entry = dict(zip(names, row, strict=True))
        entry["match"] = (
            entry["only_handwritten"] == entry["only_dbt"] == entry["differing_rows"] == 0
        )
        result[table] = entry
    connection.close()
    return {"all_match": all(e["match"] for e in result.values()), "marts": result}


# --------------------------------------------------------------------------
# One scale
# --------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    import duckdb
    import psutil

    cpu_model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    def package(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "dbt_core": package("dbt-core"),
        "dbt_duckdb": package("dbt-duckdb"),
        "duckdb": duckdb.__version__,
        "psutil": psutil.__version__,
    }


def run_results_summary(project: Project) -> dict[str, Any]:
    results = project.run_results()

    def slowest(kind: str) -> dict[str, float]:
        # unique ids are `<kind>.<project>.<name>` (tests: `.<hash>` after it)
        times = {
            r["unique_id"].split(".")[2]: round(r["execution_time"], 2)
            for r in results["results"]
            if r["unique_id"].startswith(kind + ".")
        }
        return dict(sorted(times.items(), key=lambda kv: -kv[1])[:8])

    return {
        "model_execution_s": round(execution_seconds(results, "model"), 3),
        "test_execution_s": round(execution_seconds(results, "test"), 3),
        "unit_test_execution_s": round(execution_seconds(results, "unit_test"), 3),
        "seed_execution_s": round(execution_seconds(results, "seed"), 3),
        "dbt_elapsed_s": round(results.get("elapsed_time", 0.0), 3),
        "nodes": status_counts(results),
        "slowest_models_s": slowest("model"),
        "slowest_tests_s": slowest("test"),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def count_csv_rows(path: Path) -> int:
    n = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            n += chunk.count(b"\n")
    return n - 1


class ScaleRun:
    """One run of the pipeline and its baselines at one scale, in ``workdir``."""

    def __init__(self, args: argparse.Namespace, scale: str, workdir: Path) -> None:
        from generator.config import SCALES as SCALE_PROFILES

        self.args = args
        self.scale = scale
        self.profile = SCALE_PROFILES[scale]
        self.parquet = self.profile.fmt == "parquet"
        self.workdir = workdir
        env = {"DBT_DUCKDB_MEMORY_LIMIT": args.memory_limit}
        if args.threads:
            env["DBT_THREADS"] = str(args.threads)
        self.project = Project.copy_of(REPO_ROOT, workdir / "project", **env)
        self.data = workdir / "data" if self.parquet else self.project.seeds_dir
        # Parquet: dbt reads `raw_parquet_path` = this link to the data folder, so
        # the daily step can swap the data under it without changing dbt's vars
        # (a change of vars costs a full re-parse)
        self.raw_link = workdir / "raw_parquet"
        self.rows = 0
        self.steps: dict[str, dict[str, Any]] = {}
        self.baselines: dict[str, dict[str, Any]] = {}

    # -- helpers -----------------------------------------------------------
    def log(self, message: str) -> None:
        print(f"bench [{self.scale}] {message}", flush=True)

    def vars_args(self) -> list[str]:
        if not self.parquet:
            return []
        raw = {"raw_parquet_path": str(self.raw_link), "raw_loaded_by_seeds": False}
        return ["--vars", json.dumps(raw)]

    def point_raw_at(self, data: Path) -> None:
        self.raw_link.unlink(missing_ok=True)
        self.raw_link.symlink_to(data, target_is_directory=True)

    def dbt(self, *args: str) -> Measured:
        return measure([DBT, *args], cwd=self.project.root, env=self.project.full_env())

    def generator(self, out: Path, *extra: str) -> list[str]:
        return [
            sys.executable, str(GENERATOR), "--scale", self.scale, "--seed", str(self.args.seed),
            "--out", str(out), "--quiet", *extra,
        ]  # fmt: skip

    def install_lookup(self, data: Path) -> None:
        """Parquet data sets: the lookup seed (written as CSV too) goes into seeds/."""
        if self.parquet:
            shutil.copy(data / f"{LOOKUP_SEED}.csv", self.project.seeds_dir / f"{LOOKUP_SEED}.csv")

    def activity_rows(self) -> int:
        if not self.parquet:
            return count_csv_rows(self.data / "saas_user_activity.csv")
        import duckdb

        glob = self.data / "saas_user_activity.parquet" / "*.parquet"
        with duckdb.connect() as connection:
            row = connection.execute(f"select count(*) from read_parquet('{glob}')").fetchone()
        return int(row[0]) if row else 0

    # -- steps ---------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        load_before = [round(x, 2) for x in os.getloadavg()]
        self.step_generate()
        self.step_load()
        self.step_build()
        self.step_startup()
        self.baseline_read_csv()
        self.baseline_handwritten()
        self.baseline_faker()
        comparison = self.compare()
        self.step_daily()
        return {
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "activity_rows": self.rows,
            "steps": self.steps,
            "baselines": self.baselines,
            "handwritten_matches_dbt": comparison,
            "ratios": self.ratios(),
        }

    def step_generate(self) -> None:
        self.log("generate ...")
        self.data.mkdir(parents=True, exist_ok=True)
        run = must(measure(self.generator(self.data)), "generation")
        self.steps["generate"] = run.row()
        self.rows = self.activity_rows()
        self.install_lookup(self.data)
        if self.parquet:
            self.point_raw_at(self.data)

    def step_load(self) -> None:
        self.log("load (dbt seed) ...")
        run = must(self.dbt("seed", *self.vars_args()), "dbt seed")
        self.steps["load"] = run.row() | run_results_summary(self.project)
        if self.parquet:
            self.steps["load"]["note"] = (
                "raw tables are external Parquet sources (read in place); "
                f"only the {LOOKUP_SEED} lookup seed is loaded"
            )

    def build_args(self) -> list[str]:
        exclude = ["--exclude", "resource_type:seed"]
        if self.parquet:  # unit tests read the columns of seeded source tables
            exclude.append("resource_type:unit_test")
        return ["build", *exclude, *self.vars_args()]

    def step_build(self) -> None:
        self.log("build (dbt build) ...")
        run = must(self.dbt(*self.build_args()), "dbt build")
        self.steps["build"] = run.row() | run_results_summary(self.project)

    def step_startup(self) -> None:
        self.log("start-up (dbt parse, warm) ...")
        run = must(self.dbt("parse", *self.vars_args()), "dbt parse")
        self.steps["startup"] = run.row() | {"note": "dbt parse with partial parsing warm"}

    def step_daily(self) -> None:
        """The daily job when the last day arrives, on the state of the day before.

        The state of the day before comes from an incremental run over the data
        cut at the second-to-last day (`--through`; it removes the last day's
        rows), which the project's tests prove equal to a full build of that data.
        """
        if self.parquet and not self.args.large_daily:
            self.steps["daily_load"] = self.steps["daily_build"] = {
                "skipped": "not run at large by default (--large-daily runs it: two more "
                "generations and incremental runs)"
            }
            return
        last_day = self.profile.end
        previous = self.workdir / "data_previous_day" if self.parquet else self.data
        self.log(f"daily: roll back to {last_day - dt.timedelta(days=1)} (not timed) ...")
        previous.mkdir(parents=True, exist_ok=True)
        through = ["--through", (last_day - dt.timedelta(days=1)).isoformat()]
        must(measure(self.generator(previous, *through)), "generation (day before)")
        if not self.parquet:
            must(self.dbt("seed"), "dbt seed (day before)")
        else:
            self.point_raw_at(previous)
        must(self.dbt("build", "--selector", "daily", *self.vars_args()), "roll back")

        self.log(f"daily: {last_day} arrives, daily job ...")
        if self.parquet:
            self.point_raw_at(self.data)
            self.steps["daily_load"] = {"skipped": "external Parquet sources: nothing to load"}
        else:
            must(measure(self.generator(self.data)), "generation (last day)")
            run = must(self.dbt("seed"), "dbt seed (daily)")
            self.steps["daily_load"] = run.row() | run_results_summary(self.project)
        run = must(self.dbt("build", "--selector", "daily", *self.vars_args()), "daily build")
        self.steps["daily_build"] = run.row() | run_results_summary(self.project)

    # -- baselines ---------------------------------------------------------
    def worker(self, *args: str) -> tuple[Measured, dict[str, Any]]:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
        run = must(measure(command), f"baseline {args[0]}")
        return run, json.loads(run.output.strip().splitlines()[-1])

    def baseline_read_csv(self) -> None:
        if self.parquet:
            self.baselines["read_csv"] = {"skipped": "Parquet is read in place: nothing to load"}
            return
        self.log("baseline: DuckDB read_csv ...")
        database = self.workdir / "baseline.duckdb"
        run, result = self.worker(
            "read_csv", "--data", str(self.data), "--database", str(database),
            "--memory-limit", self.args.memory_limit,
        )  # fmt: skip
        self.baselines["read_csv"] = run.row() | result

    def baseline_handwritten(self) -> None:
        self.log("baseline: hand-written DuckDB SQL ...")
        database = self.workdir / "baseline.duckdb"
        args = [
            "handwritten",
            "--database",
            str(database),
            "--memory-limit",
            self.args.memory_limit,
        ]
        if self.args.threads:
            args += ["--threads", str(self.args.threads)]
        if self.parquet:
            args += ["--parquet", str(self.data)]
        run, result = self.worker(*args)
        self.baselines["handwritten"] = run.row() | result

    def baseline_faker(self) -> None:
        if self.parquet:
            self.baselines["faker"] = {
                "skipped": "one-row-at-a-time generation of 100M+ rows would take hours"
            }
            return
        self.log(f"baseline: one-row-at-a-time Faker, {self.rows:,} activity rows ...")
        out = self.workdir / "faker_baseline"
        command = [
            sys.executable, "-m", "bench.generate", "--baseline-worker", "--rows", str(self.rows),
            "--customers", str(self.profile.customers), "--seed", str(self.args.seed),
            "--start", self.profile.start.isoformat(), "--end", self.profile.end.isoformat(),
            "--data", str(out),
        ]  # fmt: skip
        run = must(measure(command, cwd=REPO_ROOT), "Faker baseline")
        rows = count_csv_rows(out / "saas_user_activity.csv")
        self.baselines["faker"] = run.row() | {"activity_rows": rows}
        shutil.rmtree(out, ignore_errors=True)

    def compare(self) -> dict[str, Any]:
        self.log("comparing the hand-written marts with dbt's ...")
        return compare_marts(self.workdir / "baseline.duckdb", self.project.database_path)

    # -- ratios ------------------------------------------------------------
    def ratios(self) -> dict[str, Any]:
        s, b = self.steps, self.baselines
        daily = s.get("daily_build", {})
        end_to_end = sum(s[k]["wall_s"] for k in ("generate", "load", "build"))
        return {
            "generate_vs_faker": ratio(s["generate"]["wall_s"], b["faker"].get("wall_s")),
            "load_vs_read_csv": ratio(
                s["load"].get("seed_execution_s"), b["read_csv"].get("query_s")
            )
            if not self.parquet
            else None,
            "load_wall_vs_read_csv_wall": ratio(s["load"]["wall_s"], b["read_csv"].get("wall_s")),
            "build_vs_handwritten": ratio(
                s["build"]["model_execution_s"], b["handwritten"]["query_s"]
            ),
            "build_wall_vs_handwritten_wall": ratio(
                s["build"]["wall_s"], b["handwritten"]["wall_s"]
            ),
            "daily_vs_full_build": ratio(
                daily.get("model_execution_s"), s["build"]["model_execution_s"]
            ),
            "daily_wall_vs_full_build_wall": ratio(daily.get("wall_s"), s["build"]["wall_s"]),
            "end_to_end_s": round(end_to_end, 2),
            "peak_mb": max(
                r.get("peak_mb", 0.0) for r in [*s.values(), *b.values()] if isinstance(r, dict)
            ),
        }


# --------------------------------------------------------------------------
# Summary, table, targets
# --------------------------------------------------------------------------
def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median wall/CPU/execution times and ratios over the runs, maximum peak memory."""
    summary: dict[str, Any] = {"steps": {}, "baselines": {}, "ratios": {}}
    for group in ("steps", "baselines"):
        for name, first in runs[0][group].items():
            if "skipped" in first:
                summary[group][name] = {"skipped": first["skipped"]}
                continue
            entry: dict[str, Any] = {}
            for key, value in first.items():
                if key == "peak_mb":
                    entry[key] = max(r[group][name][key] for r in runs)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    entry[key] = median([r[group][name][key] for r in runs])
            if len(runs) > 1:
                entry["wall_s_runs"] = [r[group][name]["wall_s"] for r in runs]
            summary[group][name] = entry
    for key in runs[0]["ratios"]:
        values = [r["ratios"][key] for r in runs]
        summary["ratios"][key] = max(values) if key == "peak_mb" else median(values)
    return summary


def verdicts(scale: str, summary: dict[str, Any]) -> dict[str, Any]:
    """Each target that applies at this scale: the figure, the target, met or not."""
    r = summary["ratios"]
    checks: dict[str, Any] = {}

    def check(name: str, value: float | None, target: float, lower: bool = True) -> None:
        if value is not None:
            met = value <= target if lower else value >= target
            checks[name] = {"value": value, "target": target, "met": met}

    if scale == "demo":
        check("generate_vs_faker (<= 0.05, i.e. >= 20x faster)", r["generate_vs_faker"], 0.05)
        check("load_vs_read_csv (seed execution / read_csv query)", r["load_vs_read_csv"], 3.0)
        check(
            "build_vs_handwritten (model execution / hand-written query)",
            r["build_vs_handwritten"],
            2.0,
        )
        check("end_to_end_s (generate + load + build wall)", r["end_to_end_s"], 60.0)
    if scale == "large":
        check("build_wall_vs_handwritten_wall", r["build_wall_vs_handwritten_wall"], 2.0)
        check("peak_mb", r["peak_mb"], TARGETS["large_peak_mb"])
    check("daily_vs_full_build (model execution)", r["daily_vs_full_build"], 0.2)
    return checks


def print_table(report: dict[str, Any]) -> None:
    header = f"{'scale':6} {'step':28} {'wall s':>9} {'cpu s':>8} {'peak MB':>9} {'exec s':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for scale, result in report["scales"].items():
        summary = result["summary"]
        for group in ("steps", "baselines"):
            for name, row in summary[group].items():
                label = name if group == "steps" else f"baseline: {name}"
                if "skipped" in row:
                    print(f"{scale:6} {label:28} {'-':>9} {'-':>8} {'-':>9} {'-':>9}  skipped")
                    continue
                execution = row.get("model_execution_s") or row.get("seed_execution_s")
                execution = execution if execution else row.get("query_s")
                print(
                    f"{scale:6} {label:28} {row['wall_s']:9.2f} {row.get('cpu_s', 0):8.1f} "
                    f"{row['peak_mb']:9.0f} "
                    f"{'' if execution is None else f'{execution:.2f}':>9}"
                )
        ratios = summary["ratios"]
        print(
            f"{scale:6} ratios: "
            + ", ".join(f"{k} {v}" for k, v in ratios.items() if v is not None)
        )
        for name, check in result["targets"].items():
            verdict = "meets" if check["met"] else "MISSES"
            print(f"{scale:6}   {verdict:6} {name}: {check['value']} (target {check['target']})")
        match = result["runs"][-1]["handwritten_matches_dbt"]
        print(f"{scale:6}   hand-written marts equal dbt's: {match['all_match']}")
    if "test" in report:
        t = report["test"]
        print(f"{'all':6} {'test (make test)':28} {t['wall_s']:9.2f} {t['cpu_s']:8.1f} "
              f"{t['peak_mb']:9.0f}            exit {t['returncode']}")  # fmt: skip


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def scale_list(text: str) -> list[str]:
    scales = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown or not scales:
        raise argparse.ArgumentTypeError(f"scales are a comma-separated subset of {SCALES}")
    return scales


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scales", type=scale_list, default=["small", "demo"],
        help="comma-separated: small,demo[,large] (default small,demo)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale (default 1)")
    parser.add_argument(
        "--memory-limit", default=os.environ.get("DBT_DUCKDB_MEMORY_LIMIT", "4GB"),
        help="DuckDB memory_limit of dbt and the baselines (default $DBT_DUCKDB_MEMORY_LIMIT, 4GB)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's)")
    parser.add_argument(
        "--with-tests", action="store_true", help="also time the full test command (make test)"
    )
    parser.add_argument(
        "--test-command", default="make test", help="the full test command (default make test)"
    )
    parser.add_argument(
        "--large-daily", action="store_true", help="also run the daily incremental step at large"
    )
    parser.add_argument(
        "--workdir", type=Path, help="where the project copies go (default: a temporary folder)"
    )
    # internal: baseline child processes
    parser.add_argument("--worker", choices=("read_csv", "handwritten"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    return parser


def run_worker(args: argparse.Namespace) -> int:
    if args.worker == "read_csv":
        result = worker_read_csv(args.data, args.database, args.memory_limit)
    else:
        result = worker_handwritten(args.database, args.memory_limit, args.parquet, args.threads)
    print(json.dumps(result))
    return 0


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {
        "benchmark": "bench",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": {
            "scales": args.scales,
            "seed": args.seed,
            "repeat": args.repeat,
            "duckdb_memory_limit": args.memory_limit,
            "dbt_threads": args.threads or int(os.environ.get("DBT_THREADS", "2")),
        },
        "targets": TARGETS,
        "scales": {},
    }
    for scale in args.scales:
        runs = []
        for index in range(args.repeat):
            folder = workdir / f"{scale}-{index + 1}"
            runs.append(ScaleRun(args, scale, folder).run())
            shutil.rmtree(folder, ignore_errors=True)  # large runs leave GBs behind
        summary = summarise(runs)
        report["scales"][scale] = {
            "summary": summary,
            "targets": verdicts(scale, summary),
            "runs": runs,
        }
    if args.with_tests:
        print("bench: the full test command ...", flush=True)
        run = measure(args.test_command.split(), cwd=REPO_ROOT)
        report["test"] = run.row() | {
            "returncode": run.returncode,
            "tail": run.output[-1500:],
        }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.worker:
        return run_worker(args)
    if args.repeat < 1:
        print("bench.py: error: --repeat must be at least 1", file=sys.stderr)
        return 2
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        report = bench(args, args.workdir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bench_") as workdir:
            report = bench(args, Path(workdir))
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
