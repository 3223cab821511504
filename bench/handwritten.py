"""The hand-written transform baseline: bench/sql/handwritten_*.sql, run directly.

The SQL files hold a lean DuckDB recomputation of every mart of the dbt
build. A ``${name}`` in them is the var ``name`` of dbt_project.yml, rendered
here as a SQL literal, so the baseline applies the project's own rules and
thresholds. Each statement is timed on its own.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import yaml

SQL_DIR = Path(__file__).resolve().parent / "sql"
SQL_FILES = "handwritten_*.sql"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
# a statement ends with `;` at the end of a line
STATEMENT_END = re.compile(r";[ \t]*\n")


class UnknownVarError(KeyError):
    """A placeholder names no var of dbt_project.yml."""


def project_vars(project_root: Path) -> dict[str, Any]:
    """The ``vars`` of the project's dbt_project.yml."""
    config = yaml.safe_load((project_root / "dbt_project.yml").read_text())
    variables = dict(config.get("vars") or {})
    variables["user_key_secret"] = user_key_secret(variables)
    return variables


def user_key_secret(variables: dict[str, Any]) -> str:
    """The key of user_key, taken as macros/utils/text.sql takes it (now, from the environment)."""
    return os.environ.get("SAAS_USER_KEY_SECRET", variables["user_key_default_secret"])


def sql_literal(value: Any) -> str:
    """A var's value as a DuckDB literal: text quoted, lists as lists, mappings as MAPs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(sql_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{sql_literal(key)}: {sql_literal(item)}" for key, item in value.items())
        return "MAP {" + ", ".join(pairs) + "}"
    raise TypeError(f"no SQL literal for a var of type {type(value).__name__}: {value!r}")


def render(sql: str, variables: dict[str, Any]) -> str:
    """``sql`` with every ``${name}`` replaced by the var's literal (comment lines as they are)."""

    def literal(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise UnknownVarError(f"${{{name}}}: no such var in dbt_project.yml")
        return sql_literal(variables[name])

    lines = sql.splitlines(keepends=True)
    return "".join(
        line if line.lstrip().startswith("--") else PLACEHOLDER.sub(literal, line) for line in lines
    )


def statements(variables: dict[str, Any]) -> list[tuple[str, str]]:
    """Every statement of the SQL files, in order, rendered: (short label, SQL)."""
    found: list[tuple[str, str]] = []
    for path in sorted(SQL_DIR.glob(SQL_FILES)):
        for chunk in STATEMENT_END.split(render(path.read_text(), variables) + "\n"):
            code = [
                line for line in chunk.splitlines() if line.strip() and not line.startswith("--")
            ]
            if code:
                label = re.sub(r"\s+", " ", code[0]).strip()[:72]
                found.append((f"{path.stem[len('handwritten_') :]}: {label}", chunk))
    return found


def run(connection: Any, variables: dict[str, Any]) -> dict[str, float]:
    """Run every statement on ``connection`` (a duckdb connection); seconds per statement."""
    timings: dict[str, float] = {}
    for label, sql in statements(variables):
        started = time.perf_counter()
        connection.execute(sql)
        timings[label] = round(time.perf_counter() - started, 4)
    return timings
