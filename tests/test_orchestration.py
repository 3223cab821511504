"""The Dagster code location, with the real orchestrator and real dbt runs.

One small deployment is shared by every test here: a copy of the project with
the `small` data (seed 7, as conftest's `small_built`) through 2024-06-27,
built by the `deploy` job; then the `daily` job runs in process on each of
the next two days as their data arrives. On the first a table the daily
models read is hidden: that run fails half way and its retry must resume with
what failed only; the second day catches up. The last day is the data's end,
so the result must equal `small_built` row for row.

Then `dagster dev` serves the copy, and two runs are launched at once through
its GraphQL API: a `backfill` of days corrupted in the database, and a `daily`
run over a duplicated internal account. The second must wait in the queue;
the broken row must fail its blocking check, stop everything downstream and
post an alert to the test's HTTP server. Headless Chromium opens the graph.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterEvent,
    DagsterInstance,
    DagsterRunStatus,
    ExecuteInProcessResult,
    RunConfig,
)
from dagster._core.instance.ref import InstanceRef
from dagster_graphql import DagsterGraphQLClient

from orchestration import parse_state
from orchestration.assets import DbtBuildConfig, nodes_done
from orchestration.database import compare_relations, materialized_relations
from orchestration.dbt_runner import DUCKDB_PATH_VARS, DbtProject
from orchestration.freshness import FreshnessConfig
from orchestration.jobs import build_definitions
from tests.browser import headless_chromium

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

GENERATOR_ARGS = ("--scale", "small", "--seed", "7")  # the data of small_built
D0 = dt.date(2024, 6, 28)  # the deployment has the data through this day
DAYS = [D0 + dt.timedelta(days=n) for n in (1, 2)]  # the last is the data's end
SETTINGS = {"SAAS_RETRY_MAX": "1", "SAAS_RETRY_DELAY_SECONDS": "1"}
HIDDEN = "time_spine_months"  # a static table: the daily job reads it, never builds it
CORRUPTED_DAY = dt.date(2024, 6, 10)  # older than the daily job's lookback
WINDOW = {"backfill_start": "2024-06-09", "backfill_end": "2024-06-11"}  # around it
BROKEN_CHECK = "primary_key_saas_internal_accounts_customer_id"


@dataclass
class Deployment:
    project: DbtProject
    daily: list[ExecuteInProcessResult]


def freshness_as_of(day: dt.date) -> RunConfig:
    return RunConfig(ops={"source_freshness": FreshnessConfig(as_of=day.isoformat())})


def failures(events: list[DagsterEvent]) -> str:
    return "\n".join(event.message or "" for event in events if event.is_failure)


def rename(database: Path, table: str, to: str) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"alter table main.{table} rename to {to}")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("orchestration") / "project")
    with pytest.MonkeyPatch.context() as env, DagsterInstance.ephemeral() as instance:
        # dagster-dbt runs dbt with this process's environment, the DuckDB file
        # relative to the project as DbtProject.dbt gives it (parse_state.py)
        portable = parse_state.portable_env(project.env, project.root, DUCKDB_PATH_VARS)
        for name, value in {**portable, **SETTINGS}.items():
            env.setenv(name, value)
        env.delenv("DAGSTER_HOME", raising=False)
        project.generate(*GENERATOR_ARGS, "--through", D0.isoformat())
        defs = build_definitions(project)
        deploy = defs.resolve_job_def("deploy").execute_in_process(
            run_config=freshness_as_of(DAYS[0]), instance=instance, raise_on_error=False
        )
        assert deploy.success, failures(deploy.all_events)
        daily = []
        for day in DAYS:
            project.generate(*GENERATOR_ARGS, "--through", day.isoformat())
            hidden = day == DAYS[0]
            if hidden:
                rename(project.database_path, HIDDEN, f"{HIDDEN}_away")
            config = freshness_as_of(day + dt.timedelta(days=1))
            job = defs.resolve_job_def("daily")
            daily.append(job.execute_in_process(config, instance=instance, raise_on_error=False))
            if hidden:
                rename(project.database_path, f"{HIDDEN}_away", HIDDEN)
        yield Deployment(project, daily)


def materialized(result: ExecuteInProcessResult) -> set[str]:
    events = result.get_asset_materialization_events()
    return {event.asset_key.to_user_string() for event in events if event.asset_key}


def test_daily_job_over_two_days_equals_a_full_refresh(
    deployment: Deployment, small_built: DbtProject
) -> None:
    failed, last = deployment.daily
    assert last.success, failures(last.all_events)
    assert not failed.success
    # the data that arrived is the data of the full build
    names = sorted(path.name for path in small_built.seeds_dir.glob("saas_*.csv"))
    same, different, missing = filecmp.cmpfiles(
        deployment.project.seeds_dir, small_built.seeds_dir, names, shallow=False
    )
    assert (different, missing) == ([], []) and same
    tables = materialized_relations(deployment.project.manifest_path)
    assert {"main.fct_site_months", "intermediate.int_user_activity_checked"} <= set(tables)
    differences = compare_relations(
        deployment.project.database_path, small_built.database_path, tables
    )
    assert differences == {}


def test_daily_job_builds_what_the_daily_selector_selects(deployment: Deployment) -> None:
    listed = deployment.project.dbt(
        "ls", "--selector", "daily", "--resource-type", "model", "--output", "name", check=True
    )
    selected = {line.strip() for line in listed.output.splitlines() if line.strip().isidentifier()}
    raw = {f"raw/{path.stem}" for path in deployment.project.seeds_dir.glob("saas_*.csv")}
    last = deployment.daily[-1]
    keys = materialized(last)  # a model's key: its layer's schema (if any), its name
    assert {key.rsplit("/", 1)[-1] for key in keys} == selected | {r[4:] for r in raw}
    assert {key for key in keys if key.startswith("raw/")} == raw
    steps = deployment.project.target_dir / "runs" / last.run_id / "dbt_models"
    ran = [r["unique_id"] for r in json.loads((steps / "run_results.json").read_text())["results"]]
    assert not [node for node in ran if node.startswith("unit_test.")]  # as the selector
    # freshness ran first, as of the morning after the day, and passed
    checks = [
        event.asset_check_evaluation_data
        for event in last.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
        and event.asset_check_evaluation_data.check_name == "source_freshness"
    ]
    assert len(checks) == 4 and all(check.passed for check in checks)


def test_a_retry_resumes_with_what_failed_only(deployment: Deployment) -> None:
    run = deployment.daily[0]
    events = [event.event_type_value for event in run.all_events]
    assert events.count("STEP_UP_FOR_RETRY") == 1  # the model step, once (SAAS_RETRY_MAX)
    steps = deployment.project.target_dir / "runs" / run.run_id
    first = json.loads((steps / "dbt_models" / "run_results.json").read_text())["results"]
    retry = json.loads((steps / "dbt_models-retry1" / "run_results.json").read_text())["results"]
    done = set(nodes_done(steps / "dbt_models"))
    broken = {r["unique_id"] for r in first if r["status"] in ("error", "skipped")}
    rerun = {r["unique_id"] for r in retry if not r["unique_id"].startswith("operation.")}
    assert done and broken and len(rerun) < len(first)
    assert {node.split(".")[2] for node in rerun}.isdisjoint(done)
    assert {u for u in broken if u.startswith("model.")} <= rerun


def test_runs_leave_their_dbt_artifacts_on_the_materializations(deployment: Deployment) -> None:
    run = deployment.daily[-1]
    paths = {
        Path(str(event.materialization.metadata["dbt artifacts"].value))
        for event in run.get_asset_materialization_events()
    }
    assert len(paths) == 2  # the raw load and the models
    for path in paths:
        assert run.run_id in path.parts
        results = json.loads((path / "run_results.json").read_text())
        assert results["args"]["which"] == "build"
    freshness = deployment.project.target_dir / "runs" / run.run_id / "source_freshness"
    assert json.loads((freshness / "sources.json").read_text())["results"]


# --------------------------------------------------------------------------
# dagster dev: the queue, the backfill, the failure alert, the UI
# --------------------------------------------------------------------------
class AlertReceiver(BaseHTTPRequestHandler):
    """The webhook: keeps the JSON body of every POST."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        AlertReceiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test reads what arrived


