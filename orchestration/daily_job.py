#!/usr/bin/env python3
"""The daily job: source freshness, then ``dbt build --selector daily``.

What a scheduler (cron, Airflow, dbt Cloud, ...) runs once a day after the raw
tables have been loaded (``dbt seed`` in this project)::

    python -m orchestration.daily_job                      # production: freshness as of now
    python -m orchestration.daily_job --as-of 2024-07-01   # replayed data: freshness as of that day
    python -m orchestration.daily_job --retry              # after a failure: rerun what failed

Steps:

1. Take the job lock (``<database>.lock`` next to the DuckDB file) and check
   that no other process has the DuckDB file open: a second run fails at once
   with one clear line (exit 75) instead of a traceback from deep inside dbt.
2. ``dbt source freshness --selector freshness``: warns when a daily feed
   misses a day, errors when it misses two (thresholds: dbt vars
   ``freshness_*_after_hours``). A stale source does not stop the build (the
   build is incremental and idempotent: it builds what has arrived) unless
   ``--require-fresh`` is given; it makes the job exit 3.
3. ``dbt build --selector daily``: the incremental data-quality tables and
   aggregates, the marts and their data tests (selectors.yml). A database with
   no project relations yet gets a full ``dbt build`` (excluding seeds) instead.

Everything dbt writes stays in ``target/``: ``run_results.json`` (per node
status, timing, rows), ``sources.json`` (freshness), ``manifest.json``. After
a failure, fix the cause and run ``dbt retry`` (or ``--retry``): it reruns the
failed and skipped nodes of the failed build only. After a run that was killed
(no run_results.json written), just run the job again: every incremental model
works out for itself what it is missing.

Exit codes: 0 success; 1 a model or test failed (``dbt retry`` resumes);
2 dbt error (project, profile, compilation, database); 3 the build succeeded
but a source is stale (past ``error_after``); 75 another run holds the
database (try again later).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.dbt_runner import (
    EXIT_DBT_ERROR,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_STALE_SOURCES,
    DatabaseBusyError,
    Project,
    check_duckdb_free,
    duckdb_has_relations,
    execution_seconds,
    job_lock,
    rows_affected,
    status_counts,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
# Relations whose presence says the project has been deployed to the database.
DEPLOYED_MARKERS = ("stg_saas__user_activity", "fct_site_months")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The daily job: dbt source freshness, then dbt build --selector daily.",
        epilog="Exit codes: 0 ok, 1 a node failed (dbt retry resumes), 2 dbt error, "
        "3 a source is stale, 75 the database is in use by another run.",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=REPO_ROOT, help="dbt project (default: this repo)"
    )
    parser.add_argument("--target", help="dbt target (default: the profile's, DBT_TARGET)")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="judge source freshness as of this day (for replayed, old data); default: now",
    )
    parser.add_argument(
        "--skip-freshness", action="store_true", help="do not run dbt source freshness"
    )
    parser.add_argument(
        "--require-fresh",
        action="store_true",
        help="stop before building when a source is stale (default: build anyway, exit 3)",
    )
    parser.add_argument(
        "--full-refresh", action="store_true", help="rebuild the incremental models from scratch"
    )
    parser.add_argument(
        "--retry", action="store_true", help="run `dbt retry` (after a failed run) and stop"
    )
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's)")
    parser.add_argument(
        "--quiet", action="store_true", help="do not echo dbt's output (only this job's summary)"
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"run_daily: {message}", flush=True)


def run_job(project: Project, args: argparse.Namespace) -> int:
    common = [*(["--target", args.target] if args.target else [])]
    echo = None if args.quiet else sys.stdout
    threads = ["--threads", str(args.threads)] if args.threads else []

    if args.retry:
        log("$ dbt retry")
        retry = project.dbt("retry", *common, *threads, echo=echo)
        summarize(project, retry.wall_s)
        return retry.returncode

    stale = False
    if not args.skip_freshness:
        extra_env = {"SAAS_FRESHNESS_AS_OF": args.as_of.isoformat()} if args.as_of else {}
        as_of = f" (as of {args.as_of})" if args.as_of else ""
        log(f"$ dbt source freshness --selector freshness{as_of}")
        freshness = project.dbt(
            "source",
            "freshness",
            "--selector",
            "freshness",
            *common,
            extra_env=extra_env,
            echo=echo,
        )
        if freshness.returncode not in (0, 1):
            log(f"dbt source freshness could not run (exit {freshness.returncode})")
            return EXIT_DBT_ERROR
        stale = freshness.returncode == 1
        if stale:
            log("a source is past its error_after threshold (target/sources.json)")
            if args.require_fresh:
                log("--require-fresh: not building")
                return EXIT_STALE_SOURCES

    deployed = not project.is_duckdb or duckdb_has_relations(
        project.database_path, DEPLOYED_MARKERS
    )
    if deployed:
        build_args = ["build", "--selector", "daily"]
    else:
        log(
            "the database has no project relations yet: running a full build "
            "(views and static tables included) instead of the daily selection"
        )
        build_args = ["build", "--exclude", "resource_type:seed"]
    if args.full_refresh:
        build_args.append("--full-refresh")
    log("$ dbt " + " ".join([*build_args, *common, *threads]))
    build = project.dbt(*build_args, *common, *threads, echo=echo)

    summarize(project, build.wall_s)
    if build.returncode != 0:
        log(
            f"dbt build failed (exit {build.returncode}). Fix the cause, then `dbt retry` "
            f"(or {Path(sys.argv[0]).name} --retry) reruns the failed and skipped nodes."
        )
        return build.returncode
    return EXIT_STALE_SOURCES if stale else EXIT_OK


def summarize(project: Project, wall_s: float) -> None:
    try:
        results = project.run_results()
    except FileNotFoundError:
        return
    counts = ", ".join(f"{n} {status}" for status, n in sorted(status_counts(results).items()))
    log(
        f"build: {counts}; model execution {execution_seconds(results):.1f} s, "
        f"tests {execution_seconds(results, 'test'):.1f} s, wall {wall_s:.1f} s"
    )
    written = {name: rows for name, rows in rows_affected(results).items() if rows is not None}
    if written:
        log("rows written: " + ", ".join(f"{name} {rows}" for name, rows in written.items()))
    log(f"artifacts: {project.target_dir}/run_results.json, sources.json, manifest.json")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env = {"DBT_TARGET": args.target} if args.target else {}
    project = Project.at(args.project_dir, **env)
    if project.is_duckdb:
        database = project.database_path
        lock_path = database.with_name(database.name + ".lock")
    else:
        lock_path = project.target_dir / "daily_job.lock"
    try:
        with job_lock(lock_path):
            if project.is_duckdb:
                check_duckdb_free(project.database_path)
            return run_job(project, args)
    except DatabaseBusyError as busy:
        print(f"run_daily: cannot start: {busy}", file=sys.stderr, flush=True)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
