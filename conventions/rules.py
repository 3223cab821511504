"""dbt-score rules for the project's conventions (../shared/CONVENTIONS.md).

The dbt-project-evaluator ideas, checked on ``target/manifest.json``:
naming and materialization by layer, a primary-key test on every model,
sources read only by staging, staging models 1:1 with one source, freshness
and descriptions on every source, contracts on public models, intermediate
models never exposed, exposures fed by tables, at most 7 direct parents per
model and at most 3 direct leaf children per parent.

Configured in ``[tool.dbt-score]`` of pyproject.toml. Every rule that can have
a justified exception takes an ``exceptions`` parameter: a table of
``name = "reason"`` (model name, or ``source.table`` for sources); a name
listed without a reason is not excepted. ``scripts/lint.sh`` fails on any
violation (``fail_any_item_under = 10``).
"""

import functools
import inspect
import re
import traceback
from collections.abc import Callable
from typing import Any

from dbt_score import (
    Exposure,
    Model,
    RuleViolation,
    Severity,
    Snapshot,
    Source,
    rule,
    rule_filter,
)

Check = Callable[..., RuleViolation | None]

STAGING = "models/staging/"
INTERMEDIATE = "models/intermediate/"
MARTS = "models/marts/"
UTILITIES = "models/utilities/"
TABLE_MATERIALIZATIONS = ("table", "incremental", "snapshot", "materialized_view")


def _convention(
    severity: Severity = Severity.MEDIUM,
    layer: str | None = None,
    rule_filters: set[Any] | None = None,
) -> Callable[[Check], Any]:
    """A dbt-score rule from a check, with what every rule here shares.

    The rule takes an ``exceptions`` parameter (items listed with a reason are
    not checked), applies only to models of ``layer`` when one is given, and
    turns an exception in the check into a violation (dbt-score would only
    print it).
    """

    def decorate(check: Check) -> Any:
        @functools.wraps(check)
        def wrapper(
            item: Any, *args: Any, exceptions: dict[str, str] | None = None, **kwargs: Any
        ) -> RuleViolation | None:
            name = item.selector_name if isinstance(item, Source) else item.name
            if _excepted(name, exceptions) or (layer and _layer(item) != layer):
                return None
            try:
                return check(item, *args, **kwargs)
            except Exception as error:  # the point: a crash must fail the check
                where = traceback.format_exception_only(error)[-1].strip()
                return RuleViolation(f"rule crashed: {where}")

        signature = inspect.signature(check)
        exceptions = inspect.Parameter(
            "exceptions",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=dict[str, str] | None,
        )
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), exceptions]
        )
        return rule(severity=severity, rule_filters=rule_filters)(wrapper)

    return decorate


def _excepted(name: str, exceptions: dict[str, str] | None) -> bool:
    """Whether `name` is in the exception list with a non-empty reason."""
    reason = (exceptions or {}).get(name)
    return isinstance(reason, str) and bool(reason.strip())


