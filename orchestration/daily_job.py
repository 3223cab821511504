#!/usr/bin/env python3
"""The daily job: source freshness, then ``dbt build --selector daily``.

The orchestrator (``orchestration.definitions``, job ``daily``) runs the same
steps, built from the functions here; this command is the path for machines
with only cron or systemd (``orchestration/systemd/``)::

    python -m orchestration.daily_job --load-raw          # load the raw files, then the job
    python -m orchestration.daily_job                     # the raw tables are already loaded
    python -m orchestration.daily_job --as-of 2024-07-01  # replayed data: freshness as of then
    python -m orchestration.daily_job --retry             # after a failure: rerun what failed

Steps:

1. Take the job lock (``<database>.lock`` next to the DuckDB file) and check
   that no other process has the DuckDB file open: a second run fails at once
   with one clear line (exit 75) instead of a traceback from deep inside dbt.
2. With ``--load-raw``: the pre-flight check of the raw files (a broken file
   stops the job with one line per problem, exit 65), then the seeds and
   their tests (``dbt build --select resource_type:seed``).
3. ``dbt source freshness --selector freshness``: warns when a daily feed
   misses a day, errors when it misses two (thresholds: dbt vars
   ``freshness_*_after_hours``). A stale source does not stop the build (the
   build is incremental and idempotent: it builds what has arrived) unless
   ``--require-fresh`` is given; it makes the job exit 3.
4. ``dbt build --selector daily``: the incremental data-quality tables and
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
but a source is stale (past ``error_after``); 65 a raw file is broken
(``--load-raw``); 75 another run holds the database (try again later).
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from orchestration.database import DatabaseBusyError, duckdb_has_relations, exclusive_database
from orchestration.dbt_runner import (
    REPO_ROOT,
    DbtProject,
    DbtRun,
    execution_seconds,
    rows_affected,
    status_counts,
)
from orchestration.preflight import EXIT_BAD_FILE, check_raw_files

# Exit codes (dbt's own: 0 success, 1 a node failed, 2 error).
EXIT_OK = 0
EXIT_BUILD_FAILED = 1  # a model or test failed: fix it, then `dbt retry`
EXIT_DBT_ERROR = 2  # dbt could not run (bad project, profile, compilation...)
EXIT_STALE_SOURCES = 3  # the build ran, but a source is past its error_after
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the database; try again later

# The steps, as dbt arguments (selectors.yml names the selections).
FRESHNESS_ARGS = ("source", "freshness", "--selector", "freshness")
DAILY_BUILD_ARGS = ("build", "--selector", "daily")
# the seeds' own tests run with them: the builds below exclude the seeds
SEED_ARGS = ("build", "--select", "resource_type:seed")
FULL_BUILD_ARGS = ("build", "--exclude-resource-type", "seed")
# Relations whose presence says the project has been deployed to the database.
DEPLOYED_MARKERS = ("stg_saas__user_activity", "fct_site_months")


class Freshness(enum.Enum):
    """What ``dbt source freshness``'s exit code says about the raw tables."""

    FRESH = "fresh"  # every source within error_after (some may warn)
    STALE = "stale"  # a source past error_after
    FAILED = "failed"  # dbt could not check (compilation, connection...)

    @classmethod
    def of(cls, returncode: int) -> Freshness:
        return {0: cls.FRESH, 1: cls.STALE}.get(returncode, cls.FAILED)


def freshness_env(as_of: dt.date | None) -> dict[str, str]:
    """Environment that makes the freshness macro judge as of ``as_of`` (None: now)."""
    return {"SAAS_FRESHNESS_AS_OF": as_of.isoformat()} if as_of else {}


def is_deployed(project: DbtProject) -> bool:
    """Whether the database has the project's relations (a full build has run).

    Only a DuckDB file can be inspected here; other warehouses are assumed
    deployed (their deployment is a CI step).
    """
    return not project.is_duckdb or duckdb_has_relations(project.database_path, DEPLOYED_MARKERS)


