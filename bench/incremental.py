#!/usr/bin/env python3
"""Benchmark: one daily incremental run against the full build, in one run.

In a copy of the project (the working tree is not touched):

1. generate the ``--scale`` data set (default ``demo``) through the day before
   its last day, ``dbt seed`` it and run a full ``dbt build`` (seeds excluded);
2. measure dbt's fixed start-up: ``dbt parse`` with partial parsing warm, and a
   ``dbt run`` that selects nothing;
3. let the last day arrive (generate, ``dbt seed``) and run the daily job's two
   steps: ``dbt source freshness --selector freshness`` (as of the next
   morning) and ``dbt build --selector daily``;
4. for reference, the daily selection once more with no new data (the fixed
   part of every daily run: dbt's per-model overhead and the change
   detection) and once with ``--full-refresh`` (the same models rebuilt from
   scratch: what a daily run would cost without incremental models).

For each step it reports wall time, the dbt process's CPU time, and from
``target/run_results.json`` the summed execution time of the models and of
the tests. The target (SPEC section 8): the daily run's model execution under
a fifth of the full build's. Prints a table and writes JSON (default
``bench/results/incremental.json``)::

    python -m bench.incremental                  # demo data
    python -m bench.incremental --days 3         # three daily runs, one per day
    python -m bench.incremental --customers 325 --out /tmp/x.json   # 5x demo

Wall times include waiting for the CPU: on a shared machine they grow with
the load (the load average is recorded); CPU times do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchestration.dbt_runner import REPO_ROOT, DbtRun, execution_seconds, status_counts
from orchestration.dbt_runner import DbtProject as Project

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "incremental.json"
LAST_DAY = {
    "small": dt.date(2024, 6, 30),
    "demo": dt.date(2024, 12, 31),
    "large": dt.date(2024, 12, 31),
}
TARGET_RATIO = 0.2


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="demo", choices=sorted(LAST_DAY))
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--customers", type=int, help="number of customers (default: the scale's; demo 65)"
    )
    parser.add_argument(
        "--days", type=int, default=1, help="daily runs, one per arriving day (default 1)"
    )
    parser.add_argument("--threads", type=int, help="dbt threads (default: the profile's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument(
        "--workdir", type=Path, help="where the project copy goes (default: a temporary folder)"
    )
    return parser.parse_args(argv)


def must(run: DbtRun) -> DbtRun:
    if not run.ok:
        print(run.output[-6000:], file=sys.stderr)
        raise SystemExit(f"bench: `{' '.join(run.args[1:])}` failed (exit {run.returncode})")
    return run


def measured(name: str, run: DbtRun, project: Project | None = None) -> dict[str, Any]:
    """One row of the results: times of the process, and of its nodes."""
    row: dict[str, Any] = {
        "step": name,
        "command": "dbt " + " ".join(run.args[1:]),
        "wall_s": round(run.wall_s, 2),
        "cpu_s": round(run.cpu_s, 2),
    }
    if project is not None:
        results = project.run_results()
        row["model_execution_s"] = round(execution_seconds(results), 2)
        row["test_execution_s"] = round(execution_seconds(results, "test"), 2)
        row["nodes"] = status_counts(results)
        row["slowest_models"] = {
            r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
            for r in sorted(results["results"], key=lambda r: -r["execution_time"])
            if r["unique_id"].startswith("model.")
        }
        row["slowest_models"] = dict(list(row["slowest_models"].items())[:8])
    return row


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    project = Project.copy_of(REPO_ROOT, workdir / "project")
    generator = ["--scale", args.scale, "--seed", str(args.seed)]
    if args.customers:
        generator += ["--customers", str(args.customers)]
    threads = ["--threads", str(args.threads)] if args.threads else []
    first_day = LAST_DAY[args.scale] - dt.timedelta(days=args.days)
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()

    print(f"bench: {args.scale} data through {first_day}, full build ...", flush=True)
    project.generate(*generator, "--through", first_day.isoformat())
    rows.append(measured("load: dbt seed (initial)", must(project.dbt("seed"))))
    full = must(project.dbt("build", "--exclude", "resource_type:seed", *threads))
    rows.append(measured("full build", full, project))

    must(project.dbt("parse"))  # partial parsing is warm from here on
    rows.append(measured("start-up: dbt parse (warm)", must(project.dbt("parse"))))
    noop = must(project.dbt("run", "--select", "tag:nothing_has_this_tag"))
    rows.append(measured("start-up: dbt run selecting nothing", noop))

    day = first_day
    for _ in range(args.days):
        day += dt.timedelta(days=1)
        print(f"bench: day {day} arrives, daily run ...", flush=True)
        project.generate(*generator, "--through", day.isoformat())
        rows.append(measured(f"load: dbt seed ({day})", must(project.dbt("seed"))))
        as_of = {"SAAS_FRESHNESS_AS_OF": (day + dt.timedelta(days=1)).isoformat()}
        freshness = project.dbt("source", "freshness", "--selector", "freshness", extra_env=as_of)
        rows.append(measured(f"daily: source freshness ({day})", must(freshness)))
        daily = must(project.dbt("build", "--selector", "daily", *threads))
        rows.append(measured(f"daily: build --selector daily ({day})", daily, project))

    # The same daily selection again with no new data (what every run pays:
    # dbt's per-model overhead and the change detection), then rebuilt from
    # scratch (what the daily run would cost without incremental models).
    rerun = must(project.dbt("build", "--selector", "daily", *threads))
    rows.append(measured("daily: build --selector daily, no new data", rerun, project))
    refresh = must(project.dbt("build", "--selector", "daily", "--full-refresh", *threads))
    rows.append(measured("daily selection with --full-refresh", refresh, project))

    full_row = next(r for r in rows if r["step"] == "full build")
    daily_rows = [r for r in rows if r["step"].startswith("daily: build --selector daily (")]
    daily_model_s = sum(r["model_execution_s"] for r in daily_rows) / len(daily_rows)
    ratio = daily_model_s / full_row["model_execution_s"]
    return {
        "scale": args.scale,
        "customers": args.customers,
        "seed": args.seed,
        "days": args.days,
        "threads": args.threads,
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "steps": rows,
        "summary": {
            "full_build_model_execution_s": full_row["model_execution_s"],
            "daily_build_model_execution_s": round(daily_model_s, 2),
            "ratio_daily_to_full_model_execution": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "meets_target": ratio < TARGET_RATIO,
            "full_build_cpu_s": full_row["cpu_s"],
            "daily_build_cpu_s": round(sum(r["cpu_s"] for r in daily_rows) / len(daily_rows), 2),
            "startup_parse_wall_s": next(r for r in rows if "dbt parse" in r["step"])["wall_s"],
            "daily_no_new_data_model_execution_s": rows[-2]["model_execution_s"],
            "daily_selection_full_refresh_model_execution_s": rows[-1]["model_execution_s"],
            "daily_models": sum(
                n for status, n in daily_rows[-1]["nodes"].items() if status == "success"
            ),
        },
    }


def print_table(report: dict[str, Any]) -> None:
    header = f"{'step':48} {'wall s':>8} {'cpu s':>8} {'models s':>9} {'tests s':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in report["steps"]:
        models = row.get("model_execution_s")
        tests = row.get("test_execution_s")
        print(
            f"{row['step']:48} {row['wall_s']:8.1f} {row['cpu_s']:8.1f} "
            f"{'' if models is None else f'{models:.1f}':>9} "
            f"{'' if tests is None else f'{tests:.1f}':>8}"
        )
    summary = report["summary"]
    verdict = "meets" if summary["meets_target"] else "MISSES"
    print(
        f"\nfixed part of a daily run (same selection, no new data): "
        f"{summary['daily_no_new_data_model_execution_s']:.1f} s of model execution over "
        f"{summary['daily_models']} models; the daily selection rebuilt from scratch: "
        f"{summary['daily_selection_full_refresh_model_execution_s']:.1f} s"
    )
    print(
        f"daily model execution {summary['daily_build_model_execution_s']:.1f} s / full "
        f"{summary['full_build_model_execution_s']:.1f} s = "
        f"{summary['ratio_daily_to_full_model_execution']:.3f} ({verdict} the target < "
        f"{summary['target_ratio']}); load average {report['machine']['load_average_before']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        report = bench(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="bench_incremental_") as workdir:
            report = bench(args, Path(workdir))
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
