"""The dbt project as Dagster assets (no `from __future__ import annotations`
here: Dagster reads the context and config annotations at definition time).

* ``raw_tables``: the raw tables, one asset per seed (``dbt seed`` loads the
  generated files into the raw schema), after the pre-flight check of the
  files. The dbt sources of staging are the same tables: the lineage runs
  seed (``raw/<table>``) -> staging, and the freshness checks sit on the seeds.
* ``dbt_models``: every dbt model, with the lineage of the manifest. dbt data
  tests are asset checks; tests of severity ``error`` are blocking. Both run
  ``dbt build``, so dbt itself skips what sits downstream of a failed test.
* ``source_freshness`` (orchestration/freshness.py): checks on the raw tables.

Asset groups are the layers (raw, staging, intermediate, marts); the
descriptions are the dbt docs; tags are the dbt tags plus ``pii`` for a model
with a column whose meta says ``contains_pii``; owners come from dbt meta
(``meta.dagster.owners``, or ``meta.owner``).

Every dbt command of a run writes its artifacts (``run_results.json``,
``sources.json``, ``dbt.log``) to ``target/runs/<run id>/<step>``; the path is
on every materialization and on a step's failure. A retried step resumes: it leaves
out what the previous attempt built or tested successfully.
"""

import datetime as dt
import importlib.metadata
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Backoff,
    Config,
    Failure,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)
from dagster_dbt import DbtProject as DagsterDbtProject
from packaging.version import Version

from orchestration import daily_job
from orchestration.database import DatabaseBusyError, database_pool, exclusive_database
from orchestration.dbt_runner import DbtProject

RAW_GROUP = "raw"
# A job's run tag: dbt nodes its model step leaves out (e.g. the daily
# selector's unit tests, which test the code, not the day's data)
DBT_EXCLUDE_TAG = "saas/dbt_exclude"
# dbt statuses of a node that needs no rerun when a step is retried
DONE_STATUSES = ("success", "pass", "warn")


