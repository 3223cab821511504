#!/usr/bin/env python3
"""Benchmark the data generator against a one-row-at-a-time Faker baseline.

Runs, each in its own subprocess so that wall time and peak memory are its own:

1. ``generate_saas_data.py --scale SCALE`` (the vectorised generator), and
2. a baseline that re-implements the original project's generator: Python loops
   building one dict per row with Faker / ``random`` calls, pandas DataFrames, a
   ``groupby`` that turns raw events into event counts, ``to_csv``. It writes the
   six tables for the same customers and window and stops at exactly the number of
   activity rows the generator produced in (1).

Peak memory is the child's maximum resident set size (``os.wait4`` rusage), wall
time is measured around the child. Prints a table and writes JSON (default
``bench/results/generate.json``). Target (SPEC section 8): the generator at least
20x faster than the baseline; the original took 21 s and 850 MB for 1.1M rows.

    python -m bench.generate                 # demo scale
    python -m bench.generate --repeat 3      # best of 3 for the generator
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "generate.json"
TARGET_SPEEDUP = 20.0


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------
def measure(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` as a child process; its wall seconds, peak RSS (MB) and exit status."""
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f)
        # Reap the child with wait4, which reports that child's own peak RSS
        # (Popen.wait would reap it through waitpid and lose the rusage).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    peak_kb = usage.ru_maxrss  # kilobytes on Linux
    return {
        "wall_s": round(wall, 3),
        "peak_mb": round(peak_kb / 1024, 1),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "returncode": proc.returncode,
        "stdout": out.decode(errors="replace"),
        "stderr": err.decode(errors="replace"),
    }


def count_rows(path: Path) -> int:
    """Data rows of a CSV file (lines minus the header)."""
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            n += chunk.count(b"\n")
    return n - 1


# --------------------------------------------------------------------------
# Baseline: the original project's algorithm, one row at a time
# --------------------------------------------------------------------------
INDUSTRIES = [
    "Technology",
    "Finance",
    "Healthcare",
    "Retail",
    "Education",
    "Manufacturing",
    "Transportation & Logistics",
    "Media & Entertainment",
    "Professional Services",
    "Government & Public Sector",
]


