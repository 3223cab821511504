"""dbt's Jinja context, emulated for sqlfluff's jinja templater.

sqlfluff imports this package through ``library_path`` in ``.sqlfluff``: every
public name below becomes a global of the Jinja context our SQL is rendered in,
next to sqlfluff's own dbt builtins (``ref``, ``source``, ``config``, ``this``,
``is_incremental``, ``return``). The project's macros are loaded by sqlfluff
itself (``load_macros_from_path = macros,tests/generic``), so what gets linted
is what ``dbt compile`` produces, except for:

* ``var()``: the real defaults from ``dbt_project.yml`` (an unknown var without
  a default fails the render, as it fails dbt);
* ``dbt.<macro>``: dbt's cross-database macros, re-implemented below for the
  two adapters we ship (the same SQL shapes as dbt-duckdb / dbt-bigquery),
  after the project's own overrides (``duckdb__safe_cast``, ...) per the
  ``dispatch:`` search order of ``dbt_project.yml``;
* ``adapter.dispatch()``: the project's ``<adapter>__`` / ``default__`` macros;
* ``execute`` is false: nothing introspects a warehouse while linting.

The adapter is the ``dbt_adapter`` variable of
``[sqlfluff:templater:jinja:context]`` (``duckdb`` in ``.sqlfluff``,
``bigquery`` in ``.sqlfluff-bigquery``), so BigQuery linting sees the SQL
dbt-bigquery would run. A ``dbt.<macro>`` without an implementation here fails
the render loudly (a templating error): add it to ``_DBT_MACROS``.
"""

from __future__ import annotations

import functools as _functools
import os as _os
from collections.abc import Callable as _Callable
from pathlib import Path as _Path
from typing import Any as _Any

import jinja2 as _jinja2
import yaml as _yaml

_PROJECT_DIR = _Path(__file__).resolve().parents[2]
_ADAPTERS = ("duckdb", "bigquery")


