"""Reading the warehouse: a query on the marts in, plain Python rows out.

A query names its relations as ``{{ ref('model') }}`` (the semantic layer's
compiled SQL too, see report/semantic.py) and uses only SQL that DuckDB and
BigQuery share. Two engines run it:

* ``duckdb`` (the default for a DuckDB target): opens the profile's DuckDB file
  read-only and reads the marts from the profile's schema (``--schema``
  overrides it). Fast, no dbt parse.
* ``dbt`` (the default for any other target, e.g. BigQuery): runs each query
  through dbt's own adapter with ``dbt show --inline`` (dbt's Python API), so
  ``ref()`` resolves the marts wherever the target builds them. Its dbt
  artifacts go to ``target/usage_report_dbt/``, never over the build's.

Each query says how to read each of its columns, so both engines yield the
same Python values and the page the same bytes.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from report.errors import EXIT_USAGE, ReportError
from report.project import Target

# "num": a metric; integral values come back as int, others as float
Kind = Literal["str", "int", "float", "num", "bool", "date"]
Record = dict[str, Any]
Engine = Literal["auto", "duckdb", "dbt"]

DBT_TARGET_PATH = Path("target") / "usage_report_dbt"
BUILD_TARGET_PATH = Path("target")
FLOAT_DIGITS = 9  # engines differ in the last bits of a float sum; the page must not
_REF = re.compile(r"\{\{\s*ref\(\s*'(\w+)'\s*\)\s*\}\}")


@dataclass(frozen=True)
class Query:
    """A named query on the marts and how to read each selected column."""

    name: str
    sql: str
    columns: tuple[tuple[str, Kind], ...]

    @property
    def relations(self) -> frozenset[str]:
        """The models the query reads."""
        return frozenset(_REF.findall(self.sql))


def _is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | Decimal):
        return math.isnan(value)
    return value != value  # pandas/numpy missing values are not equal to themselves


def _as_date(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def _as_number(value: Any) -> int | float:
    number = round(float(value), FLOAT_DIGITS)
    return int(number) if number.is_integer() else number


def normalise(value: Any, kind: Kind) -> Any:
    """One warehouse value as a plain Python value of ``kind`` (dates as ISO text)."""
    if _is_null(value):
        return None
    if kind == "str":
        return str(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return round(float(value), FLOAT_DIGITS)
    if kind == "num":
        return _as_number(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in {"true", "t", "1", "yes"}
        return bool(value)
    return _as_date(value)


def normalise_rows(
    query: Query, column_names: Sequence[str], rows: Iterable[Sequence[object]]
) -> list[Record]:
    names = [name.lower() for name in column_names]
    missing = [name for name, _ in query.columns if name not in names]
    if missing:
        raise ReportError(f"query {query.name}: the warehouse returned no column {missing}")
    positions = {name: names.index(name) for name, _ in query.columns}
    return [
        {name: normalise(row[positions[name]], kind) for name, kind in query.columns}
        for row in rows
    ]


class Warehouse(Protocol):
    def fetch(self, query: Query) -> list[Record]: ...

    def semantic_manifest(self) -> Path: ...


@dataclass
class DuckDBWarehouse:
    """Reads the marts straight from the DuckDB file, read-only."""

    path: Path
    schema: str
    project_dir: Path
    _connection: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        import duckdb

        if not self.path.is_file():
            raise ReportError(
                f"no DuckDB warehouse at {self.path}: run `dbt seed && dbt build` first "
                "(or set DBT_DUCKDB_PATH)"
            )
        try:
            self._connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise ReportError(f"cannot open {self.path}: {error}") from error

    def render(self, sql: str) -> str:
        schema = self.schema.replace('"', '""')
        return _REF.sub(lambda match: f'"{schema}"."{match[1]}"', sql)

    def fetch(self, query: Query) -> list[Record]:
        import duckdb

        try:
            cursor = self._connection.execute(self.render(query.sql))
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as error:
            first_line = str(error).splitlines()[0]
            raise ReportError(
                f"query {query.name} failed on {self.path} (schema {self.schema}): {first_line}"
            ) from error
        return normalise_rows(query, names, rows)

    def semantic_manifest(self) -> Path:
        """The semantic layer of the last dbt parse or build of the project."""
        return self.project_dir / BUILD_TARGET_PATH / "semantic_manifest.json"

    def close(self) -> None:
        self._connection.close()


@dataclass
class DbtWarehouse:
    """Runs each query through dbt's adapter (``dbt show --inline``), for any target."""

    project_dir: Path
    profiles_dir: Path
    target: str
    target_override: str | None = None
    cli_vars: str | None = None
    _runner: Any = field(default=None, init=False, repr=False)

    def _args(self) -> list[str]:
        # --target only when the user chose one: dbt's partial-parse state
        # records it, and the build's state (see _seed_partial_parse) had none.
        target = ["--target", self.target_override] if self.target_override else []
        variables = ["--vars", self.cli_vars] if self.cli_vars else []
        return [
            *("--project-dir", str(self.project_dir)),
            *("--profiles-dir", str(self.profiles_dir)),
            *target,
            *variables,
            *("--target-path", str(self.project_dir / DBT_TARGET_PATH)),
            *("--log-level", "none"),
        ]

    def _invoke(self, runner: Any, args: list[str], what: str) -> Any:
        result = runner.invoke([*args, *self._args()])
        if result.success:
            return result.result
        detail = result.exception
        if detail is None and result.result is not None:
            detail = "; ".join(
                str(getattr(item, "message", item))
                for item in getattr(result.result, "results", [])
            )
        raise ReportError(f"dbt {what} failed on target {self.target!r}: {detail}")

    def _seed_partial_parse(self) -> None:
        """Start from the build's partial-parse state when this target path has none
        (dbt checks it and parses in full if it does not match)."""
        ours = self.project_dir / DBT_TARGET_PATH / "partial_parse.msgpack"
        builds = self.project_dir / BUILD_TARGET_PATH / "partial_parse.msgpack"
        if not ours.exists() and builds.is_file():
            ours.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(builds, ours)

    def _parsed(self) -> Any:
        from dbt.cli.main import dbtRunner

        if self._runner is None:
            self._seed_partial_parse()
            manifest = self._invoke(dbtRunner(), ["parse"], "parse")
            self._runner = dbtRunner(manifest=manifest)
        return self._runner

    def fetch(self, query: Query) -> list[Record]:
        result = self._invoke(
            self._parsed(),
            ["show", "--inline", query.sql, "--limit", "-1"],
            f"show ({query.name})",
        )
        table = result.results[0].agate_table
        return normalise_rows(query, list(table.column_names), table.rows)

    def semantic_manifest(self) -> Path:
        """The semantic layer as dbt parses it now, for this target."""
        self._parsed()
        return self.project_dir / DBT_TARGET_PATH / "semantic_manifest.json"

    def close(self) -> None:
        self._runner = None
        release_dbt_connections()


