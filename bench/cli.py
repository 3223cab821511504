"""Benchmark the whole pipeline against its baselines, step by step (`make bench`).

For each scale, in a throwaway copy of the project (the working tree is not
touched), every step runs as its own process, timed (wall, CPU) and watched
for memory: generate, load (``dbt seed``), ``dbt build``, dbt's start-up and
the daily incremental run (bench/steps.py). In the same run, each step's
baseline: one-row-at-a-time Faker generation, DuckDB's ``read_csv``, a
hand-written DuckDB recomputation of every mart (bench/baselines.py); every
mart of the hand-written baseline is compared with dbt's, row for row
(bench/compare.py). Prints a table and writes JSON; the goals and figures
are described in bench/report.py.

Wall times include waiting for the CPU: on a shared machine they grow with
the load, which is recorded at the start of every step.

    python -m bench                                  # small and demo
    python -m bench --scales medium                  # ~12M activity rows (Parquet)
    python -m bench --scales large                   # 100M+ rows: ~25 GB of disk, most of an hour
    python -m bench --scales small --plant-faults    # faulty rows of every kind too
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.process_tree import StepFailedError, measure
from bench.report import GOALS, print_table, summarise, verdicts
from bench.scales import SCALES
from bench.steps import Options, ScaleRun
from orchestration.dbt_runner import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "bench.json"
TEST_COMMAND_GOAL_S = 8 * 60.0


def scale_list(text: str) -> list[str]:
    scales = [name.strip() for name in text.split(",") if name.strip()]
    if not scales or any(name not in SCALES for name in scales):
        raise argparse.ArgumentTypeError(f"a comma-separated list of {', '.join(SCALES)}")
    return scales


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="scales: " + "; ".join(f"{s.name}: {s.note}" for s in SCALES.values()),
    )
    parser.add_argument(
        "--scales", type=scale_list, default=["small", "demo"],
        help=f"comma-separated, of {','.join(SCALES)} (default small,demo)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON results file")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale (default 1)")
    parser.add_argument(
        "--memory-limit", default=os.environ.get("DBT_DUCKDB_MEMORY_LIMIT", "4GB"),
        help="DuckDB memory_limit of dbt and the baselines (default 4GB)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int,
        help="dbt threads (default: the scale's: 1 at medium and large, else the profile's 2)",
    )  # fmt: skip
    parser.add_argument(
        "--plant-faults", action="store_true",
        help="add faulty rows of every kind to the generated data (CSV scales only)",
    )  # fmt: skip
    parser.add_argument("--no-daily", action="store_true", help="skip the daily incremental run")
    parser.add_argument(
        "--daily-rerun", action="store_true",
        help="also time the daily run again with no new data (its fixed cost)",
    )  # fmt: skip
    parser.add_argument(
        "--with-tests", action="store_true",
        help=f"also time the full test command once (goal: under {TEST_COMMAND_GOAL_S:.0f} s)",
    )  # fmt: skip
    parser.add_argument("--test-command", default="make test", help="(default: make test)")
    parser.add_argument(
        "--workdir", type=Path, help="where the project copies go (default: a temporary folder)"
    )
    return parser


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    from importlib.metadata import version

    import duckdb
    import psutil

    cpu_model = platform.processor()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "dbt_core": version("dbt-core"),
        "dbt_duckdb": version("dbt-duckdb"),
        "duckdb": duckdb.__version__,
    }


def run_scale(options: Options, scale: str, repeat: int, workdir: Path) -> dict[str, Any]:
    """Every run of one scale, their summary and the goals' verdicts."""
    runs = []
    for index in range(repeat):
        folder = workdir / f"{scale}-{index + 1}"
        runs.append(ScaleRun(options, SCALES[scale], folder).run())
        shutil.rmtree(folder, ignore_errors=True)  # large scales leave GBs behind
    summary = summarise(runs)
    return {
        "note": SCALES[scale].note,
        "summary": summary,
        "goals": verdicts(scale, summary),
        "runs": runs,
    }


def time_test_command(command: str) -> dict[str, Any]:
    """The full test command, once, in the working tree."""
    print(f"bench: the full test command ({command}) ...", flush=True)
    run = measure(command.split(), cwd=REPO_ROOT)
    return run.row() | {
        "returncode": run.returncode,
        "goal_s": TEST_COMMAND_GOAL_S,
        "met": run.ok and run.wall_s <= TEST_COMMAND_GOAL_S,
        "tail": run.output[-1500:],
    }


def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    options = Options(
        seed=args.seed,
        memory_limit=args.memory_limit,
        threads=args.threads,
        plant_faults=args.plant_faults,
        daily=not args.no_daily,
        daily_rerun=args.daily_rerun,
    )
    report = {
        "benchmark": "bench",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "options": vars(args) | {"out": str(args.out), "workdir": str(workdir)},
        "goals": [goal.__dict__ for goal in GOALS],
        "scales": {scale: run_scale(options, scale, args.repeat, workdir) for scale in args.scales},
    }
    if args.with_tests:
        report["test_command"] = time_test_command(args.test_command)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.plant_faults and any(SCALES[scale].parquet for scale in args.scales):
        parser.error("--plant-faults works on CSV scales only (small, demo)")
    try:
        if args.workdir is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            report = bench(args, args.workdir.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="bench_") as workdir:
                report = bench(args, Path(workdir))
    except StepFailedError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nbench: results written to {args.out}")
    return 0
