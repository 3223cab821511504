"""No BigQuery target writes to another's datasets: shown on the local emulator.

The profile's own dev, CI and production targets (`bq_dev`, `bq_ci`,
`bq_prod` of profiles.example.yml) are pointed at the emulator: their
connection settings are swapped for the emulator's (loopback endpoint, dummy
token, project `demo`), their datasets stay what the profile renders. Each
environment in turn seeds one raw table and builds the staging model that
reads it (production first, then a developer and a CI run at once). Then:

* each wrote only to its own datasets, exactly where its manifest said
  (production `staging` and `raw`, alice `dbt_alice_staging` and
  `dbt_alice_raw`, the CI run `ci_<run>_staging` and `ci_<run>_raw`);
* each staging view reads its own environment's raw table;
* production's tables were not touched by the later runs (a marker row added
  to its raw table and a marker view put in place of its staging view, after
  its run, are still there: a seed or run of another target into production
  would have replaced them);
* a developer target given production's dataset is refused before it writes;
* a target other than `bq_emulator` gets dbt-bigquery's own insert_overwrite
  (a BigQuery script): the emulator's workaround is for the emulator only.

Nothing here can reach Google: every BigQuery target of the test's profile is
checked to be loopback before dbt runs.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from orchestration.dbt_runner import DbtProject
from scripts import bigquery_emulator

pytestmark = [pytest.mark.bigquery, pytest.mark.dbt, pytest.mark.slow]

PROFILE = "saas_usage"
EMULATOR_CONNECTION = {
    "method": "oauth-secrets",
    "token": "dummy-token",
    "project": "demo",
    "execution_project": "demo",
    "location": "US",
    "job_retries": 0,
    "job_execution_timeout_seconds": 300,
}
# Settings of the real targets that the emulator connection does without.
NOT_FOR_THE_EMULATOR = (
    "keyfile",
    "priority",
    "maximum_bytes_billed",
    "job_creation_timeout_seconds",
    "job_retry_deadline_seconds",
)
MARKER = "production-marker"
PROBE_MACRO = """
{% macro probe_insert_overwrite() %}
    {%- set relation = api.Relation.create(
        database=target.database, schema=target.schema, identifier='probe') -%}
    {%- set partition_by = adapter.parse_partition_by(
        {'field': 'day', 'data_type': 'date', 'granularity': 'day'}) -%}
    {{ print(bq_dynamic_insert_overwrite_sql(
        relation, relation, 'select 1', none, partition_by,
        [api.Column('day', 'date')], true, false)) }}
{% endmacro %}
"""


@dataclass
class Environment:
    """One environment's run: its target, variables, base dataset and manifest."""

    target: str
    env: dict[str, str]
    base: str
    manifest: dict[str, Any] = field(default_factory=dict)

    def dataset(self, custom: str) -> str:
        """Its dataset for a custom schema: the rule of macros/generate_schema_name.sql."""
        return f"{self.base}_{custom}" if self.base.startswith(("dbt_", "ci_")) else custom

    @property
    def raw(self) -> str:
        return self.dataset("raw")

    @property
    def staging(self) -> str:
        """Where its staging views land (dbt_project.yml: a schema per layer)."""
        return self.dataset("staging")


@dataclass
class Emulated:
    project: DbtProject
    client: bigquery.Client
    environments: dict[str, Environment]
    seed: str
    model: str
    prod_tables: set[str]  # `dataset.table` after production's run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _point_targets_at_the_emulator(project: DbtProject, port: int) -> None:
    profiles_file = project.root / "profiles.yml"
    profiles = yaml.safe_load(profiles_file.read_text())
    outputs = profiles[PROFILE]["outputs"]
    for name in ("bq_dev", "bq_ci", "bq_prod"):
        target = {k: v for k, v in outputs[name].items() if k not in NOT_FOR_THE_EMULATOR}
        outputs[name] = {
            **target,
            **EMULATOR_CONNECTION,
            "api_endpoint": f"http://127.0.0.1:{port}",
        }
    for name, target in outputs.items():
        if target["type"] == "bigquery":
            assert str(target["api_endpoint"]).startswith("http://127.0.0.1:"), name
            assert target["method"] == "oauth-secrets", name
    profiles_file.write_text(yaml.safe_dump(profiles, sort_keys=False))


def _dbt(project: DbtProject, env: Environment, *args: str, check: bool = True) -> Any:
    runner = DbtProject(project.root, {**project.env, "DBT_TARGET": env.target, **env.env})
    return runner.dbt(*args, check=check)


def _tables(client: bigquery.Client) -> set[str]:
    """Every table and view of the emulator, as `dataset.table`."""
    return {
        f"{dataset.dataset_id}.{table.table_id}"
        for dataset in client.list_datasets()
        for table in client.list_tables(dataset.dataset_id)
    }


def _run(project: DbtProject, env: Environment, seed: str, model: str) -> None:
    """Seed the raw table and build its reader, artifacts in target/<target>."""
    for command in (("seed", "--select", seed), ("run", "--select", model)):
        _dbt(project, env, *command, "--target-path", f"target/{env.target}")
    env.manifest = json.loads(_artifact(project, env, "manifest.json").read_text())


def _artifact(project: DbtProject, env: Environment, *path: str) -> Path:
    return project.root.joinpath("target", env.target, *path)


def _raw_columns(project: DbtProject, seed: str) -> list[str]:
    with (project.seeds_dir / f"{seed}.csv").open() as handle:
        return handle.readline().strip().split(",")


def _mark_production(client: bigquery.Client, project: DbtProject, seed: str, model: str) -> None:
    """A marker row in production's raw table, a marker view as its model."""
    columns = _raw_columns(project, seed)
    values = ", ".join(f"'{MARKER}'" for _ in columns)
    client.query(f"insert into `demo.raw.{seed}` ({', '.join(columns)}) values ({values})").result()
    view = f"`demo.staging.{model}`"
    client.query(f"create or replace view {view} as select '{MARKER}' as marker").result()


