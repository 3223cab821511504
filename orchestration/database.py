"""The database a job writes: one writer at a time, and comparing two builds.

A job (the daily job, a replay, an orchestrator step) holds the job lock of
its database while dbt runs, and checks first that no other process has the
DuckDB file open, so that a second writer fails at once with one clear line
instead of a traceback from deep inside dbt. The orchestrator also queues its
runs per database (``database_pool`` names it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from orchestration.dbt_runner import DbtProject


class DatabaseBusyError(RuntimeError):
    """Another process holds the database (or this job's lock)."""


def database_pool(project: DbtProject) -> str:
    """The orchestrator's concurrency pool of the project's database, named for
    it: the DuckDB file, or the BigQuery target and dataset."""
    if project.is_duckdb:
        name = f"duckdb:{project.database_path.resolve()}"
    else:
        env = project.full_env()
        dataset = env.get("BIGQUERY_DATASET") or env.get("BQ_EMULATOR_DATASET", "")
        name = f"{env.get('DBT_TARGET')}:{env.get('BIGQUERY_PROJECT', '')}.{dataset}"
    return "".join("_" if char.isspace() else char for char in name)  # no blanks in pool names


def lock_path(project: DbtProject) -> Path:
    """The job lock: ``<database>.lock`` next to a DuckDB file, else in target/."""
    if project.is_duckdb:
        database = project.database_path
        return database.with_name(database.name + ".lock")
    return project.target_dir / "daily_job.lock"


@contextlib.contextmanager
def exclusive_database(project: DbtProject) -> Iterator[None]:
    """Hold the project's job lock; on DuckDB, check the file is free first.

    Raises DatabaseBusyError (one line, naming the holder) when another job or
    process has the database.
    """
    with job_lock(lock_path(project)):
        if project.is_duckdb:
            check_duckdb_free(project.database_path)
        yield


@contextlib.contextmanager
def job_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the duration of a job.

    A second job asking for the same lock fails at once (no waiting) with
    DatabaseBusyError naming the holder. The lock is an flock: the kernel
    releases it when the holder exits, however it exits (a killed job leaves
    no stale lock behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise DatabaseBusyError(
                f"{path} is held by {holder}: another run is using this database. "
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
    import duckdb  # imported here: the jobs also serve BigQuery targets

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
    """The project's materialized marts (tables and incremental models), as
    ``schema.name``."""
    return materialized_relations(manifest_path, layer="marts")


def materialized_relations(manifest_path: Path, layer: str | None = None) -> list[str]:
    """The models stored as tables (tables and incremental models), as
    ``schema.name`` (each layer has its schema), optionally only those of one
    layer (``staging``, ``intermediate``, ``marts``)."""
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and (layer is None or layer in node["fqn"])
        and node["config"]["materialized"] in ("table", "incremental")
    )


# Load metadata, not data: the time a row was written differs between two
# builds of the same data, and a rerun rewrites its lookback days.
LOAD_TIME_COLUMNS = ("dbt_loaded_at",)


def read_relation(database: Path, relation_name: str) -> tuple[Any, list[str]]:
    """A relation (``schema.name``) of a DuckDB file as a pandas DataFrame in a
    canonical row order (sorted on its non-float columns), and the names of its
    float columns; the load-time columns are left out."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        relation = connection.sql(f"select * from {relation_name}")
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
    """Row-for-row comparison of relations (``schema.name``) in two DuckDB files.

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
