"""Every mart of the hand-written baseline compared with dbt's, row for row.

The marts are read from dbt's manifest: every model under ``models/marts/``
(views too), its contract columns (but the load time, which differs per
build) and the columns of its ``primary_key`` test. Rows are joined on
that key; a row matches when every contract column agrees: doubles to 1e-9
relative (sums of floats round differently when added in another order),
everything else exactly, nulls included. A mart the baseline does not
build, or builds without a contract column, does not match.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.database import LOAD_TIME_COLUMNS

FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
RELATIVE_TOLERANCE = 1e-9
HANDWRITTEN_SCHEMA = "hw"


@dataclass(frozen=True)
class Mart:
    """A mart of the dbt project: its relation, contract columns and primary key."""

    name: str
    schema: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


def marts_of(manifest_path: Path) -> list[Mart]:
    """The models under models/marts/ of a dbt manifest, by name."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    keys = {
        node["attached_node"]: tuple(node["test_metadata"]["kwargs"]["columns"])
        for node in nodes
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "primary_key"
    }
    marts = [
        Mart(
            name=node["alias"] or node["name"],
            schema=node["schema"],
            columns=tuple(c for c in node["columns"] if c not in LOAD_TIME_COLUMNS),
            key=keys.get(node["unique_id"], ()),
        )
        for node in nodes
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        and node["config"]["materialized"] != "ephemeral"
    ]
    return sorted(marts, key=lambda mart: mart.name)


def _columns(connection: Any, catalog: str, schema: str, table: str) -> dict[str, str]:
    rows = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchall()
    return {name: kind for name, kind in rows}


def _differs(column: str, kind: str) -> str:
    """SQL: the handwritten value `h.column` differs from dbt's `d.column`."""
    if kind in FLOAT_TYPES:
        return (
            f"((h.{column} is null) <> (d.{column} is null) or abs(h.{column} - d.{column}) "
            f"> {RELATIVE_TOLERANCE} * greatest(abs(h.{column}), abs(d.{column})))"
        )
    return f"h.{column} is distinct from d.{column}"


def _compare_mart(connection: Any, dbt_catalog: str, mart: Mart) -> dict[str, Any]:
    dbt_columns = _columns(connection, dbt_catalog, mart.schema, mart.name)
    hw_columns = _columns(connection, "hw_db", HANDWRITTEN_SCHEMA, mart.name)
    columns = [c for c in mart.columns if c in dbt_columns] or list(dbt_columns)
    missing = [c for c in columns if c not in hw_columns]
    if not hw_columns or missing:
        return {"match": False, "missing_columns": missing or "the whole table"}
    key = list(mart.key) or [c for c in columns if dbt_columns[c] not in FLOAT_TYPES]
    dbt_table = f'"{dbt_catalog}"."{mart.schema}"."{mart.name}"'
    hw_table = f'hw_db."{HANDWRITTEN_SCHEMA}"."{mart.name}"'
    on = " and ".join(f"h.{c} is not distinct from d.{c}" for c in key)
    differing = " or ".join(_differs(c, dbt_columns[c]) for c in columns if c not in key) or "false"
    keys = ", ".join(key)
    row = connection.execute(
        f"""
        select
            (select count(*) from {hw_table}) as handwritten_rows,
            (select count(*) from {dbt_table}) as dbt_rows,
            (select count(*) - count(distinct ({keys})) from {hw_table})
                as handwritten_repeated_keys,
            (select count(*) - count(distinct ({keys})) from {dbt_table}) as dbt_repeated_keys,
            count(*) filter (where d.present is null) as only_handwritten,
            count(*) filter (where h.present is null) as only_dbt,
            count(*) filter (where h.present and d.present and ({differing})) as differing_rows
        from (select *, true as present from {hw_table}) as h
        full outer join (select *, true as present from {dbt_table}) as d on {on}
        """
    ).fetchone()
    names = ("handwritten_rows", "dbt_rows", "handwritten_repeated_keys", "dbt_repeated_keys",
             "only_handwritten", "only_dbt", "differing_rows")  # fmt: skip
    entry: dict[str, Any] = dict(zip(names, row or (), strict=True))
    entry["key"] = key
    entry["match"] = all(entry[name] == 0 for name in names[2:]) and (
        entry["handwritten_rows"] == entry["dbt_rows"]
    )
    return entry


def compare_marts(handwritten_db: Path, dbt_db: Path, manifest_path: Path) -> dict[str, Any]:
    """Every mart of the manifest: row counts, rows on one side only, rows that differ."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"attach '{handwritten_db}' as hw_db (read_only)")
    # under its own name: dbt's views name their parents by it
    dbt_catalog = dbt_db.stem
    connection.execute(f"attach '{dbt_db}' as \"{dbt_catalog}\" (read_only)")
    result = {
        mart.name: _compare_mart(connection, dbt_catalog, mart) for mart in marts_of(manifest_path)
    }
    connection.close()
    return {"all_match": bool(result) and all(e["match"] for e in result.values()), "marts": result}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--handwritten", type=Path, required=True, help="the baseline's DuckDB file"
    )
    parser.add_argument("--dbt", type=Path, required=True, help="dbt's DuckDB file")
    parser.add_argument("--manifest", type=Path, required=True, help="dbt's manifest.json")
    args = parser.parse_args(argv)
    print(json.dumps(compare_marts(args.handwritten, args.dbt, args.manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