def release_dbt_connections() -> None:
    """Close what dbt's adapters hold open in this process. dbt-duckdb keeps one
    read-write DuckDB handle per process, which would lock the file against
    other readers of the same process until exit."""
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing of it to close
        return
    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


def _duckdb_warehouse(
    target: Target, project_dir: Path, schema_override: str | None
) -> DuckDBWarehouse:
    if target.adapter_type != "duckdb":
        raise ReportError(
            f"--engine duckdb needs a DuckDB target; {target.name!r} is "
            f"{target.adapter_type!r} (use --engine dbt)",
            EXIT_USAGE,
        )
    path = Path(str(target.settings.get("path", "saas.duckdb")))
    if not path.is_absolute():
        path = project_dir / path
    schema = schema_override or str(target.settings.get("schema", "main"))
    return DuckDBWarehouse(path, schema, project_dir)


@contextmanager
def open_warehouse(
    target: Target,
    project_dir: Path,
    engine: Engine,
    schema_override: str | None,
    cli_vars: str | None = None,
) -> Iterator[Warehouse]:
    if engine == "duckdb" or (engine == "auto" and target.adapter_type == "duckdb"):
        warehouse = _duckdb_warehouse(target, project_dir, schema_override)
        try:
            yield warehouse
        finally:
            warehouse.close()
        return
    if schema_override:
        raise ReportError("--schema only applies to the duckdb engine", EXIT_USAGE)
    with tempfile.TemporaryDirectory(prefix="usage_report_profiles_") as scratch:
        profiles_dir = target.profiles_file.parent
        if target.profiles_file.name != "profiles.yml":  # the example profile
            shutil.copy(target.profiles_file, Path(scratch) / "profiles.yml")
            profiles_dir = Path(scratch)
        chosen = target.name if target.chosen else None
        dbt_warehouse = DbtWarehouse(project_dir, profiles_dir, target.name, chosen, cli_vars)
        try:
            yield dbt_warehouse
        finally:
            dbt_warehouse.close()
