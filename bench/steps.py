"""One run of the pipeline and its baselines at one scale, every step its own process.

========================  ===================================================
step                      what runs
========================  ===================================================
generate                  ``generate_saas_data.py`` (CSV into the project's
                          seeds; Parquet into a data folder)
load                      ``dbt seed`` (Parquet: the raw tables are external
                          sources read in place; only the internal-accounts
                          lookup is loaded)
build                     ``dbt build``: models and data tests (seeds and unit
                          tests excluded: unit tests check code, not data)
startup                   ``dbt parse`` with partial parsing warm: dbt's fixed
                          start-up, paid by every command
daily_load, daily_build   one new day arriving on a built project: the data
                          through the day before is loaded and built from
                          scratch (``--full-refresh``, not timed), then the
                          full data arrives (``dbt seed``, or the Parquet
                          folder re-pointed) and ``dbt build --selector daily``
========================  ===================================================

The baselines (bench/baselines.py) run between the build and the daily run,
on the same data; then every mart of the baseline is compared with dbt's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import baselines
from bench.process_tree import Measured, measure, must
from bench.project import ProjectCopy, run_results_summary
from bench.scales import BenchScale
from orchestration.dbt_runner import DBT, REPO_ROOT

GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"
BUILD = ("build", "--exclude-resource-type", "seed", "unit_test")
DAILY = ("build", "--selector", "daily")
# planted faults exceed the default share of quarantined rows that fails a build
FAULTY_DATA_VARS = {"quarantine_max_share": 0.5}


@dataclass(frozen=True)
class Options:
    """What every scale run shares (the command line's options)."""

    seed: int = 42
    memory_limit: str = "4GB"
    threads: int | None = None
    plant_faults: bool = False
    daily: bool = True
    daily_rerun: bool = False


def csv_rows(path: Path) -> int:
    """Data rows of a CSV file (lines minus the header)."""
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            lines += chunk.count(b"\n")
    return lines - 1


def run_module(what: str, module: str, *args: str) -> Measured:
    """A module of the benchmark run to its end. Heavy work runs in a child
    process: a child's kernel peak memory starts at its parent's own (see
    bench/process_tree.py), so the driver stays small."""
    return must(measure([sys.executable, "-m", module, *args], cwd=REPO_ROOT), what)


class ScaleRun:
    """The steps and baselines of one scale, in a project copy under ``workdir``."""

    def __init__(self, options: Options, scale: BenchScale, workdir: Path) -> None:
        self.options = options
        self.scale = scale
        self.workdir = workdir
        self.project = ProjectCopy.create(
            workdir / "project", options.memory_limit, options.threads or scale.threads
        )
        self.data = workdir / "data" if scale.parquet else self.project.seeds_dir
        # dbt reads the Parquet folder through this link, so the daily run can
        # swap the data under it without changing dbt's vars (a full re-parse)
        self.raw_link = workdir / "raw_parquet"
        self.steps: dict[str, dict[str, Any]] = {}
        self.baselines: dict[str, dict[str, Any]] = {}
        self.activity_rows = 0

    # -- helpers -----------------------------------------------------------
    def log(self, message: str) -> None:
        print(f"bench [{self.scale.name}] {message}", flush=True)

    def dbt(self, *args: str) -> Measured:
        dbt_vars: dict[str, Any] = dict(FAULTY_DATA_VARS) if self.options.plant_faults else {}
        if self.scale.parquet:
            dbt_vars |= {"raw_parquet_path": str(self.raw_link), "raw_loaded_by_seeds": False}
        command = [DBT, *args, *(["--vars", json.dumps(dbt_vars)] if dbt_vars else [])]
        return measure(command, cwd=self.project.root, env=self.project.full_env())

    def dbt_step(self, *args: str) -> dict[str, Any]:
        """A measured dbt command and dbt's own figures of it."""
        run = must(self.dbt(*args), "dbt " + " ".join(args))
        return run.row() | run_results_summary(self.project.run_results())

    def generate(self, folder: Path, through: dt.date | None = None) -> Measured:
        command = [
            sys.executable, str(GENERATOR), *self.scale.generator_options(),
            "--seed", str(self.options.seed), "--out", str(folder), "--quiet",
        ]  # fmt: skip
        if through is not None:
            command += ["--through", through.isoformat()]
        folder.mkdir(parents=True, exist_ok=True)
        run = must(measure(command, cwd=REPO_ROOT), "generation")
        if self.options.plant_faults:  # not timed
            run_module("planting faults", "bench.faults", str(folder))
        return run

    def point_raw_at(self, folder: Path) -> None:
        self.raw_link.unlink(missing_ok=True)
        self.raw_link.symlink_to(folder, target_is_directory=True)

    def count_activity_rows(self) -> int:
        if not self.scale.parquet:
            return csv_rows(self.data / "saas_user_activity.csv")
        import duckdb

        files = self.data / "saas_user_activity.parquet" / "*.parquet"
        with duckdb.connect() as connection:
            row = connection.execute(f"select count(*) from read_parquet('{files}')").fetchone()
        return int(row[0]) if row else 0

    # -- the run -----------------------------------------------------------
    def run(self) -> dict[str, Any]:
        load_before = [round(x, 2) for x in os.getloadavg()]
        self.step_generate()
        self.log("load (dbt seed) ...")
        self.steps["load"] = self.dbt_step("seed")
        self.log("build (dbt build) ...")
        self.steps["build"] = self.dbt_step(*BUILD)
        self.log("start-up (dbt parse, warm) ...")
        self.steps["startup"] = must(self.dbt("parse"), "dbt parse").row()
        self.baseline_faker()
        self.baseline_read_csv()
        self.baseline_handwritten()
        self.log("comparing every mart of the hand-written baseline with dbt's ...")
        comparison = self.compare()
        if self.options.daily:
            self.step_daily()
        return {
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "activity_rows": self.activity_rows,
            "planted_faults": self.options.plant_faults,
            # the profile reads DBT_THREADS (default 2)
            "dbt_threads": int(self.project.full_env().get("DBT_THREADS", "2")),
            "steps": self.steps,
            "baselines": self.baselines,
            "handwritten_matches_dbt": comparison,
            # small, or the children's kernel peaks would be inflated (process_tree)
            "driver_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }

    def step_generate(self) -> None:
        self.log("generate ...")
        self.steps["generate"] = self.generate(self.data).row()
        self.activity_rows = self.count_activity_rows()
        if self.scale.parquet:
            lookup = f"{baselines.LOOKUP_TABLE}.csv"
            shutil.copy(self.data / lookup, self.project.seeds_dir / lookup)
            self.point_raw_at(self.data)

    def step_daily(self) -> None:
        """The daily job on the day the last day of the data arrives."""
        day_before = self.scale.last_day - dt.timedelta(days=1)
        self.log(f"daily: the project as of {day_before}, built from scratch (not timed) ...")
        if self.scale.parquet:
            previous = self.workdir / "data_day_before"
            self.generate(previous, through=day_before)
            self.point_raw_at(previous)
        else:
            self.generate(self.data, through=day_before)
            must(self.dbt("seed"), "dbt seed (the day before)")
        must(self.dbt(*DAILY, "--full-refresh"), "dbt build --full-refresh (the day before)")

        self.log(f"daily: {self.scale.last_day} arrives, dbt build --selector daily ...")
        if self.scale.parquet:
            self.point_raw_at(self.data)
            self.steps["daily_load"] = {"skipped": "Parquet read in place: nothing to load"}
        else:
            self.generate(self.data)
            self.steps["daily_load"] = self.dbt_step("seed")
        self.steps["daily_build"] = self.dbt_step(*DAILY)
        if self.options.daily_rerun:
            self.log("daily: the same again, no new data ...")
            self.steps["daily_rerun"] = self.dbt_step(*DAILY)

    def compare(self) -> dict[str, Any]:
        run = run_module(
            "the comparison of the marts", "bench.compare",
            "--handwritten", str(self.workdir / "baseline.duckdb"),
            "--dbt", str(self.project.database), "--manifest", str(self.project.manifest),
        )  # fmt: skip
        comparison: dict[str, Any] = json.loads(run.output.strip().splitlines()[-1])
        return comparison | {"wall_s": round(run.wall_s, 2)}

    # -- baselines -----------------------------------------------------------
    def baseline_faker(self) -> None:
        if self.scale.parquet:
            self.baselines["faker"] = {"skipped": "row-by-row generation would take hours"}
            return
        self.log(f"baseline: one-row-at-a-time Faker, {self.activity_rows:,} activity rows ...")
        out = self.workdir / "faker_baseline"
        profile = self.scale.generator_profile
        window = (profile.start.isoformat(), profile.end.isoformat())
        customers = self.scale.customers or profile.customers
        run = baselines.faker(self.activity_rows, customers, self.options.seed, window, out)
        written = csv_rows(out / "saas_user_activity.csv")
        self.baselines["faker"] = run.row() | {"activity_rows": written}
        shutil.rmtree(out, ignore_errors=True)

    def baseline_read_csv(self) -> None:
        if self.scale.parquet:
            self.baselines["read_csv"] = {"skipped": "Parquet read in place: nothing to load"}
            return
        self.log("baseline: DuckDB read_csv ...")
        run, figures = baselines.measure_worker(
            "read_csv", "--data", str(self.data), "--database",
            str(self.workdir / "baseline.duckdb"), "--memory-limit", self.options.memory_limit,
        )  # fmt: skip
        self.baselines["read_csv"] = run.row() | figures

    def baseline_handwritten(self) -> None:
        self.log("baseline: hand-written DuckDB SQL ...")
        args = ["handwritten", "--database", str(self.workdir / "baseline.duckdb")]
        args += ["--memory-limit", self.options.memory_limit]
        if self.scale.parquet:
            args += ["--parquet", str(self.data)]
        run, figures = baselines.measure_worker(*args)
        self.baselines["handwritten"] = run.row() | figures
