"""The semantic layer, compiled by MetricFlow's Python API and run by the report's engine.

The metrics are defined once, in ``models/marts/semantic/``; dbt writes them to
``semantic_manifest.json`` on every parse. MetricFlow compiles a metric query
(metrics, group-by items, filters) from that file into SQL without touching the
warehouse; the report then runs the SQL with the same engine as its queries on
the marts. That costs an import and a fraction of a second per query, where the
``mf`` command pays a new Python process and a project parse per query.

MetricFlow writes the relation names it finds in the manifest; they are swapped
for ``{{ ref('model') }}`` first, so each engine places the marts itself (the
DuckDB file's schema, or wherever dbt's target builds them) and every query says
which models it reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from report.errors import ReportError
from report.warehouse import Kind, Query

# MetricFlow wants "<schema>.<table>"; this schema marks a relation to turn into ref().
_REF_SCHEMA = "report_ref"
_MARKED = re.compile(rf"\b{_REF_SCHEMA}\.(\w+)")
_TIME_GRAINS = ("__day", "__week", "__month", "__quarter", "__year")

# Filter of every query that leaves internal (test) accounts out
EXTERNAL_ONLY = "{{ Dimension('customer__is_internal') }} = false"


@dataclass(frozen=True)
class MetricQuery:
    """A question to the semantic layer, in MetricFlow's names."""

    name: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = (EXTERNAL_ONLY,)

    @property
    def columns(self) -> tuple[tuple[str, Kind], ...]:
        """The columns MetricFlow returns: the group-by items, then the metrics."""
        grouped: list[tuple[str, Kind]] = [
            (name, "date" if name.endswith(_TIME_GRAINS) else "str") for name in self.group_by
        ]
        return (*grouped, *((metric, "num") for metric in self.metrics))


@dataclass(frozen=True)
class MetricDoc:
    """A metric's label and description, as the semantic layer defines them."""

    label: str
    description: str


def _relations_as_refs(node: Any) -> Any:
    """The manifest with every relation a marked "<schema>.<model>" name."""
    if isinstance(node, list):
        return [_relations_as_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    if {"alias", "schema_name", "relation_name"} <= node.keys():
        return {
            **node,
            "database": None,
            "schema_name": _REF_SCHEMA,
            "relation_name": f"{_REF_SCHEMA}.{node['alias']}",
        }
    return {key: _relations_as_refs(value) for key, value in node.items()}


@dataclass(frozen=True)
class _Dialect:
    """The part of MetricFlow's SqlClient that compiling reads: the engine and its SQL
    renderer. MetricFlow never runs SQL here, so nothing else is needed."""

    sql_engine_type: Any
    sql_plan_renderer: Any


def _dialect(adapter_type: str) -> Any:
    from metricflow.protocols.sql_client import SqlClient, SqlEngine
    from metricflow.sql.render.big_query import BigQuerySqlPlanRenderer
    from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

    dialects = {
        "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer),
        "bigquery": (SqlEngine.BIGQUERY, BigQuerySqlPlanRenderer),
    }
    if adapter_type not in dialects:
        raise ReportError(f"the report has no SQL dialect for a {adapter_type!r} target")
    engine, renderer = dialects[adapter_type]
    return cast(SqlClient, _Dialect(engine, renderer()))


class SemanticLayer:
    """The project's semantic manifest, compiled to SQL for one warehouse dialect."""

    def __init__(self, manifest_path: Path, adapter_type: str) -> None:
        if not manifest_path.is_file():
            raise ReportError(
                f"no semantic layer at {manifest_path}: run `dbt parse` or `dbt build` first"
            )
        try:
            self._manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ReportError(f"{manifest_path} line {error.lineno}: {error.msg}") from error
        self._path = manifest_path
        self._adapter_type = adapter_type

    @cached_property
    def _engine(self) -> Any:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        marked = json.dumps(_relations_as_refs(self._manifest))
        manifest = parse_manifest_from_dbt_generated_manifest(marked)
        return MetricFlowEngine(SemanticManifestLookup(manifest), _dialect(self._adapter_type))

    @cached_property
    def docs(self) -> Mapping[str, MetricDoc]:
        """Every metric's label and description, by name."""
        return {
            metric["name"]: MetricDoc(
                label=metric.get("label") or metric["name"],
                description=" ".join((metric.get("description") or "").split()),
            )
            for metric in self._manifest.get("metrics", [])
        }

    def compile(self, query: MetricQuery) -> Query:
        """The query as SQL on ``{{ ref() }}`` relations, columns as MetricFlow names them."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=query.metrics,
            group_by_names=query.group_by or None,
            where_constraints=query.where or None,
        )
        try:
            sql = self._engine.explain(request).sql_statement.sql
        except Exception as error:  # MetricFlow raises many types; each names the problem
            first_line = str(error).strip().splitlines()[0]
            raise ReportError(
                f"the semantic layer ({self._path}) cannot answer {query.name}: {first_line}"
            ) from error
        return Query(query.name, _MARKED.sub(r"{{ ref('\1') }}", sql), query.columns)
