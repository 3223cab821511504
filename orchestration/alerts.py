"""Run-failure alerts: a failed run posts a JSON message to a webhook.

The URL comes from SAAS_ALERT_WEBHOOK_URL (a Slack or Teams incoming webhook,
or any endpoint that takes JSON: the message has a ``text`` line and the
details as fields). Unset, the alert is written to the sensor's log instead,
so a failure is never silent. SAAS_DAGSTER_URL (default http://localhost:3000)
makes the link to the run in the message.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from dagster import (
    DagsterEvent,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

WEBHOOK_ENV = "SAAS_ALERT_WEBHOOK_URL"
TIMEOUT_S = 10


def failure_line(event: DagsterEvent) -> str:
    """A failed step's reason in one line: the description it failed with."""
    data = event.step_failure_data
    if data is not None and data.user_failure_data is not None:
        message = data.user_failure_data.description or ""
    elif data is not None and data.error is not None:
        message = data.error.message
    else:
        message = event.message or ""
    return message.strip().splitlines()[0] if message.strip() else ""


def alert_message(context: RunFailureSensorContext) -> dict[str, Any]:
    """The alert for a failed run: what failed, why, and where to look."""
    run = context.dagster_run
    base_url = os.environ.get("SAAS_DAGSTER_URL", "http://localhost:3000").rstrip("/")
    steps = {
        event.step_key or "run": failure_line(event) for event in context.get_step_failure_events()
    }
    reason = "; ".join(f"{step}: {message}" for step, message in steps.items())
    return {
        "text": f"Dagster run of job {run.job_name} failed: "
        + (reason or context.failure_event.message or "see the run"),
        "job": run.job_name,
        "run_id": run.run_id,
        "run_url": f"{base_url}/runs/{run.run_id}",
        "failed_steps": steps,
        "tags": {key: value for key, value in run.tags.items() if not key.startswith("dagster/")},
    }


def post_json(url: str, payload: Mapping[str, Any]) -> int:
    """POST ``payload`` as JSON; the HTTP status. Network errors propagate."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return int(response.status)


def build_alert_sensor() -> SensorDefinition:
    @run_failure_sensor(
        name="alert_on_run_failure",
        description=f"Posts failed runs to the webhook in {WEBHOOK_ENV} (logged when unset).",
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=int(os.environ.get("SAAS_ALERT_INTERVAL_SECONDS", "30")),
    )
    def alert_on_run_failure(context: RunFailureSensorContext) -> None:
        message = alert_message(context)
        url = os.environ.get(WEBHOOK_ENV)
        if not url:
            context.log.warning(f"{WEBHOOK_ENV} is not set; alert not sent: {message['text']}")
            return
        try:
            status = post_json(url, message)
        except (urllib.error.URLError, TimeoutError) as error:
            context.log.error(f"alert for run {message['run_id']} not delivered to {url}: {error}")
            raise
        context.log.info(f"alert for run {message['run_id']} sent to {url} (HTTP {status})")

    return alert_on_run_failure
