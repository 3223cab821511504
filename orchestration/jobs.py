"""The code location's definitions, built for one dbt project: its assets,
jobs, schedules and the failure alert.

Jobs (tagged ``saas/database`` with the database they write, and every step
that touches the database is in that database's concurrency pool:
``dagster.yaml`` lets one run per database at a time, the others wait in the
queue):

* ``deploy``: everything (raw load, every model, every test): the first build
  and the build after a change of code.
* ``daily`` (schedule ``daily_schedule``): the raw load (pre-flight check and
  ``dbt seed``), source freshness, then the dbt selector ``daily``.
* ``weekly_full_refresh`` (schedule ``weekly_full_refresh_schedule``): the
  selector ``incremental_refresh`` with ``--full-refresh``.
* ``backfill``: the same selection, rebuilding the incremental models'
  partitions of a date range (config ``backfill_start`` / ``backfill_end``).

Schedules: SAAS_DAILY_CRON (default ``0 6 * * *``), SAAS_WEEKLY_CRON
(``0 3 * * 0``), SAAS_SCHEDULE_TIMEZONE (``UTC``).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import (
    AssetSelection,
    Definitions,
    RunConfig,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)
from dagster_dbt import build_dbt_asset_selection, build_schedule_from_dbt_selection

from orchestration.alerts import build_alert_sensor
from orchestration.assets import (
    DBT_EXCLUDE_TAG,
    DbtBuildConfig,
    ProjectDbtCli,
    build_dbt_models,
    build_raw_tables,
)
from orchestration.database import database_pool
from orchestration.dbt_runner import DbtProject, dbt_executable
from orchestration.freshness import build_source_freshness

# Run tag of every job: the database it writes (dagster.yaml: one run per value)
DATABASE_TAG = "saas/database"
# What dbt parses: a manifest older than any of these is out of date.
PARSED_FILES = (
    "dbt_project.yml",
    "selectors.yml",
    "models/**/*",
    "macros/**/*",
    "tests/**/*.sql",
    "tests/**/*.yml",
    "seeds/*.yml",
)


def manifest_for(project: DbtProject) -> Path:
    """The project's manifest, parsed first when it is missing or older than a
    file dbt parses (so that a change of models shows up on the next load,
    and an unchanged project loads without parsing)."""
    manifest = project.manifest_path
    if not manifest.exists():
        return project.parse_in_process()
    built = manifest.stat().st_mtime
    for pattern in PARSED_FILES:
        if any(path.stat().st_mtime > built for path in project.root.glob(pattern)):
            return project.parse_in_process()
    return manifest


def profiles_dir(project: DbtProject) -> Path | None:
    """DBT_PROFILES_DIR, else the project folder when it has a profiles.yml,
    else None (dbt's default, ~/.dbt)."""
    configured = os.environ.get("DBT_PROFILES_DIR") or project.env.get("DBT_PROFILES_DIR")
    if configured and (Path(configured) / "profiles.yml").exists():
        return Path(configured)
    return project.root if (project.root / "profiles.yml").exists() else None


def build_definitions(project: DbtProject) -> Definitions:
    """Everything the code location defines, for the dbt project ``project``."""
    manifest = manifest_for(project)
    profiles = profiles_dir(project)
    raw_tables = build_raw_tables(manifest, project)
    dbt_models = build_dbt_models(manifest, project)
    source_freshness = build_source_freshness(manifest, project)

    tags = {DATABASE_TAG: database_pool(project)}
    timezone = os.environ.get("SAAS_SCHEDULE_TIMEZONE", "UTC")
    refresh_selection = build_dbt_asset_selection([dbt_models], dbt_selector="incremental_refresh")
    deploy = define_asset_job("deploy", selection=AssetSelection.all(), tags=tags)
    daily = define_asset_job(
        "daily",
        selection=AssetSelection.assets(raw_tables)
        | build_dbt_asset_selection([dbt_models], dbt_selector="daily"),
        # selectors.yml's `daily` leaves unit tests out; the models' selection
        # would take them in (dbt selects a selected model's unit tests)
        tags={**tags, DBT_EXCLUDE_TAG: "resource_type:unit_test"},
        description="Raw load, source freshness, then the dbt selector `daily`.",
    )
    backfill = define_asset_job(
        "backfill",
        selection=refresh_selection,
        tags=tags,
        description="Rebuild the incremental models' partitions of a date range "
        "(config: backfill_start, backfill_end) and everything downstream.",
    )
    weekly = build_schedule_from_dbt_selection(
        [dbt_models],
        job_name="weekly_full_refresh",
        schedule_name="weekly_full_refresh_schedule",
        cron_schedule=os.environ.get("SAAS_WEEKLY_CRON", "0 3 * * 0"),
        dbt_selector="incremental_refresh",
        config=RunConfig(ops={"dbt_models": DbtBuildConfig(full_refresh=True)}),
        tags=tags,
        execution_timezone=timezone,
    )
    daily_schedule = ScheduleDefinition(
        name="daily_schedule",
        job=daily,
        cron_schedule=os.environ.get("SAAS_DAILY_CRON", "0 6 * * *"),
        execution_timezone=timezone,
    )
    dbt = ProjectDbtCli(
        project_dir=str(project.root),
        profiles_dir=str(profiles) if profiles else None,
        # this virtualenv's dbt, also when its bin/ is not on PATH (make, cron)
        dbt_executable=dbt_executable(),
    )
    return Definitions(
        assets=[raw_tables, dbt_models],
        asset_checks=[source_freshness],
        jobs=[deploy, daily, backfill],
        schedules=[daily_schedule, weekly],
        sensors=[build_alert_sensor()],
        resources={"dbt": dbt},
        # one step at a time, in the run's process: DuckDB takes one writer
        executor=in_process_executor,
    )