@_functools.cache
def _project() -> dict[str, _Any]:
    with (_PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as handle:
        return _yaml.safe_load(handle)


_PROJECT_NAME: str = _project()["name"]


def _adapter_type(ctx: _jinja2.runtime.Context) -> str:
    adapter = str(ctx.get("dbt_adapter") or _os.environ.get("SQLFLUFF_DBT_ADAPTER", "duckdb"))
    if adapter not in _ADAPTERS:
        raise _jinja2.TemplateRuntimeError(f"dbt_adapter must be one of {_ADAPTERS}: {adapter!r}")
    return adapter


def _defined(ctx: _jinja2.runtime.Context, name: str) -> _Callable[..., _Any] | None:
    """A macro of the project loaded by sqlfluff, or None."""
    value = ctx.get(name)
    if value is None or isinstance(value, _jinja2.Undefined) or not callable(value):
        return None
    if type(value).__name__ in {"UndefinedRecorder", "DummyUndefined"}:
        return None
    return value


def _project_first_for(namespace: str) -> bool:
    """Whether dbt_project.yml's `dispatch:` searches our macros before `namespace`'s."""
    for entry in _project().get("dispatch") or []:
        if entry.get("macro_namespace") == namespace:
            return _PROJECT_NAME in (entry.get("search_order") or [])
    return False


# --- dbt's cross-database macros -------------------------------------------
# Each takes the adapter type first, then the macro's own arguments.


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _type_string(adapter: str) -> str:
    return "string" if adapter == "bigquery" else "varchar"


def _date_trunc(adapter: str, datepart: str, date: str) -> str:
    if adapter == "bigquery":
        return f"timestamp_trunc(cast({date} as timestamp), {datepart})"
    return f"date_trunc({_q(datepart)}, {date})"


def _dateadd(adapter: str, datepart: str, interval: _Any, from_date: str) -> str:
    if adapter == "bigquery":
        return f"datetime_add(cast({from_date} as datetime), interval {interval} {datepart})"
    return f"({from_date} + cast({interval} as bigint) * interval 1 {datepart})"


def _datediff(adapter: str, first_date: str, second_date: str, datepart: str) -> str:
    if adapter == "bigquery":
        return (
            f"datetime_diff(cast({second_date} as datetime), "
            f"cast({first_date} as datetime), {datepart})"
        )
    return f"(date_diff({_q(datepart)}, {first_date}::timestamp, {second_date}::timestamp))"


def _last_day(adapter: str, date: str, datepart: str) -> str:
    next_first = _dateadd(adapter, datepart, "1", _date_trunc(adapter, datepart, date))
    return f"cast({_dateadd(adapter, 'day', '-1', next_first)} as date)"


def _hash(adapter: str, field: str) -> str:
    digest = f"md5(cast({field} as {_type_string(adapter)}))"
    return f"to_hex({digest})" if adapter == "bigquery" else digest


def _split_part(adapter: str, text: str, delimiter: str, part: int) -> str:
    if adapter == "bigquery":
        return f"split({text}, {delimiter})[safe_offset({int(part) - 1})]"
    return f"string_split({text}, {delimiter})[{part}]"


def _date_spine(adapter: str, datepart: str, start_date: str, end_date: str) -> str:
    column = f"date_{datepart}"
    if adapter == "bigquery":
        return (
            f"select {column}\n"
            f"from unnest(generate_date_array({start_date}, {end_date}, interval 1 {datepart}))"
            f" as {column}\n"
            f"where {column} < {end_date}"
        )
    return (
        f"select cast(generate_series as date) as {column}\n"
        f"from generate_series({start_date}, {end_date}, interval 1 {datepart})\n"
        f"where generate_series < {end_date}"
    )


def _escape_single_quotes(adapter: str, expression: str) -> str:
    return expression.replace("'", "\\'" if adapter == "bigquery" else "''")


_TYPES = {
    # name: (duckdb, bigquery)
    "type_string": ("varchar", "string"),
    "type_bigint": ("bigint", "int64"),
    "type_int": ("integer", "int64"),
    "type_float": ("float", "float64"),
    "type_numeric": ("numeric(28,6)", "numeric"),
    "type_boolean": ("boolean", "bool"),
    "type_timestamp": ("timestamp", "timestamp"),
}


def _listagg(
    adapter: str,
    measure: str,
    delimiter_text: str = "','",
    order_by_clause: str | None = None,
    limit_num: int | None = None,
) -> str:
    """The same string_agg on both adapters (dbt-duckdb and dbt-bigquery)."""
    return f"string_agg({measure}, {delimiter_text} {order_by_clause or ''})"


_DBT_MACROS: dict[str, _Callable[..., str]] = {
    **{
        name: (lambda adapter, _types=types: _types[_ADAPTERS.index(adapter)])
        for name, types in _TYPES.items()
    },
    "date_trunc": _date_trunc,
    "dateadd": _dateadd,
    "datediff": _datediff,
    "last_day": _last_day,
    "hash": _hash,
    "concat": lambda adapter, fields: " || ".join(fields),
    "cast": lambda adapter, field, type: f"cast({field} as {type})",
    "safe_cast": lambda adapter, field, type: (
        f"safe_cast({field} as {type})" if adapter == "bigquery" else f"cast({field} as {type})"
    ),
    "split_part": _split_part,
    "bool_or": lambda adapter, expression: (
        f"logical_or({expression})" if adapter == "bigquery" else f"bool_or({expression})"
    ),
    "any_value": lambda adapter, expression: (
        f"any_value({expression})" if adapter == "bigquery" else f"arbitrary({expression})"
    ),
    "current_timestamp": lambda adapter: (
        "current_timestamp()" if adapter == "bigquery" else "now()"
    ),
    "string_literal": lambda adapter, value: _q(str(value)),
    "escape_single_quotes": _escape_single_quotes,
    "date_spine": _date_spine,
    "listagg": _listagg,
}


def _resolve(
    ctx: _jinja2.runtime.Context, namespace: str | None, name: str
) -> _Callable[..., _Any]:
    """What `adapter.dispatch(name, namespace)` returns, as dbt resolves it."""
    adapter = _adapter_type(ctx)
    search_project = namespace is None or namespace == _PROJECT_NAME
    search_project = search_project or _project_first_for(namespace or "")
    if search_project:
        for prefix in (adapter, "default"):
            macro = _defined(ctx, f"{prefix}__{name}")
            if macro is not None:
                return macro
    if namespace == "dbt":
        if name in _DBT_MACROS:
            return _functools.partial(_DBT_MACROS[name], adapter)
        raise _jinja2.TemplateRuntimeError(
            f"dbt.{name}() has no emulation for sqlfluff: add it to _DBT_MACROS in "
            "conventions/sqlfluff_library/__init__.py"
        )
    raise _jinja2.TemplateRuntimeError(
        f"No {adapter}__{name} or default__{name} macro for adapter.dispatch({name!r})"
    )


class _Namespace:
    """`dbt.<macro>(...)` and `<project>.<macro>(...)`."""

    def __init__(self, package: str) -> None:
        self._package = package

    def __getattr__(self, name: str) -> _Callable[..., _Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        package = self._package

        @_jinja2.pass_context
        def call(ctx: _jinja2.runtime.Context, *args: _Any, **kwargs: _Any) -> _Any:
            if package == _PROJECT_NAME:
                macro = _defined(ctx, name)
                if macro is None:
                    raise _jinja2.TemplateRuntimeError(f"No macro {package}.{name}")
                return macro(*args, **kwargs)
            # dbt's own macros all dispatch: dbt.x() == adapter.dispatch('x', 'dbt')()
            return _resolve(ctx, "dbt", name)(*args, **kwargs)

        return call


class _Adapter:
    """`adapter`: only `dispatch` (introspection needs `execute`, which is false)."""

    @_jinja2.pass_context
    def dispatch(
        self, ctx: _jinja2.runtime.Context, macro_name: str, macro_namespace: str | None = None
    ) -> _Callable[..., _Any]:
        return _resolve(ctx, macro_namespace, macro_name)

    def __getattr__(self, name: str) -> _Any:
        raise _jinja2.TemplateRuntimeError(
            f"adapter.{name}() queries the warehouse: guard it with `{{% if execute %}}`"
        )


class _Column:
    @staticmethod
    def translate_type(dtype: str) -> str:
        return dtype


class _Api:
    Column = _Column


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise _jinja2.TemplateRuntimeError(message)

    @staticmethod
    def warn(message: str) -> str:
        return ""


class _Target:
    """`target`: the dev target. (Models keep `target.type` out of their SQL.)"""

    name = "dev"
    schema = "main"
    database = "saas"
    type = _os.environ.get("SQLFLUFF_DBT_ADAPTER", "duckdb")
    threads = 1


_MISSING = object()


def var(name: str, default: _Any = _MISSING) -> _Any:
    """dbt's var(): the value from dbt_project.yml, else `default` (which may be
    None, as in `var('x', none)`), else an error."""
    project_vars = _project().get("vars") or {}
    scoped = project_vars.get(_PROJECT_NAME) if isinstance(project_vars, dict) else None
    for scope in (scoped or {}, project_vars):
        if name in scope:
            return scope[name]
    if default is not _MISSING:
        return default
    raise _jinja2.TemplateRuntimeError(f"Required var '{name}' not found in dbt_project.yml")


def env_var(name: str, default: str | None = None) -> str:
    value = _os.environ.get(name, default)
    if value is None:
        raise _jinja2.TemplateRuntimeError(f"Env var required but not provided: '{name}'")
    return value


def log(message: _Any, info: bool = False) -> str:
    return ""


def run_query(sql: str) -> None:
    raise _jinja2.TemplateRuntimeError("run_query() needs a warehouse: guard it with `execute`")


class _Modules:
    """`modules`: the Python modules dbt exposes to Jinja."""

    import datetime
    import itertools
    import re


dbt = _Namespace("dbt")
adapter = _Adapter()
api = _Api()
exceptions = _Exceptions()
target = _Target()
execute = False
run_started_at = _Modules.datetime.datetime(2024, 1, 1, tzinfo=_Modules.datetime.timezone.utc)
graph: dict[str, dict[str, _Any]] = {"nodes": {}, "sources": {}, "exposures": {}}
flags = {"WHICH": "compile"}
project_name = _PROJECT_NAME
modules = _Modules()
globals()[_PROJECT_NAME] = _Namespace(_PROJECT_NAME)
# dbt's own macros are also callable without the `dbt.` prefix; the project's
# macros of the same name (loaded later by sqlfluff) take precedence, as in dbt.
globals().update({_name: getattr(dbt, _name) for _name in _DBT_MACROS})
