"""Source freshness as asset checks: ``dbt source freshness`` judges each raw
table that has a freshness rule, and its result is a blocking check on the
table's asset (no `from __future__ import annotations` here: Dagster reads
the context and config annotations at definition time).

A table past ``warn_after`` fails its check with severity WARN; past
``error_after`` too, so the build goes on (it builds what has arrived), as
the daily job does when it exits 3. With ``require_fresh`` a stale table
fails with severity ERROR and, the check being blocking, nothing downstream
runs. ``as_of`` judges freshness as of another day (replays of old data).
"""

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Config,
    Failure,
    MetadataValue,
    multi_asset_check,
)

from orchestration import daily_job
from orchestration.assets import RAW_GROUP, artifacts_dir, retry_policy, reuse_partial_parse
from orchestration.database import DatabaseBusyError, database_pool, exclusive_database
from orchestration.dbt_runner import DbtProject


class FreshnessConfig(Config):
    """How the source freshness check judges the raw tables."""

    as_of: str | None = None  # YYYY-MM-DD: judge as of that day (replayed data); default now
    require_fresh: bool = False  # a stale table stops everything downstream


def freshness_specs(manifest: Path) -> list[AssetCheckSpec]:
    """One blocking check per raw table (seed) whose source has a freshness rule."""
    nodes = json.loads(manifest.read_text())
    seeds = {node["name"] for node in nodes["nodes"].values() if node["resource_type"] == "seed"}
    return [
        AssetCheckSpec(
            "source_freshness",
            asset=AssetKey([RAW_GROUP, source["name"]]),
            blocking=True,
            description="dbt source freshness: is the latest day in the table recent enough?",
        )
        for source in nodes["sources"].values()
        if source["name"] in seeds
        and (source.get("freshness") or {}).get("error_after", {}).get("count")
    ]


def build_source_freshness(manifest: Path, project: DbtProject) -> AssetChecksDefinition:
    @multi_asset_check(
        specs=freshness_specs(manifest),
        name="source_freshness",
        can_subset=True,
        retry_policy=retry_policy(),
        pool=database_pool(project),
    )
    def source_freshness(
        context: AssetCheckExecutionContext, config: FreshnessConfig
    ) -> Iterator[AssetCheckResult]:
        try:
            as_of = dt.date.fromisoformat(config.as_of) if config.as_of else None
        except ValueError:
            raise Failure(f"as_of must be a YYYY-MM-DD date: got {config.as_of!r}") from None
        op_context = context.op_execution_context
        target = artifacts_dir(
            project, op_context.run_id, "source_freshness", op_context.retry_number
        )
        reuse_partial_parse(project, target)
        try:
            with exclusive_database(project):
                run = project.dbt(
                    *daily_job.FRESHNESS_ARGS,
                    "--target-path",
                    str(target),
                    "--log-path",
                    str(target),
                    check=False,
                    extra_env=daily_job.freshness_env(as_of),
                )
        except DatabaseBusyError as busy:
            raise Failure(description=str(busy)) from None
        if daily_job.Freshness.of(run.returncode) is daily_job.Freshness.FAILED:
            raise Failure(description=f"dbt source freshness could not run:\n{run.output[-3000:]}")
        sources = json.loads((target / "sources.json").read_text())["results"]
        selected = set(context.selected_asset_check_keys)
        for result in sources:
            key = AssetCheckKey(
                AssetKey([RAW_GROUP, result["unique_id"].split(".")[-1]]), "source_freshness"
            )
            if key in selected:
                yield freshness_result(key, result, config.require_fresh, target)

    return source_freshness


def freshness_result(
    key: AssetCheckKey, result: Mapping[str, Any], require_fresh: bool, target: Path
) -> AssetCheckResult:
    """A table's freshness as a check result: a warn fails with severity WARN,
    an error with WARN too unless fresh data is required."""
    status = result["status"]
    stale = status in ("error", "runtime error")
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=status == "pass",
        severity=AssetCheckSeverity.ERROR if stale and require_fresh else AssetCheckSeverity.WARN,
        metadata={
            "status": status,
            "latest row (max_loaded_at)": str(result.get("max_loaded_at")),
            "judged at (snapshotted_at)": str(result.get("snapshotted_at")),
            "age_hours": round(float(result.get("max_loaded_at_time_ago_in_s") or 0) / 3600, 1),
            "sources.json": MetadataValue.path(str(target / "sources.json")),
        },
    )
