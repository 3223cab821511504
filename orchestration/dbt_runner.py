"""Shared plumbing for the scheduled-job scripts.

``run_daily.py`` (the daily job), ``replay_days.py`` (data arriving day by day)
and ``bench_incremental.py`` (daily run versus full build) all run the real
``dbt`` executable as a child process, read its ``target/`` artifacts and guard
the DuckDB file against a second writer. This module holds that plumbing; it
has no command line of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"

# Exit codes of the scripts (dbt's own: 0 success, 1 a node failed, 2 error).
EXIT_OK = 0
EXIT_BUILD_FAILED = 1  # a model or test failed: fix it, then `dbt retry`
EXIT_DBT_ERROR = 2  # dbt could not run (bad project, profile, compilation...)
EXIT_STALE_SOURCES = 3  # the build ran, but a source is past its error_after
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the database; try again later

# Files and folders a copy of the project leaves behind (as tests/dbt_project.py).
_COPY_IGNORED = shutil.ignore_patterns(
    ".venv*",
    ".git",
    "target",
    "logs",
    "dbt_packages",
    "*.duckdb",
    "*.duckdb.wal",
    "*.duckdb.lock",
    "saas_*.csv",
    "saas_*.parquet",
    "_planted_cases.json",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "profiles.yml",
    "bench",
    "data",
)


def dbt_executable() -> str:
    """The ``dbt`` of the running virtualenv, else the first on PATH."""
    sibling = Path(sys.executable).parent / "dbt"
    if sibling.exists():
        return str(sibling)
    found = shutil.which("dbt")
    if found is None:
        raise FileNotFoundError("no dbt executable: activate the project's virtualenv")
    return found


@dataclass
class Project:
    """A dbt project folder and the environment its dbt commands run with."""

    root: Path
    env: dict[str, str]

    @classmethod
    def at(cls, root: Path, **env: str) -> Project:
        """The project in ``root``; profiles from ``root`` unless DBT_PROFILES_DIR is set."""
        root = root.resolve()
        merged = {
            "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(root)),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        merged.update(env)
        return cls(root=root, env=merged)

    @classmethod
    def copy_of(cls, source: Path, destination: Path, **env: str) -> Project:
        """A copy of the project in ``destination`` with its own DuckDB file."""
        shutil.copytree(source, destination, ignore=_COPY_IGNORED)
        profiles = destination / "profiles.yml"
        if not profiles.exists():
            shutil.copy(source / "profiles.example.yml", profiles)
        base = {
            "DBT_PROFILES_DIR": str(destination),
            "DBT_DUCKDB_PATH": str(destination / "saas.duckdb"),
            "DBT_TARGET": "dev",
        }
        base.update(env)
        return cls.at(destination, **base)

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def target_dir(self) -> Path:
        return self.root / self.full_env().get("DBT_TARGET_PATH", "target")

    def full_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**os.environ, **self.env, **(extra or {})}

    @property
    def is_duckdb(self) -> bool:
        """True unless the run targets another warehouse (DBT_TARGET=bigquery...)."""
        return self.full_env().get("DBT_TARGET", "dev") == "dev"

    @property
    def database_path(self) -> Path:
        """The DuckDB file of the dev target (profiles.example.yml's rule)."""
        path = Path(self.full_env().get("DBT_DUCKDB_PATH", "saas.duckdb"))
        return path if path.is_absolute() else self.root / path

    def dbt(
        self,
        *args: str,
        extra_env: Mapping[str, str] | None = None,
        echo: IO[str] | None = None,
    ) -> DbtRun:
        """Run ``dbt ARGS`` in the project; its exit code, wall and CPU time, output."""
        return run_command(
            [dbt_executable(), *args], cwd=self.root, env=self.full_env(extra_env), echo=echo
        )

    def generate(self, *args: str) -> None:
        """Run the data generator into the project's seeds folder."""
        command = [sys.executable, str(GENERATOR), "--out", str(self.seeds_dir), "--quiet"]
        subprocess.run([*command, *args], check=True, capture_output=True, text=True)

    def run_results(self) -> dict[str, Any]:
        return json.loads((self.target_dir / "run_results.json").read_text())


@dataclass
class DbtRun:
    """One finished child process."""

    args: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_command(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    echo: IO[str] | None = None,
) -> DbtRun:
    """Run ``command``; its output is collected (and copied to ``echo``).

    The CPU time is the child's own (user + system, DuckDB's threads
    included), read from ``os.wait4``: unlike wall time, it does not grow when
    other processes compete for the machine.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if echo is not None:
            echo.write(line)
            echo.flush()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return DbtRun(
        args=list(command),
        returncode=process.returncode,
        wall_s=time.perf_counter() - started,
        cpu_s=usage.ru_utime + usage.ru_stime,
        output="".join(lines),
    )


# --------------------------------------------------------------------------
# Run results
# --------------------------------------------------------------------------
def execution_seconds(run_results: Mapping[str, Any], resource_type: str = "model") -> float:
    """Summed ``execution_time`` of the nodes of one resource type."""
    return sum(
        result["execution_time"]
        for result in run_results["results"]
        if result["unique_id"].split(".", 1)[0] == resource_type
    )


def status_counts(run_results: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in run_results["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def rows_affected(run_results: Mapping[str, Any]) -> dict[str, int | None]:
    """Rows written per model, as the adapter reported them (None if unknown)."""
    return {
        result["unique_id"].split(".")[-1]: (result.get("adapter_response") or {}).get(
            "rows_affected"
        )
        for result in run_results["results"]
        if result["unique_id"].startswith("model.")
    }


# --------------------------------------------------------------------------
# One writer at a time
# --------------------------------------------------------------------------
class DatabaseBusyError(RuntimeError):
    """Another process holds the database (or this job's lock)."""


@contextlib.contextmanager
def job_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` for the duration of a job.

    A second job asking for the same lock fails at once (no waiting) with
    DatabaseBusyError naming the holder. The lock is an flock: the kernel
    releases it when the holder exits, however it exits (a killed job leaves
    no stale lock behind).
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise DatabaseBusyError(
                f"{lock_path} is held by {holder}: another run is using this database. "
                "Wait for it to finish (or stop it), then run again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {dt.datetime.now().isoformat(timespec='seconds')}")
        handle.flush()
        yield
    finally:
        handle.close()


def check_duckdb_free(path: Path) -> None:
    """Raise DatabaseBusyError when another process has the DuckDB file open.

    DuckDB allows one writing process per file. dbt-duckdb reports a second
    one deep in a traceback; this check says it up front, in one line, with
    the holder's PID from DuckDB's own message.
    """
    if not path.exists():
        return
    import duckdb  # imported here: the scripts also serve BigQuery targets

    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:
        message = str(error)
        if "lock" not in message.lower():
            raise
        holder = message.split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0]
        raise DatabaseBusyError(
            f"the DuckDB database {path} is locked by another process ({holder.strip()}): "
            "DuckDB allows one writer at a time. Wait for it to finish (or stop it), "
            "then run again."
        ) from None
    connection.close()


def duckdb_has_relations(path: Path, names: Sequence[str]) -> bool:
    """True when the DuckDB file exists and has every one of the relations."""
    if not path.exists():
        return False
    import duckdb

    with duckdb.connect(str(path), read_only=True) as connection:
        found = connection.execute(
            "select count(distinct table_name) from information_schema.tables "
            "where table_name in (" + ", ".join("?" for _ in names) + ")",
            list(names),
        ).fetchone()
    return found is not None and found[0] == len(set(names))


# --------------------------------------------------------------------------
# Comparing two builds
# --------------------------------------------------------------------------
def mart_relations(manifest_path: Path) -> list[str]:
    """Names of the project's materialized marts (tables and incremental models)."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and "marts" in node["fqn"]
        and node["config"]["materialized"] in ("table", "incremental")
    )


# Load metadata, not data: the time a row was written differs between two
# builds of the same data, and a rerun rewrites its lookback days.
LOAD_TIME_COLUMNS = ("dbt_loaded_at",)


def read_relation(database: Path, name: str, schema: str = "main") -> tuple[Any, list[str]]:
    """A relation of a DuckDB file as a pandas DataFrame in a canonical row order
    (sorted on its non-float columns), and the names of its float columns; the
    load-time columns are left out."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        relation = connection.sql(f'select * from {schema}."{name}"')
        loaded = [c for c in relation.columns if c in LOAD_TIME_COLUMNS]
        if loaded:
            relation = relation.project(*[f'"{c}"' for c in relation.columns if c not in loaded])
        floats = [
            column
            for column, kind in zip(relation.columns, relation.types, strict=True)
            if str(kind).upper() in ("DOUBLE", "FLOAT", "REAL")
        ]
        frame = relation.df()
    keys = [c for c in frame.columns if c not in floats] or list(frame.columns)
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True), floats


def compare_relations(left: Path, right: Path, names: Sequence[str]) -> dict[str, str]:
    """Row-for-row comparison of relations in two DuckDB files.

    Rows are put in the order of their non-float columns; non-float columns
    must be exactly equal, floats equal to 1e-9 relative (a sum of floats may
    round differently in the last bit when its rows are added in another
    order). Returns {relation: what differs} for the relations that differ.
    """
    import numpy as np
    import pandas as pd

    differences: dict[str, str] = {}
    for name in names:
        (a, floats), (b, _) = read_relation(left, name), read_relation(right, name)
        if list(a.columns) != list(b.columns):
            differences[name] = f"columns {list(a.columns)} != {list(b.columns)}"
            continue
        if len(a) != len(b):
            differences[name] = f"{len(a)} rows != {len(b)} rows"
            continue
        exact = [c for c in a.columns if c not in floats]
        try:
            pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False, check_exact=True)
            for column in floats:
                np.testing.assert_allclose(
                    a[column].to_numpy(dtype=float),
                    b[column].to_numpy(dtype=float),
                    rtol=1e-9,
                    equal_nan=True,
                    err_msg=column,
                )
        except AssertionError as error:
            differences[name] = " ".join(str(error).split())[:400]
    return differences