def baseline(rows: int, customers: int, start: dt.date, end: dt.date, seed: int, out: Path) -> int:
    """Write the six tables the way the original script did, with exactly ``rows`` activity rows.

    The original algorithm, one Python dict per row: every user of a customer gets
    1-4 random events on every site and day; the events go into a DataFrame that
    ``groupby(...).size()`` turns into event counts; storage is one random value per
    site-day and jobs one random run per site-day and job type; Faker draws user
    names, domains and registration dates. It stops at the site-day where the
    distinct (user, site, date, type) rows reach ``rows``, and keeps exactly that
    many.
    """
    import random

    import pandas as pd
    from faker import Faker

    fake = Faker()
    fake.seed_instance(seed)
    random.seed(seed)
    dates = pd.date_range(start=start, end=end, freq="D")
    activity_types = ["Access", "Create", "View", "Publish"]
    job_types = ["extract", "subscription", "flow run", "alert", "bridge"]

    customer_data = []
    for i in range(customers):
        customer_data.append(
            {
                "customer_id": str(1_000_000_001 + i),
                "industry": random.choice(INDUSTRIES),
                "region": random.choice(["North America", "EMEA", "APAC"]),
                "account_tier": random.choice(["Commercial", "SMB", "Enterprise"]),
                "contact_email": fake.company_email(),
            }
        )
    customer_df = pd.DataFrame(customer_data)

    seen: set[str] = set()
    site_data = []
    for customer_id in customer_df["customer_id"]:
        for _ in range(random.randint(1, 3)):
            while True:
                site_id = "A" + "".join(random.choices("0123456789", k=11))
                if site_id not in seen:
                    seen.add(site_id)
                    break
            site_data.append({"customer_id": customer_id, "site_id": site_id})
    site_df = pd.DataFrame(site_data)

    storage_data = []
    for _, site in site_df.iterrows():
        for day in dates:
            storage_data.append(
                {
                    "customer_id": site["customer_id"],
                    "site_id": site["site_id"],
                    "date": day.strftime("%Y-%m-%d"),
                    "storage_bytes": random.randint(1_000_000, 100_000_000),
                }
            )

    users_data = []
    for customer_id in customer_df["customer_id"]:
        sites = site_df[site_df["customer_id"] == customer_id]["site_id"].tolist()
        pool = []
        for _ in range(random.randint(3, 12)):
            pool.append(
                {
                    "customer_id": customer_id,
                    "user_email": f"{fake.user_name()}@{fake.domain_name()}",
                    "registration_date": fake.date_between(start, end).strftime("%Y-%m-%d"),
                    "license_type": random.choice(["Viewer", "Explorer", "Creator"]),
                }
            )
        for site_id in sites:
            for user in random.sample(pool, random.randint(1, len(pool))):
                users_data.append(user | {"site_id": site_id})
    users_df = pd.DataFrame(users_data)

    events = []
    distinct = 0
    done = False
    while not done:  # further passes (later years) only if one pass falls short
        for _, site in site_df.iterrows():
            emails = users_df[users_df["customer_id"] == site["customer_id"]]["user_email"].unique()
            for day in dates:
                for email in emails.tolist():
                    kinds = set()
                    for _ in range(random.randint(1, 4)):
                        kind = random.choice(activity_types)
                        kinds.add(kind)
                        events.append(
                            {
                                "customer_id": site["customer_id"],
                                "user_email": email,
                                "site_id": site["site_id"],
                                "date": day.strftime("%Y-%m-%d"),
                                "activity_type": kind,
                            }
                        )
                    distinct += len(kinds)
                if distinct >= rows:
                    done = True
                    break
            if done:
                break
        dates = dates + pd.DateOffset(years=len(dates) // 365 + 1)
    activity_df = (
        pd.DataFrame(events)
        .groupby(["customer_id", "user_email", "site_id", "date", "activity_type"])
        .size()
        .reset_index(name="event_count")
        .iloc[:rows]
    )

    job_data = []
    for _, site in site_df.iterrows():
        for day in pd.date_range(start=start, end=end, freq="D"):
            for job_type in job_types:
                job_data.append(
                    {
                        "customer_id": site["customer_id"],
                        "site_id": site["site_id"],
                        "date": day.strftime("%Y-%m-%d"),
                        "background_job_type": job_type,
                        "background_job_min": random.randint(1, 80),
                    }
                )

    out.mkdir(parents=True, exist_ok=True)
    customer_df.to_csv(out / "saas_customer_info.csv", index=False)
    site_df[["site_id", "customer_id"]].to_csv(out / "saas_sites.csv", index=False)
    pd.DataFrame(storage_data).to_csv(out / "saas_storage.csv", index=False)
    users_df.to_csv(out / "saas_users.csv", index=False)
    activity_df.to_csv(out / "saas_user_activity.csv", index=False)
    pd.DataFrame(job_data).to_csv(out / "saas_background_jobs.csv", index=False)
    return len(activity_df)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("small", "demo"), default="demo")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="generator runs; the fastest counts")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--skip-baseline", action="store_true", help="time the generator only")
    # internal: the baseline child process
    parser.add_argument("--baseline-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--customers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--end", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return parser


def scale_window(scale: str) -> tuple[int, dt.date, dt.date]:
    from generator.config import SCALES

    s = SCALES[scale]
    return s.customers, s.start, s.end


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.baseline_worker:
        n = baseline(args.rows, args.customers, args.start, args.end, args.seed, args.data)
        print(n)
        return 0
    if args.repeat < 1:
        print("bench_generate.py: error: --repeat must be at least 1", file=sys.stderr)
        return 2

    customers, start, end = scale_window(args.scale)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        fast_dir = Path(tmp) / "generator"
        runs = []
        for _ in range(args.repeat):
            cmd = [sys.executable, str(GENERATOR), "--scale", args.scale]
            cmd += ["--seed", str(args.seed), "--out", str(fast_dir), "--quiet"]
            r = measure(cmd)
            if r["returncode"] != 0:
                print(r["stderr"], file=sys.stderr)
                return 1
            runs.append(r)
        fast = min(runs, key=lambda r: r["wall_s"])
        rows = count_rows(fast_dir / "saas_user_activity.csv")
        fast["activity_rows"] = rows
        fast["wall_s_all"] = [r["wall_s"] for r in runs]

        slow: dict[str, Any] | None = None
        if not args.skip_baseline:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--baseline-worker"]
            cmd += ["--rows", str(rows), "--customers", str(customers), "--seed", str(args.seed)]
            cmd += ["--start", start.isoformat(), "--end", end.isoformat()]
            cmd += ["--data", str(Path(tmp) / "baseline")]
            slow = measure(cmd)
            if slow["returncode"] != 0:
                print(slow["stderr"], file=sys.stderr)
                return 1
            slow["activity_rows"] = count_rows(Path(tmp) / "baseline" / "saas_user_activity.csv")

    for step in (fast, slow):
        if step is not None:
            step.pop("stdout", None)
            step.pop("stderr", None)
            step["rows_per_s"] = round(step["activity_rows"] / step["wall_s"])
    result: dict[str, Any] = {
        "benchmark": "generate",
        "scale": args.scale,
        "seed": args.seed,
        "customers": customers,
        "window": [start.isoformat(), end.isoformat()],
        "generator": fast,
        "baseline": slow,
        "speedup": round(slow["wall_s"] / fast["wall_s"], 1) if slow else None,
        "cpu_speedup": (
            round((slow["user_s"] + slow["sys_s"]) / (fast["user_s"] + fast["sys_s"]), 1)
            if slow
            else None
        ),
        "memory_ratio": round(slow["peak_mb"] / fast["peak_mb"], 2) if slow else None,
        "target_speedup": TARGET_SPEEDUP,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1m_before": load_before,
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        },
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    result["meets_target"] = bool(slow) and result["speedup"] >= TARGET_SPEEDUP

    print(f"generator benchmark ({args.scale}, seed {args.seed}, {customers} customers)")
    print(f"{'':<22}{'wall s':>9}{'peak MB':>10}{'activity rows':>15}{'rows/s':>12}")
    for label, row in (("vectorised generator", fast), ("row-at-a-time Faker", slow)):
        if row is not None:
            print(
                f"{label:<22}{row['wall_s']:>9.2f}{row['peak_mb']:>10.0f}"
                f"{row['activity_rows']:>15,}{row['rows_per_s']:>12,}"
            )
    if slow:
        verdict = "meets" if result["meets_target"] else "MISSES"
        print(
            f"speed-up {result['speedup']}x wall, {result['cpu_speedup']}x CPU time "
            f"({verdict} the {TARGET_SPEEDUP:.0f}x target); peak memory "
            f"{result['memory_ratio']}x lower"
        )
    if max(load_before, os.getloadavg()[0]) > (os.cpu_count() or 1):
        print("note: the machine was busy (load average above the CPU count); wall times vary")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