@dataclass
class Served:
    url: str
    client: DagsterGraphQLClient
    instance: DagsterInstance
    log: Path

    def events(self, run_id: str) -> list[DagsterEvent]:
        return [log.dagster_event for log in self.instance.all_logs(run_id) if log.dagster_event]


def wait_until_serving(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-5000:]
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"dagster dev did not serve in 600 s\n{log.read_text()[-5000:]}")


@pytest.fixture(scope="module")
def served(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    alerts = HTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=alerts.serve_forever, daemon=True).start()
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port, root = probe.getsockname()[1], deployment.project.root
    env = {
        **os.environ,
        "SAAS_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{alerts.server_port}/alert",
        "SAAS_ALERT_INTERVAL_SECONDS": "2",
    }
    log = tmp_path_factory.mktemp("dagster_dev") / "dagster_dev.log"
    dagster = str(Path(sys.executable).parent / "dagster")
    with log.open("w") as output:
        process = subprocess.Popen(
            [dagster, "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # the caller may ignore these; dagster dev shuts down on SIGINT
            preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (2, 15)],
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        # dagster.yaml keeps the instance's storage in .dagster/, laid out as a home
        with DagsterInstance.from_ref(InstanceRef.from_dir(str(root / ".dagster"))) as instance:
            yield Served(url, DagsterGraphQLClient("127.0.0.1", port_number=port), instance, log)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        alerts.shutdown()


@dataclass
class Scenario:
    backfill: str  # its run id
    daily: str
    samples: list[tuple[DagsterRunStatus, DagsterRunStatus]]  # their statuses over time
    corrupted_before: dict[str, str]  # what differed from small_built before the backfill
    failures: str


def corrupt_a_day(project: DbtProject) -> None:
    with duckdb.connect(str(project.database_path)) as connection:
        connection.execute(
            f"update {project.relation('int_user_activity_checked')} "
            "set event_count = event_count + 1000 "
            "where partition_date = ? and dq_reason_code is null",
            [CORRUPTED_DAY],
        )


def duplicate_an_internal_account(seeds_dir: Path) -> None:
    path = seeds_dir / "saas_internal_accounts.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")


