"""The baselines the pipeline's steps are held against, each its own measured process.

* ``faker``: the original project's generator, one row at a time with Faker,
  writing as many activity rows (bench/faker_generator.py);
* ``read_csv``: DuckDB's own ``read_csv`` of the same CSV files into a fresh
  DuckDB file, every column text (what ``dbt seed`` does, without dbt);
* ``handwritten``: the hand-written SQL (bench/sql/) over the same raw
  tables: the ``read_csv`` file, or views over the Parquet files.

The two DuckDB baselines run in a child process of this module::

    python -m bench.baselines read_csv --data DIR --database FILE
    python -m bench.baselines handwritten --database FILE [--parquet DIR]

which prints its own figures as one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import handwritten
from bench.process_tree import Measured, measure, must
from generator.config import RAW_TABLES as ALL_RAW_TABLES
from orchestration.dbt_runner import REPO_ROOT

LOOKUP_TABLE = "saas_internal_accounts"
RAW_TABLES = tuple(table for table in ALL_RAW_TABLES if table != LOOKUP_TABLE)
DEFAULT_MEMORY_LIMIT = "4GB"


def _connect(database: Path, memory_limit: str) -> Any:
    import duckdb

    connection = duckdb.connect(str(database))
    connection.execute(f"set memory_limit = '{memory_limit}'")
    return connection


def _create_from_csv(connection: Any, table: str, path: Path) -> None:
    """``raw.<table>`` from a CSV file, every column text, the header's names."""
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in header)
    connection.execute(
        f"create table raw.{table} as select * from read_csv('{path}', header = true, "
        f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})"
    )


def load_with_read_csv(data: Path, database: Path, memory_limit: str) -> dict[str, Any]:
    """Every raw CSV (and the lookup) of ``data`` into schema raw of a new ``database``."""
    database.unlink(missing_ok=True)
    connection = _connect(database, memory_limit)
    connection.execute("create schema raw")
    per_table: dict[str, float] = {}
    for table in (*RAW_TABLES, LOOKUP_TABLE):
        started = time.perf_counter()
        _create_from_csv(connection, table, data / f"{table}.csv")
        per_table[table] = round(time.perf_counter() - started, 4)
    connection.close()
    return {"query_s": round(sum(per_table.values()), 4), "per_table_s": per_table}


def run_handwritten(database: Path, memory_limit: str, parquet: Path | None) -> dict[str, Any]:
    """The hand-written SQL over schema raw of ``database``; each statement timed.

    With ``parquet``, a new ``database`` whose raw tables are views over the
    Parquet files (what dbt's external sources read), and the lookup loaded.
    """
    if parquet is not None:
        database.unlink(missing_ok=True)
    connection = _connect(database, memory_limit)
    if parquet is not None:
        connection.execute("create schema raw")
        for table in RAW_TABLES:
            connection.execute(
                f"create view raw.{table} as select * from "
                f"read_parquet('{parquet / (table + '.parquet')}/*.parquet')"
            )
        _create_from_csv(connection, LOOKUP_TABLE, parquet / f"{LOOKUP_TABLE}.csv")
    timings = handwritten.run(connection, handwritten.project_vars(REPO_ROOT))
    connection.close()
    slowest = dict(sorted(timings.items(), key=lambda item: -item[1])[:8])
    return {"query_s": round(sum(timings.values()), 4), "slowest_statements_s": slowest}


def measure_worker(*args: str) -> tuple[Measured, dict[str, Any]]:
    """Run a baseline worker of this module; its measurement and its own figures."""
    command = [sys.executable, "-m", "bench.baselines", *args]
    run = must(measure(command, cwd=REPO_ROOT), f"baseline {args[0]}")
    return run, json.loads(run.output.strip().splitlines()[-1])


def faker(rows: int, customers: int, seed: int, window: tuple[str, str], out: Path) -> Measured:
    """The one-row-at-a-time Faker generator, writing ``rows`` activity rows to ``out``."""
    command = [
        sys.executable, "-m", "bench.faker_generator", "--rows", str(rows),
        "--customers", str(customers), "--seed", str(seed), "--start", window[0],
        "--end", window[1], "--out", str(out),
    ]  # fmt: skip
    return must(measure(command, cwd=REPO_ROOT), "Faker baseline")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.baselines",
        description="Run one DuckDB baseline of the benchmark; prints its figures as JSON.",
    )
    parser.add_argument("baseline", choices=("read_csv", "handwritten"))
    parser.add_argument("--database", type=Path, required=True, help="the DuckDB file")
    parser.add_argument("--data", type=Path, help="read_csv: the folder of the raw CSV files")
    parser.add_argument(
        "--parquet", type=Path, help="handwritten: read the raw tables from this Parquet folder"
    )
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT, help="DuckDB memory_limit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.baseline == "read_csv":
        if args.data is None:
            parser.error("read_csv needs --data")
        result = load_with_read_csv(args.data, args.database, args.memory_limit)
    else:
        result = run_handwritten(args.database, args.memory_limit, args.parquet)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