def _smallest_raw_table_and_its_reader(project: DbtProject, env: Environment) -> tuple[str, str]:
    """The smallest generated raw table, and the (staging) model that reads it."""
    sizes = {f.stem: f.stat().st_size for f in project.seeds_dir.glob("saas_*.csv")}
    # parsed where the target's run keeps its artifacts: that run reuses the parse
    _dbt(project, env, "parse", "--target-path", f"target/{env.target}")
    manifest = json.loads(_artifact(project, env, "manifest.json").read_text())
    source = min(
        (s for s in manifest["sources"].values() if s["name"] in sizes),
        key=lambda s: sizes[s["name"]],
    )
    readers = [c for c in manifest["child_map"][source["unique_id"]] if c.startswith("model.")]
    return source["name"], manifest["nodes"][min(readers)]["name"]


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulated]:
    root = tmp_path_factory.mktemp("environments_bigquery")
    port = _free_port()
    pidfile, log = root / "emulator.pid", root / "emulator.log"
    try:
        bigquery_emulator.start(port, pidfile, log, timeout=60)
    except bigquery_emulator.EmulatorError as exc:
        pytest.fail(f"cannot start the BigQuery emulator: {exc}", pytrace=False)
    try:
        project = DbtProject.copy_of_repo(root / "project")
        _point_targets_at_the_emulator(project, port)
        project.generate("--scale", "small", "--customers", "1")
        (project.root / "macros" / "probe_insert_overwrite.sql").write_text(PROBE_MACRO)
        run_id = uuid.uuid4().hex[:8]
        environments = {
            "prod": Environment("bq_prod", {}, "saas_analytics"),
            "dev": Environment("bq_dev", {"USER": "alice"}, "dbt_alice"),
            "ci": Environment("bq_ci", {"DBT_CI_RUN_ID": run_id}, f"ci_{run_id}"),
        }
        seed, model = _smallest_raw_table_and_its_reader(project, environments["prod"])
        client = bigquery.Client(
            project="demo",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": bigquery_emulator.endpoint(port)},
        )
        _run(project, environments["prod"], seed, model)
        _mark_production(client, project, seed, model)
        prod_tables = _tables(client)
        # a developer and a CI run at the same time, as they would
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = [pool.submit(_run, project, environments[n], seed, model) for n in ("dev", "ci")]
            for run in runs:
                run.result()
        yield Emulated(project, client, environments, seed, model, prod_tables)
        client.close()
    finally:
        bigquery_emulator.stop(pidfile)


def test_each_environment_wrote_only_to_its_own_datasets(emulated: Emulated) -> None:
    by_dataset: dict[str, set[str]] = {}
    for table in _tables(emulated.client):
        dataset, name = table.split(".")
        by_dataset.setdefault(dataset, set()).add(name)
    expected: dict[str, set[str]] = {}
    for env in emulated.environments.values():
        for node in env.manifest["nodes"].values():
            if node["name"] in (emulated.seed, emulated.model):
                expected.setdefault(node["schema"], set()).add(node["alias"])
    assert by_dataset == expected
    owned = [{env.staging, env.raw} for env in emulated.environments.values()]
    assert set(expected) == set().union(*owned)
    assert sum(len(datasets) for datasets in owned) == len(set(expected)), "a shared dataset"


def test_each_staging_view_reads_its_own_raw_table(emulated: Emulated) -> None:
    for env in emulated.environments.values():
        view = next(n for n in env.manifest["nodes"].values() if n["name"] == emulated.model)
        run_sql = _artifact(emulated.project, env, "run", PROFILE, view["original_file_path"])
        sql = run_sql.read_text()
        assert f"`demo`.`{env.raw}`.`{emulated.seed}`" in sql, (env.target, sql[:800])
        others = {e.raw for e in emulated.environments.values()} - {env.raw}
        assert not [raw for raw in others if f"`{raw}`" in sql], env.target


def test_later_runs_left_production_untouched(emulated: Emulated) -> None:
    client, seed, model = emulated.client, emulated.seed, emulated.model
    prod = {t for t in _tables(client) if t.split(".")[0] in ("staging", "raw")}
    assert prod == {t for t in emulated.prod_tables if t.split(".")[0] in ("staging", "raw")}
    column = _raw_columns(emulated.project, seed)[0]
    marked = f"select count(*) from `demo.raw.{seed}` where {column} = '{MARKER}'"
    assert [tuple(row.values()) for row in client.query(marked).result()] == [(1,)]
    view = client.query(f"select marker from `demo.staging.{model}`").result()
    assert [tuple(row.values()) for row in view] == [(MARKER,)]


def test_a_developer_given_productions_dataset_is_refused(emulated: Emulated) -> None:
    wrong = Environment("bq_dev", {"USER": "alice", "BIGQUERY_DEV_DATASET": "saas_analytics"}, "")
    failed = _dbt(emulated.project, wrong, "run", "--select", emulated.model, check=False)
    assert failed.returncode != 0
    assert "would write to dataset 'saas_analytics'" in failed.stdout
    test_later_runs_left_production_untouched(emulated)


def test_real_bigquery_targets_run_the_adapters_insert_overwrite(emulated: Emulated) -> None:
    ci = emulated.environments["ci"]
    where = ("--target-path", f"target/{ci.target}")  # reuses the CI run's parse
    probe = _dbt(emulated.project, ci, "run-operation", "probe_insert_overwrite", *where)
    assert "declare dbt_partitions_for_replacement" in probe.stdout, probe.stdout[-2000:]
