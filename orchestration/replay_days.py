#!/usr/bin/env python3
"""Replay data arriving day by day: generate, load, build incrementally.

The generator is prefix-stable (``--through DATE`` writes exactly the rows of
the full run dated on or before DATE), so re-running it with a later date each
day reproduces a feed that grows by one day at a time. The replay works in a
copy of the project (its own seeds and DuckDB file; the working tree is not
touched)::

    python -m orchestration.replay_days --start 2024-05-27 --end 2024-06-05
    python -m orchestration.replay_days --start 2024-05-27 --days 10 --verify --workdir /tmp/replay

1. generate the data through ``--start``, ``dbt seed``, and a full
   ``dbt build`` (the day the project was deployed);
2. for every following day D through ``--end``: generate through D, and the
   daily job with the raw load (``daily_job --load-raw --as-of D+1``: the
   pre-flight check of the raw files and ``dbt seed``, freshness judged on
   the morning after D, then the incremental build);
3. with ``--verify``: build the final data again from scratch into a second
   DuckDB file and compare every mart row for row with the incremental result.

Exit code: 0 when every day ran (and, with --verify, the marts are equal);
65 when a raw file is broken (one line per problem); 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from orchestration import daily_job
from orchestration.database import compare_relations, mart_relations
from orchestration.dbt_runner import REPO_ROOT, DbtProject, execution_seconds
from orchestration.preflight import EXIT_BAD_FILE


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        required=True,
        metavar="YYYY-MM-DD",
        help="last day of the initial full build",
    )
    span = parser.add_mutually_exclusive_group(required=True)
    span.add_argument(
        "--end", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="last day replayed"
    )
    span.add_argument("--days", type=int, help="number of days replayed after --start")
    parser.add_argument("--scale", default="small", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--workdir", type=Path, help="where the project copy goes (default: a temporary folder)"
    )
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's)")
    parser.add_argument("--quiet", action="store_true", help="do not echo dbt's output")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="rebuild the final data from scratch and compare every mart row for row",
    )
    args = parser.parse_args(argv)
    if args.days is not None:
        args.end = args.start + dt.timedelta(days=args.days)
    if args.end <= args.start:
        parser.error("--end must be after --start")
    return args


def log(message: str) -> None:
    print(f"replay: {message}", flush=True)


def replay(args: argparse.Namespace, workdir: Path) -> int:
    if (workdir / "project").exists():
        log(f"{workdir / 'project'} exists: remove it or choose another --workdir")
        return 1
    project = DbtProject.copy_of(REPO_ROOT, workdir / "project")
    generator = ["--scale", args.scale, "--seed", str(args.seed)]
    threads = ["--threads", str(args.threads)] if args.threads else []

    log(f"project copy in {project.root}; initial full build through {args.start}")
    project.generate(*generator, "--through", args.start.isoformat())
    loaded = daily_job.load_raw(project, echo=None if args.quiet else sys.stdout)
    if loaded != 0:
        return loaded if loaded == EXIT_BAD_FILE else 1
    build = project.dbt(*daily_job.FULL_BUILD_ARGS, *threads, check=False)
    if not build.ok:
        print(build.output[-5000:])
        log(f"dbt build failed (exit {build.returncode})")
        return 1

    day = args.start
    while day < args.end:
        day += dt.timedelta(days=1)
        project.generate(*generator, "--through", day.isoformat())
        as_of = day + dt.timedelta(days=1)
        daily_args = ["--project-dir", str(project.root), "--load-raw", "--as-of", str(as_of)]
        if args.quiet:
            daily_args.append("--quiet")
        code = daily_job.main([*daily_args, *threads])
        results = project.run_results()
        log(f"{day}: daily job exit {code}, model execution {execution_seconds(results):.1f} s")
        if code != 0:
            return code if code == EXIT_BAD_FILE else 1

    if args.verify:
        return verify(project, threads)
    return 0


def verify(project: DbtProject, threads: list[str]) -> int:
    """Full build of the final data into a second database; compare the marts."""
    fresh_db = project.root / "full_refresh.duckdb"
    env = {"DBT_DUCKDB_PATH": str(fresh_db)}
    for step in (["seed"], [*daily_job.FULL_BUILD_ARGS, *threads]):
        run = project.dbt(*step, check=False, extra_env=env)
        if not run.ok:
            print(run.output[-5000:])
            log(f"full refresh: dbt {step[0]} failed")
            return 1
    marts = mart_relations(project.target_dir / "manifest.json")
    differences = compare_relations(project.database_path, fresh_db, marts)
    for name in marts:
        log(f"  {name:40} {'DIFFERS: ' + differences[name] if name in differences else 'equal'}")
    if differences:
        log(f"{len(differences)} of {len(marts)} marts differ from the full refresh")
        return 1
    log(f"all {len(marts)} marts equal the full refresh, row for row")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return replay(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="replay_") as workdir:
        return replay(args, Path(workdir))


if __name__ == "__main__":
    sys.exit(main())