def wait_for_both(served: Served, runs: tuple[str, str]) -> list[Any]:
    samples, deadline = [], time.monotonic() + 900
    done = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
    while not samples or not all(status in done for status in samples[-1]):
        assert time.monotonic() < deadline, (samples[-1], served.log.read_text()[-5000:])
        time.sleep(0.5)
        samples.append(tuple(served.client.get_run_status(run) for run in runs))
    return samples


@pytest.fixture(scope="module")
def scenario(deployment: Deployment, served: Served, small_built: DbtProject) -> Scenario:
    project = deployment.project
    corrupt_a_day(project)
    tables = materialized_relations(project.manifest_path)
    corrupted = compare_relations(project.database_path, small_built.database_path, tables)
    backfill = served.client.submit_job_execution(
        "backfill", run_config=RunConfig(ops={"dbt_models": DbtBuildConfig(**WINDOW)})
    )
    duplicate_an_internal_account(project.seeds_dir)
    daily = served.client.submit_job_execution(
        "daily", run_config=freshness_as_of(DAYS[-1] + dt.timedelta(days=1))
    )
    samples = wait_for_both(served, (backfill, daily))
    deadline = time.monotonic() + 120
    while not any(alert.get("run_id") == daily for alert in AlertReceiver.received):
        assert time.monotonic() < deadline, f"no alert for run {daily}: {AlertReceiver.received}"
        time.sleep(1)
    text = "\n".join(failures(served.events(run)) for run in (backfill, daily))
    return Scenario(backfill, daily, samples, corrupted, text)