def raw_file_problems(project: DbtProject) -> list[str]:
    """The pre-flight check of the raw files to load, one line per problem."""
    return [str(problem) for problem in check_raw_files(project.seeds_dir)]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.daily_job",
        description="The daily job: dbt source freshness, then dbt build --selector daily.",
        epilog="Exit codes: 0 ok, 1 a node failed (dbt retry resumes), 2 dbt error, "
        "3 a source is stale, 65 a raw file is broken, 75 the database is in use by another run.",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=REPO_ROOT, help="dbt project (default: this repo)"
    )
    parser.add_argument("--target", help="dbt target (default: the profile's, DBT_TARGET)")
    parser.add_argument(
        "--load-raw",
        action="store_true",
        help="first load the raw files of seeds/ (pre-flight check, the seeds and their tests)",
    )
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
    print(f"daily_job: {message}", flush=True)


def run_job(project: DbtProject, args: argparse.Namespace) -> int:
    common = [*(["--target", args.target] if args.target else [])]
    echo: IO[str] | None = None if args.quiet else sys.stdout
    threads = ["--threads", str(args.threads)] if args.threads else []

    if args.retry:
        log("$ dbt retry")
        retry = project.dbt("retry", *common, *threads, check=False, echo=echo)
        summarize(project, retry.wall_s)
        return retry.returncode

    if args.load_raw:
        code = load_raw(project, common, echo)
        if code != EXIT_OK:
            return code

    stale = False
    if not args.skip_freshness:
        as_of = f" (as of {args.as_of})" if args.as_of else ""
        log(f"$ dbt {' '.join(FRESHNESS_ARGS)}{as_of}")
        freshness = Freshness.of(
            project.dbt(
                *FRESHNESS_ARGS,
                *common,
                check=False,
                extra_env=freshness_env(args.as_of),
                echo=echo,
            ).returncode
        )
        if freshness is Freshness.FAILED:
            log("dbt source freshness could not run")
            return EXIT_DBT_ERROR
        stale = freshness is Freshness.STALE
        if stale:
            log("a source is past its error_after threshold (target/sources.json)")
            if args.require_fresh:
                log("--require-fresh: not building")
                return EXIT_STALE_SOURCES

    if is_deployed(project):
        build_args = list(DAILY_BUILD_ARGS)
    else:
        log(
            "the database has no project relations yet: running a full build "
            "(views and static tables included) instead of the daily selection"
        )
        build_args = list(FULL_BUILD_ARGS)
    if args.full_refresh:
        build_args.append("--full-refresh")
    log("$ dbt " + " ".join([*build_args, *common, *threads]))
    build = project.dbt(*build_args, *common, *threads, check=False, echo=echo)

    summarize(project, build.wall_s)
    if build.returncode != 0:
        log(
            f"dbt build failed (exit {build.returncode}). Fix the cause, then `dbt retry` "
            "(or python -m orchestration.daily_job --retry) reruns the failed and skipped nodes."
        )
        return build.returncode
    return EXIT_STALE_SOURCES if stale else EXIT_OK


def load_raw(project: DbtProject, common: Sequence[str] = (), echo: IO[str] | None = None) -> int:
    """Pre-flight check of the raw files, then the seeds and their tests; an exit code."""
    problems = raw_file_problems(project)
    for problem in problems:
        print(problem, file=sys.stderr, flush=True)
    if problems:
        return EXIT_BAD_FILE
    log("$ dbt " + " ".join(SEED_ARGS))
    seed: DbtRun = project.dbt(*SEED_ARGS, *common, check=False, echo=echo)
    if not seed.ok:
        log(f"loading the seeds failed (exit {seed.returncode})")
    return seed.returncode


def summarize(project: DbtProject, wall_s: float) -> None:
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
    project = DbtProject.at(args.project_dir, **env)
    try:
        with exclusive_database(project):
            return run_job(project, args)
    except DatabaseBusyError as busy:
        print(f"daily_job: cannot start: {busy}", file=sys.stderr, flush=True)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