def _field(value: Any, name: str) -> Any:
    """`value[name]` or `value.name` (manifest dicts or dbt-score dataclasses), else None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _layer(model: Model) -> str | None:
    path = model.original_file_path
    layers = (
        ("staging", STAGING),
        ("intermediate", INTERMEDIATE),
        ("marts", MARTS),
        ("utilities", UTILITIES),
    )
    for layer, prefix in layers:
        if path.startswith(prefix):
            return layer
    return None


def _all_tests(model: Model) -> list[dict[str, Any]]:
    """Every generic data test attached to the model, model- and column-level."""
    return [test for test in model._raw_test_values if test.get("test_metadata")]


# --- filters -------------------------------------------------------------------


@rule_filter
def is_public(model: Model) -> bool:
    """Models with `access: public` (the marts' contract with their readers)."""
    return model.access == "public"


# --- naming and layers -------------------------------------------------------------


@_convention(Severity.HIGH)
def model_name_matches_layer(
    model: Model, mart_prefixes: list[str] | None = None
) -> RuleViolation | None:
    """Model names follow their layer: stg_<source>__*, int_*, or a mart prefix."""
    layer = _layer(model)
    if layer is None:
        return RuleViolation(
            f"{model.original_file_path} is outside models/staging, models/intermediate, "
            "models/marts and models/utilities."
        )
    if layer == "staging":
        # models/staging/<source system>/stg_<source system>__<entity>s
        folder = model.original_file_path.removeprefix(STAGING).split("/")[0]
        if not re.fullmatch(rf"stg_{re.escape(folder)}__[a-z0-9_]+", model.name):
            return RuleViolation(f"Staging model in {folder}/ must be stg_{folder}__<entity>.")
    elif layer == "utilities":
        # calendars and spines: named for what they hold, used by every layer
        return None
    elif layer == "intermediate":
        if not re.fullmatch(r"int_[a-z0-9_]+", model.name):
            return RuleViolation("Intermediate model names start with int_.")
    else:
        prefixes = mart_prefixes or ["fct_", "dim_"]
        if not model.name.startswith(tuple(prefixes)):
            return RuleViolation(f"Mart names start with one of {', '.join(prefixes)}.")
    return None


@_convention(Severity.HIGH, layer="staging")
def staging_model_is_view(model: Model) -> RuleViolation | None:
    """Staging models are views (a typed, renamed window on one raw table)."""
    materialized = model.config.get("materialized")
    if materialized != "view":
        return RuleViolation(f"Staging model materialized as {materialized}, not view.")
    return None


@_convention(Severity.HIGH, layer="intermediate")
def intermediate_model_not_exposed(model: Model) -> RuleViolation | None:
    """Intermediate models are not exposed: not public, no exposure reads them."""
    if model.access == "public":
        return RuleViolation("Intermediate model has access: public.")
    exposures = [child.name for child in model.children if isinstance(child, Exposure)]
    if exposures:
        return RuleViolation(f"Intermediate model feeds exposures: {', '.join(exposures)}.")
    return None


# --- tests and contracts ---------------------------------------------------------


@_convention(Severity.HIGH)
def model_has_primary_key_test(
    model: Model, key_tests: list[str] | None = None
) -> RuleViolation | None:
    """Every model has a primary-key test: unique + not_null on one column, or a key test."""
    # Generic tests that on their own prove a grain (tests/generic/).
    accepted = set(key_tests or ["primary_key"])
    tests_by_column: dict[str, set[str]] = {}
    for test in _all_tests(model):
        name = test["test_metadata"].get("name")
        if name in accepted:
            return None
        column = (test["test_metadata"].get("kwargs") or {}).get("column_name")
        if column:
            tests_by_column.setdefault(column, set()).add(name)
    if any({"unique", "not_null"} <= names for names in tests_by_column.values()):
        return None
    return RuleViolation(
        "No primary-key test: unique + not_null on one column, or one of "
        f"{', '.join(sorted(accepted))}."
    )


@_convention(Severity.HIGH, rule_filters={is_public()})
def public_model_has_enforced_contract(model: Model) -> RuleViolation | None:
    """Public models have an enforced contract (column names and types)."""
    if not (model.config.get("contract") or {}).get("enforced"):
        return RuleViolation("Public model without `contract: {enforced: true}`.")
    if not model.columns:
        return RuleViolation("Public model declares no columns.")
    return None


# --- lineage -------------------------------------------------------------------


@_convention(Severity.HIGH)
def source_read_only_by_staging(model: Model) -> RuleViolation | None:
    """Only staging models select from source()."""
    if _layer(model) == "staging":
        return None
    sources = [parent.selector_name for parent in model.parents if isinstance(parent, Source)]
    if sources:
        return RuleViolation(f"Reads source() outside staging: {', '.join(sources)}.")
    return None


@_convention(Severity.HIGH, layer="staging")
def staging_model_reads_one_source(model: Model) -> RuleViolation | None:
    """A staging model reads exactly one source and no model (no staging on staging)."""
    sources = [parent for parent in model.parents if isinstance(parent, Source)]
    # A seed is allowed: it is the raw table itself (loaded by `dbt seed`), which
    # staging may depend on for build order.
    others = [parent.name for parent in model.parents if isinstance(parent, Model | Snapshot)]
    if others:
        return RuleViolation(f"Staging model depends on {', '.join(sorted(others))}.")
    if len(sources) != 1:
        return RuleViolation(f"Staging model reads {len(sources)} sources, not 1.")
    return None


@_convention()
def model_has_few_direct_parents(model: Model, max_parents: int = 7) -> RuleViolation | None:
    """A model reads at most 7 other nodes (ref + source): split bigger joins."""
    parents = {parent.unique_id for parent in model.parents}
    if len(parents) > max_parents:
        return RuleViolation(f"{len(parents)} direct parents (> {max_parents}).")
    return None


@_convention()
def model_has_few_leaf_children(model: Model, max_leaf_children: int = 3) -> RuleViolation | None:
    """A model feeds at most 3 leaf models directly (more hints at a missing shared model)."""
    # As dbt-project-evaluator's fct_model_fanout: a leaf is a model nothing
    # depends on, no model, snapshot or exposure. (dbt-score does not load
    # semantic models, so a mart read only by the semantic layer counts as a
    # leaf here: stricter than the evaluator.)
    leaves = sorted(
        child.name for child in model.children if isinstance(child, Model) and not child.children
    )
    if len(leaves) > max_leaf_children:
        return RuleViolation(
            f"{len(leaves)} direct leaf children (> {max_leaf_children}): {', '.join(leaves)}."
        )
    return None


@_convention(Severity.HIGH)
def exposure_reads_tables(exposure: Exposure) -> RuleViolation | None:
    """Exposures are fed by tables, not by (chains of) views."""
    views = sorted(
        parent.name
        for parent in exposure.parents
        if isinstance(parent, Model)
        and parent.config.get("materialized") not in TABLE_MATERIALIZATIONS
    )
    if views:
        return RuleViolation(f"Exposure reads models that are not tables: {', '.join(views)}.")
    return None


# --- sources -------------------------------------------------------------------


@_convention(Severity.HIGH)
def source_has_freshness(source: Source) -> RuleViolation | None:
    """Every source table has a freshness check: a threshold and a loaded_at_field."""
    # dbt >= 1.10 keeps the effective freshness in config (`freshness: null` there
    # switches an inherited check off); older manifests only at the top level.
    config = source.config or {}
    freshness = config.get("freshness", source.freshness)
    thresholds = [_field(freshness, "warn_after"), _field(freshness, "error_after")]
    if not any(_field(t, "count") and _field(t, "period") for t in thresholds):
        return RuleViolation("Source table without freshness (warn_after / error_after).")
    loaded_at = (
        config.get("loaded_at_field")
        or config.get("loaded_at_query")
        or source._raw_values.get("loaded_at_field")
        or source._raw_values.get("loaded_at_query")
    )
    if not loaded_at:
        # DuckDB has no metadata-based freshness: dbt needs the column.
        return RuleViolation("Source freshness without loaded_at_field / loaded_at_query.")
    return None


@_convention(Severity.HIGH)
def source_has_description(source: Source) -> RuleViolation | None:
    """Every source and source table is described."""
    if not source.source_description.strip():
        return RuleViolation(f"Source {source.source_name} lacks a description.")
    if not source.description.strip():
        return RuleViolation("Source table lacks a description.")
    return None
