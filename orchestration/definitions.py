"""The Dagster code location of the project (what ``[tool.dagster]`` in
pyproject.toml names): ``dagster dev``, ``dagster-webserver`` and ``dagster
definitions validate`` load ``defs`` from here; ``make dagster`` starts the UI
with a persistent instance (``.dagster/``). docs/operations.md tells the rest.

Configuration, from environment variables read when the code location loads:
DBT_TARGET (dev = DuckDB, the default; bq_prod, bq_dev or bq_ci = BigQuery), DBT_DUCKDB_PATH,
DBT_PROFILES_DIR, SAAS_DBT_PROJECT_DIR (the dbt project; default this
repository), the schedules' SAAS_DAILY_CRON, SAAS_WEEKLY_CRON and
SAAS_SCHEDULE_TIMEZONE, the retries' SAAS_RETRY_MAX and
SAAS_RETRY_DELAY_SECONDS, the alert's SAAS_ALERT_WEBHOOK_URL,
SAAS_ALERT_INTERVAL_SECONDS and SAAS_DAGSTER_URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.dbt_runner import REPO_ROOT, DbtProject
from orchestration.jobs import build_definitions

defs = build_definitions(
    DbtProject.at(Path(os.environ.get("SAAS_DBT_PROJECT_DIR", str(REPO_ROOT))))
)
