"""The Dagster code location, with the real orchestrator and real dbt runs.

One small deployment is shared by every test here: a copy of the project gets
the `small` data (seed 7, as conftest's `small_built`) through 2024-06-27,
the `deploy` job builds it, and the `daily` job runs on each of the three
following days as the generator lets them arrive (in process). The last day
is the end of the data set, so the result must equal `small_built`, a full
build of the same data, row for row.

Then `dagster dev` serves the copy (its own pyproject.toml and dagster.yaml,
no flags but the port), and two runs are launched through its GraphQL API at
once: a `backfill` of a few days whose rows the test has corrupted in the
database, and a `daily` run over a raw file with a broken row (a duplicated
internal account). The second must wait in the queue until the first has
finished; the backfill must restore the corrupted days; the broken row must
fail its blocking check, stop everything downstream and post an alert to an
HTTP server the test runs. Last, headless Chromium opens the asset graph.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, Definitions, RunConfig
from dagster._core.execution.execute_in_process_result import ExecuteInProcessResult
from dagster._core.instance.ref import InstanceRef
from dagster_graphql import DagsterGraphQLClient

from orchestration.assets import DbtBuildConfig, FreshnessConfig
from orchestration.database import compare_relations, materialized_relations
from orchestration.dbt_runner import DbtProject
from orchestration.jobs import build_definitions

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

GENERATOR_ARGS = ("--scale", "small", "--seed", "7")  # the data of small_built
D0 = dt.date(2024, 6, 27)  # the deployment has the data through this day
DAYS = [D0 + dt.timedelta(days=n) for n in (1, 2, 3)]  # the last is the data's end
SETTINGS = {"SAAS_RETRY_MAX": "1", "SAAS_RETRY_DELAY_SECONDS": "1"}
CORRUPTED_DAY = dt.date(2024, 6, 10)  # older than the daily job's lookback
BROKEN_CHECK = "unique_saas_internal_accounts_customer_id"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class Deployment:
    project: DbtProject
    defs: Definitions
    deploy: ExecuteInProcessResult
    daily: list[ExecuteInProcessResult]


def freshness_as_of(day: dt.date) -> RunConfig:
    return RunConfig(ops={"source_freshness": FreshnessConfig(as_of=day.isoformat())})


def failure_text(result: ExecuteInProcessResult) -> str:
    return "\n".join(event.message or "" for event in result.all_events if event.is_failure)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("orchestration") / "project")
    with pytest.MonkeyPatch.context() as env, DagsterInstance.ephemeral() as instance:
        # dagster-dbt runs dbt with this process's environment
        for name, value in {**project.env, **SETTINGS}.items():
            env.setenv(name, value)
        env.delenv("DAGSTER_HOME", raising=False)
        project.generate(*GENERATOR_ARGS, "--through", D0.isoformat())
        defs = build_definitions(project)
        deploy = defs.resolve_job_def("deploy").execute_in_process(
            run_config=freshness_as_of(DAYS[0]), instance=instance, raise_on_error=False
        )
        assert deploy.success, failure_text(deploy)
        daily = []
        for day in DAYS:
            project.generate(*GENERATOR_ARGS, "--through", day.isoformat())
            daily.append(
                defs.resolve_job_def("daily").execute_in_process(
                    run_config=freshness_as_of(day + dt.timedelta(days=1)),
                    instance=instance,
                    raise_on_error=False,
                )
            )
        yield Deployment(project, defs, deploy, daily)


def materialized(result: ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def test_daily_job_over_three_days_equals_a_full_refresh(
    deployment: Deployment, small_built: DbtProject
) -> None:
    assert [run.success for run in deployment.daily] == [True] * 3, [
        failure_text(run) for run in deployment.daily
    ]
    # the data that arrived is the data of the full build
    names = sorted(path.name for path in small_built.seeds_dir.glob("saas_*.csv"))
    same, different, missing = filecmp.cmpfiles(
        deployment.project.seeds_dir, small_built.seeds_dir, names, shallow=False
    )
    assert (different, missing) == ([], []) and same
    tables = materialized_relations(deployment.project.manifest_path)
    assert "fct_site_months" in tables and "int_user_activity_checked" in tables
    assert (
        compare_relations(deployment.project.database_path, small_built.database_path, tables) == {}
    )


def test_daily_job_builds_what_the_daily_selector_selects(deployment: Deployment) -> None:
    listed = deployment.project.dbt(
        "ls", "--selector", "daily", "--resource-type", "model", "--output", "name", check=True
    )
    selected = {line.strip() for line in listed.output.splitlines() if line.strip().isidentifier()}
    raw = {f"raw/{path.stem}" for path in deployment.project.seeds_dir.glob("saas_*.csv")}
    for run in deployment.daily:
        assert materialized(run) == selected | raw
    # freshness ran first, as of the morning after each day, and passed
    for run in deployment.daily:
        checks = [
            event.asset_check_evaluation_data
            for event in run.all_events
            if event.event_type_value == "ASSET_CHECK_EVALUATION"
            and event.asset_check_evaluation_data.check_name == "source_freshness"
        ]
        assert len(checks) == 4 and all(check.passed for check in checks)


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
    alerts: list[dict[str, Any]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-5000:]
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"dagster dev did not serve in 300 s\n{log.read_text()[-5000:]}")


@pytest.fixture(scope="module")
def served(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    alerts = HTTPServer(("127.0.0.1", 0), AlertReceiver)
    threading.Thread(target=alerts.serve_forever, daemon=True).start()
    port = free_port()
    env = {
        **os.environ,
        "SAAS_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{alerts.server_port}/alert",
        "SAAS_ALERT_INTERVAL_SECONDS": "2",
    }
    log = tmp_path_factory.mktemp("dagster_dev") / "dagster_dev.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster"),
                "dev",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=deployment.project.root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            # the caller may ignore these; dagster dev shuts down on SIGINT
            preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (2, 15)],
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        # no DAGSTER_HOME: dagster dev keeps its instance in a folder it makes in the project
        [home] = deployment.project.root.glob(".tmp_dagster_home_*")
        with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
            yield Served(
                url,
                DagsterGraphQLClient("127.0.0.1", port_number=port),
                instance,
                AlertReceiver.received,
            )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        alerts.shutdown()


@dataclass
class Scenario:
    backfill: str
    daily: str
    samples: list[tuple[DagsterRunStatus, DagsterRunStatus]]
    corrupted_before: dict[str, str]


def corrupt_a_day(database: Path) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "update int_user_activity_checked set event_count = event_count + 1000 "
            "where partition_date = ? and dq_reason_code is null",
            [CORRUPTED_DAY],
        )


def duplicate_an_internal_account(seeds_dir: Path) -> None:
    path = seeds_dir / "saas_internal_accounts.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")


@pytest.fixture(scope="module")
def scenario(deployment: Deployment, served: Served, small_built: DbtProject) -> Scenario:
    project = deployment.project
    corrupt_a_day(project.database_path)
    tables = materialized_relations(project.manifest_path)
    corrupted = compare_relations(project.database_path, small_built.database_path, tables)
    window = [CORRUPTED_DAY - dt.timedelta(days=1), CORRUPTED_DAY + dt.timedelta(days=1)]
    backfill = served.client.submit_job_execution(
        "backfill",
        run_config=RunConfig(
            ops={
                "dbt_models": DbtBuildConfig(
                    backfill_start=str(window[0]), backfill_end=str(window[1])
                )
            }
        ),
    )
    duplicate_an_internal_account(project.seeds_dir)
    daily = served.client.submit_job_execution(
        "daily", run_config=freshness_as_of(DAYS[-1] + dt.timedelta(days=1))
    )
    samples = []
    deadline = time.monotonic() + 900
    while True:
        statuses = (served.client.get_run_status(backfill), served.client.get_run_status(daily))
        samples.append(statuses)
        if all(
            status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE) for status in statuses
        ):
            break
        assert time.monotonic() < deadline, samples[-1]
        time.sleep(0.5)
    deadline = time.monotonic() + 120
    while not any(alert.get("run_id") == daily for alert in served.alerts):
        assert time.monotonic() < deadline, f"no alert for run {daily}: {served.alerts}"
        time.sleep(1)
    return Scenario(backfill, daily, samples, corrupted)


def test_a_second_run_waits_in_the_queue_until_the_first_ends(
    served: Served, scenario: Scenario
) -> None:
    assert scenario.samples[-1][0] == DagsterRunStatus.SUCCESS
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
    assert "int_user_activity_checked" in scenario.corrupted_before  # the test can fail
    project = deployment.project
    uses_window = any(
        "backfill_start" in path.read_text() for path in (project.root / "macros").rglob("*.sql")
    )
    if not uses_window:
        pytest.skip("the incremental models do not read the backfill_start/backfill_end vars yet")
    tables = materialized_relations(project.manifest_path)
    assert compare_relations(project.database_path, small_built.database_path, tables) == {}


def test_a_failed_blocking_check_stops_downstream_and_alerts(
    served: Served, scenario: Scenario
) -> None:
    assert scenario.samples[-1][1] == DagsterRunStatus.FAILURE
    events = [
        record.dagster_event
        for record in served.instance.all_logs(scenario.daily)
        if record.dagster_event is not None
    ]
    checks = {
        event.asset_check_evaluation_data.check_name: event.asset_check_evaluation_data
        for event in events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks[BROKEN_CHECK].passed is False
    assert checks[BROKEN_CHECK].asset_key == AssetKey(["raw", "saas_internal_accounts"])
    built = {
        event.asset_key.to_user_string()
        for event in events
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key is not None
    }
    assert built and all(key.startswith("raw/") for key in built)  # no model ran
    assert "STEP_UP_FOR_RETRY" not in {event.event_type_value for event in events}  # not retried
    [alert] = [alert for alert in served.alerts if alert.get("run_id") == scenario.daily]
    assert alert["job"] == "daily" and BROKEN_CHECK in alert["text"]
    assert alert["run_url"].endswith(f"/runs/{scenario.daily}")


def test_asset_graph_page_shows_fct_site_months_and_its_upstream(
    deployment: Deployment, served: Served
) -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)")
    manifest = json.loads(deployment.project.manifest_path.read_text())
    parents = {
        unique_id.split(".")[-1]
        for unique_id in manifest["parent_map"]["model.saas_usage.fct_site_months"]
        if unique_id.startswith("model.")
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{served.url}/assets/fct_site_months?view=lineage&lineageScope=upstream")
        page.get_by_text("int_site_months_spine").first.wait_for(timeout=120_000)
        links = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
        browser.close()
    shown = {
        link.split("/assets/", 1)[1].split("?")[0] for link in links if link and "/assets/" in link
    }
    assert "fct_site_months" in shown
    assert parents and parents <= shown, parents - shown