class SaasDbtTranslator(DagsterDbtTranslator):
    """How dbt nodes become assets: keys, groups by layer, owners and tags from dbt."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "seed":
            return AssetKey([RAW_GROUP, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DagsterDbtProject | None
    ) -> AssetSpec:
        """A source that a seed loads is that seed's table: a dependency on it is
        a dependency on the seed's asset. (dagster-dbt refuses to give a seed
        and a source the same key, so the source's dependencies are moved.)"""
        spec = super().get_asset_spec(manifest, unique_id, project)
        seeds = {
            node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "seed"
        }
        seed_key_by_source_key = {
            self.get_asset_key(source): AssetKey([RAW_GROUP, source["name"]])
            for source in manifest["sources"].values()
            if source["name"] in seeds
        }
        deps: dict[AssetKey, AssetDep] = {}
        for dep in spec.deps:
            key = seed_key_by_source_key.get(dep.asset_key, dep.asset_key)
            deps.setdefault(key, dep if key == dep.asset_key else AssetDep(key))
        for seed in _seeds_read_through_views(manifest, unique_id, seeds):
            deps.setdefault(AssetKey([RAW_GROUP, seed]), AssetDep(AssetKey([RAW_GROUP, seed])))
        return (
            spec
            if list(deps) == [d.asset_key for d in spec.deps]
            else spec.replace_attributes(deps=list(deps.values()))
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("seed", "source"):
            return RAW_GROUP
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owners = super().get_owners(dbt_resource_props)
        owner = dbt_resource_props.get("meta", {}).get("owner")
        if owners or not owner:
            return owners
        # Dagster owners are e-mail addresses or teams
        return [owner if "@" in owner or owner.startswith("team:") else f"team:{owner}"]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        columns = dbt_resource_props.get("columns", {}).values()
        if any(column.get("meta", {}).get("contains_pii") for column in columns):
            tags["pii"] = ""
        return tags


def _seeds_read_through_views(
    manifest: Mapping[str, Any], unique_id: str, seeds: set[str]
) -> set[str]:
    """The raw tables (seeds) a table model reads through view parents.

    A job that selects the tables and not the views (the daily selector)
    gets no edge from a view's raw table to the table model that reads the
    view, so Dagster could run the model before the day's raw data is
    loaded: the model depends on those raw tables directly."""
    node = manifest["nodes"].get(unique_id, {})
    if node.get("resource_type") != "model" or node["config"]["materialized"] == "view":
        return set()
    found: set[str] = set()
    todo = list(node["depends_on"]["nodes"])
    while todo:
        parent = manifest["nodes"].get(todo.pop()) or {}
        if parent.get("config", {}).get("materialized") not in ("view", "ephemeral"):
            continue
        for grandparent in parent["depends_on"]["nodes"]:
            source = manifest["sources"].get(grandparent)
            if source is not None and source["name"] in seeds:
                found.add(source["name"])
            else:
                todo.append(grandparent)
    return found


TRANSLATOR = SaasDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class ProjectDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs that this project
    has no use for, each seconds per dbt command on a busy machine:

    * ``dbt --version`` in a child process, to learn the version of the dbt
      executable: here it is the dbt-core package of this virtualenv;
    * an in-process dbt adapter with the project's macros loaded, which
      dagster-dbt uses only to fetch column metadata on request.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


class DbtBuildConfig(Config):
    """How ``dbt build`` runs the models (the jobs set it; the launchpad can too)."""

    full_refresh: bool = False
    backfill_start: str | None = None  # YYYY-MM-DD: rebuild the incremental
    backfill_end: str | None = None  # models' partitions in this date range


def retry_policy() -> RetryPolicy:
    """Transient failures (a busy database, a dropped connection) retry with
    exponential backoff; SAAS_RETRY_MAX and SAAS_RETRY_DELAY_SECONDS tune it."""
    return RetryPolicy(
        max_retries=int(os.environ.get("SAAS_RETRY_MAX", "2")),
        delay=float(os.environ.get("SAAS_RETRY_DELAY_SECONDS", "60")),
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


def artifacts_dir(project: DbtProject, run_id: str, step: str, attempt: int) -> Path:
    """Where one dbt command of a run writes its artifacts."""
    return project.target_dir / "runs" / run_id / (f"{step}-retry{attempt}" if attempt else step)


def reuse_partial_parse(project: DbtProject, target: Path) -> None:
    """Start a new target folder with the project's parse cache, so that dbt
    re-parses only what changed (as dagster-dbt does for its commands)."""
    cache = project.target_dir / "partial_parse.msgpack"
    if cache.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(cache, target / cache.name)


def node_name(unique_id: str) -> str:
    """The name dbt selects a node by (``model.pkg.name``, ``test.pkg.name.hash``,
    ``unit_test.pkg.model.name``)."""
    parts = unique_id.split(".")
    return parts[-1] if parts[0] == "unit_test" else parts[2]


def nodes_done(artifacts: Path) -> list[str]:
    """Names of the nodes a previous attempt built or tested successfully."""
    path = artifacts / "run_results.json"
    if not path.exists():  # it never got as far as running dbt
        return []
    results = json.loads(path.read_text())["results"]
    return sorted(
        node_name(r["unique_id"])
        for r in results
        if r["status"] in DONE_STATUSES and not r["unique_id"].startswith("operation.")
    )


def failure_of(artifacts: Path, command: str) -> Failure:
    """The step failure for a dbt command that exited non-zero.

    A failed test is a fact about the data (or the code): retrying cannot
    help, so it is not retried. Anything else (a model error, a connection,
    a busy warehouse) may be transient, so the retry policy applies.
    """
    path = artifacts / "run_results.json"
    results = json.loads(path.read_text())["results"] if path.exists() else []
    by_status: dict[str, list[str]] = {}
    for result in results:
        by_status.setdefault(result["status"], []).append(result["unique_id"])
    failed_tests = by_status.get("fail", [])  # only tests fail; models error
    summary = ", ".join(
        f"{len(ids)} {status}"
        for status, ids in sorted(by_status.items())
        if status not in DONE_STATUSES
    )
    broken = by_status.get("fail", []) + by_status.get("error", [])
    names = ", ".join(node_name(unique_id) for unique_id in broken[:5])
    return Failure(
        description=f"dbt {command} failed ({summary or 'no node ran'}): {names or 'see dbt.log'}",
        metadata={
            "dbt artifacts": MetadataValue.path(str(artifacts)),
            "skipped": len(by_status.get("skipped", [])),
        },
        allow_retries=not failed_tests,
    )


def stream_dbt(
    context: AssetExecutionContext, dbt: DbtCliResource, project: DbtProject, args: Sequence[str]
) -> Iterator[Any]:
    """Run ``dbt ARGS`` for the selected assets under the database lock; its events."""
    step, attempt = context.op_def.name, context.retry_number
    target = artifacts_dir(project, context.run.run_id, step, attempt)
    done = sorted(
        {
            name
            for earlier in range(attempt)
            for name in nodes_done(artifacts_dir(project, context.run.run_id, step, earlier))
        }
    )
    resume = ["--exclude", " ".join(done)] if done else []
    if done:
        context.log.info(f"attempt {attempt + 1}: leaving out {len(done)} nodes already done")
    try:
        with exclusive_database(project):
            invocation = dbt.cli(
                [*args, *resume], context=context, target_path=target, raise_on_error=False
            )
            for event in invocation.stream():
                if isinstance(event, Output):
                    artifacts = {"dbt artifacts": MetadataValue.path(str(target))}
                    event = event.with_metadata({**event.metadata, **artifacts})
                yield event
            ok = invocation.is_successful()
    except DatabaseBusyError as busy:
        raise Failure(description=str(busy)) from None
    if not ok:
        raise failure_of(target, args[0])


# The @dbt_assets below get no dagster-dbt project on purpose: given one,
# dagster-dbt runs a selection of more than 200 nodes (the daily job's) in a
# temporary copy of the whole project folder (data, build output and the
# virtualenv it links to included: gigabytes), with a relative DuckDB path
# pointing into the copy. Without it, the selection goes on the command line.
def dbt_assets_of(
    manifest: Path, project: DbtProject, name: str, select: str = "fqn:*", exclude: str = ""
) -> Any:
    """``@dbt_assets`` for a selection of the manifest, with what every dbt
    asset here shares: the translator, the retry policy and the database pool."""
    return dbt_assets(
        manifest=manifest,
        select=select,
        exclude=exclude,
        name=name,
        dagster_dbt_translator=TRANSLATOR,
        retry_policy=retry_policy(),
        pool=database_pool(project),
    )


def build_raw_tables(manifest: Path, project: DbtProject) -> AssetsDefinition:
    @dbt_assets_of(manifest, project, "raw_tables", select="resource_type:seed")
    def raw_tables(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        problems = daily_job.raw_file_problems(project)
        if problems:
            raise Failure(description="\n".join(problems), allow_retries=False)
        yield from stream_dbt(context, dbt, project, ["build"])

    return raw_tables


def build_dbt_models(manifest: Path, project: DbtProject) -> AssetsDefinition:
    @dbt_assets_of(manifest, project, "dbt_models", exclude="resource_type:seed")
    def dbt_models(
        context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
    ) -> Iterator[Any]:
        everything = set(context.selected_asset_keys) == set(context.assets_def.keys)
        if not everything and not daily_job.is_deployed(project):
            raise Failure(
                description="the database has no project relations yet: "
                "run the `deploy` job (a full build) first",
                allow_retries=False,
            )
        if context.job_name == "backfill" and config.backfill_start is None:
            raise Failure(
                description="the backfill job needs its date range: "
                "ops.dbt_models.config.backfill_start and backfill_end (YYYY-MM-DD)",
                allow_retries=False,
            )
        left_out = context.run.tags.get(DBT_EXCLUDE_TAG)
        exclude = ["--exclude", left_out] if left_out else []
        yield from stream_dbt(context, dbt, project, [*build_args(config), *exclude])

    return dbt_models


def build_args(config: DbtBuildConfig) -> list[str]:
    """The ``dbt build`` arguments of a run's config; a bad backfill range fails the run."""
    args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
    if config.backfill_start is None and config.backfill_end is None:
        return args
    try:
        start = dt.date.fromisoformat(config.backfill_start or "")
        end = dt.date.fromisoformat(config.backfill_end or "")
        valid = start <= end
    except ValueError:
        valid = False
    if not valid:
        raise Failure(
            description="backfill needs backfill_start <= backfill_end, both YYYY-MM-DD: got "
            f"{config.backfill_start!r} .. {config.backfill_end!r}",
            allow_retries=False,
        )
    window = {"backfill_start": start.isoformat(), "backfill_end": end.isoformat()}
    return [*args, "--vars", json.dumps(window)]