def test_a_second_run_waits_in_the_queue_until_the_first_ends(
    served: Served, scenario: Scenario
) -> None:
    assert (DagsterRunStatus.STARTED, DagsterRunStatus.QUEUED) in scenario.samples
    assert (DagsterRunStatus.STARTED, DagsterRunStatus.STARTED) not in scenario.samples
    first, second = (
        served.instance.get_run_record_by_id(run) for run in (scenario.backfill, scenario.daily)
    )
    assert first is not None and second is not None
    assert first.end_time is not None and second.start_time is not None
    assert second.start_time >= first.end_time


def test_backfill_of_a_date_range_equals_a_full_refresh(
    deployment: Deployment, scenario: Scenario, small_built: DbtProject
) -> None:
    project = deployment.project
    steps = project.target_dir / "runs" / scenario.backfill
    results = json.loads((steps / "dbt_models" / "run_results.json").read_text())
    assert results["args"]["vars"] == WINDOW  # the job passed the range to dbt
    assert "intermediate.int_user_activity_checked" in scenario.corrupted_before  # it can fail
    assert scenario.samples[-1][0] == DagsterRunStatus.SUCCESS, scenario.failures
    tables = materialized_relations(project.manifest_path)
    assert compare_relations(project.database_path, small_built.database_path, tables) == {}


def test_a_failed_blocking_check_stops_downstream_and_alerts(
    served: Served, scenario: Scenario
) -> None:
    assert scenario.samples[-1][1] == DagsterRunStatus.FAILURE
    events = served.events(scenario.daily)
    checks = {
        event.asset_check_evaluation_data.check_name: event.asset_check_evaluation_data
        for event in events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks[BROKEN_CHECK].passed is False, scenario.failures
    assert checks[BROKEN_CHECK].asset_key == AssetKey(["raw", "saas_internal_accounts"])
    built = {
        event.asset_key.to_user_string()
        for event in events
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key is not None
    }
    assert built and all(key.startswith("raw/") for key in built)  # no model ran
    assert "STEP_UP_FOR_RETRY" not in {event.event_type_value for event in events}
    [alert] = [alert for alert in AlertReceiver.received if alert.get("run_id") == scenario.daily]
    assert alert["job"] == "daily" and BROKEN_CHECK in alert["text"]
    assert alert["run_url"].endswith(f"/runs/{scenario.daily}")


def test_asset_graph_shows_fct_site_months_and_its_upstream(
    deployment: Deployment, served: Served
) -> None:
    manifest = json.loads(deployment.project.manifest_path.read_text())
    parents = {
        unique_id.split(".")[-1]
        for unique_id in manifest["parent_map"]["model.saas_usage.fct_site_months"]
        if unique_id.startswith("model.")
    }
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{served.url}/assets/fct_site_months?view=lineage&lineageScope=upstream")
        # a node's label may be shortened; its tooltip holds the full name
        shortest = min(parents, key=len)
        tooltip = page.locator(f'[data-tooltip="{shortest}"]').first
        tooltip.wait_for(state="attached", timeout=120_000)
        # each node's and each group's full name (the label may be shortened)
        shown = set(
            page.eval_on_selector_all(
                "[data-tooltip]", "nodes => nodes.map(n => n.getAttribute('data-tooltip'))"
            )
        )
    assert "fct_site_months" in shown
    assert parents and parents <= shown, parents - shown
    assert {"intermediate", "marts"} <= shown  # the layers' groups
