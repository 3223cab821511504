"""Dev, CI and production: where each target writes; a fresh clone; the git hook.

* The profile (profiles.example.yml, rendered by dbt itself): every DuckDB
  target has a file of its own and CI attaches production's read-only; every
  BigQuery target has a dataset of its own (a developer's `dbt_<user>`, a CI
  run's `ci_<run>`, production's clean name), from today's variables.
* Where nodes land (macros/generate_schema_name.sql), from `dbt parse` of each
  BigQuery target: the documented rule, recomputed here; raw sources follow
  their target; dev, CI and production share no dataset; a target given
  another environment's dataset is refused. (Writing, on the emulator:
  tests/test_environments_bigquery.py.)
* Slim CI (`state:modified+ --defer --state`): tests/test_slim_ci.py.
* A fresh clone (the repository's files only, no generated data) parses and
  generates docs; a build says in one line how to create the data.
* `make install` puts the pre-commit hook in a git checkout, and only there;
  the hooks run from a fresh clone.
* The browser tests find Chromium on `$CHROMIUM_PATH` or `PATH`; without one
  they are skipped in one line (failed under CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from orchestration.dbt_runner import REPO_ROOT, DbtProject, DbtRun
from tests import browser

PROFILE = "saas_usage"
SANDBOX_PREFIXES = ("dbt_", "ci_")
# Variables of the caller's shell that would change what a target renders to.
PROFILE_VARIABLES = ("DBT_", "BIGQUERY_", "BQ_EMULATOR_", "USER")
BIGQUERY_TARGETS = {  # target -> (environment variables, dataset they give)
    "bq_dev": ({"USER": "alice"}, "dbt_alice"),
    "bq_ci": ({"DBT_CI_RUN_ID": "run7"}, "ci_run7"),
    "bq_prod": ({}, "saas_analytics"),
}


def _clean_environment(**env: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(PROFILE_VARIABLES)}
    return {**kept, **env}


def render_target(target: str, **env: str) -> dict[str, Any]:
    """The target's settings, as dbt renders profiles.example.yml under ``env``."""
    from dbt.config.profile import Profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    profiles = yaml.safe_load((REPO_ROOT / "profiles.example.yml").read_text())
    set_invocation_context(_clean_environment(**env))
    _, settings = Profile.render_profile(profiles[PROFILE], PROFILE, target, ProfileRenderer({}))
    return settings


# --------------------------------------------------------------------------
# the profile
# --------------------------------------------------------------------------
def test_duckdb_targets_have_a_file_each_and_ci_reads_production_read_only() -> None:
    dev, ci, prod = (render_target(name) for name in ("dev", "ci", "prod"))
    assert len({dev["path"], ci["path"], prod["path"]}) == 3
    (attached,) = ci["attach"]
    assert attached == {"path": prod["path"], "alias": "prod", "read_only": True}

    ci = render_target(
        "ci",
        DBT_DUCKDB_CI_PATH="/runs/42/ci.duckdb",
        DBT_DUCKDB_PROD_PATH="/srv/warehouse/saas_prod.duckdb",
    )
    assert ci["path"] == "/runs/42/ci.duckdb"
    # dbt names a DuckDB database after its file: the alias must match it
    assert ci["attach"][0]["alias"] == "saas_prod"
    assert render_target("dev", DBT_DUCKDB_PATH="/tmp/mine.duckdb")["path"] == "/tmp/mine.duckdb"


def test_bigquery_targets_have_a_dataset_per_environment() -> None:
    for target, (env, dataset) in BIGQUERY_TARGETS.items():
        assert render_target(target, **env)["dataset"] == dataset, target
    assert render_target("bq_dev", USER="Jane.Doe-2")["dataset"] == "dbt_jane_doe_2"
    chosen = render_target("bq_dev", USER="alice", BIGQUERY_DEV_DATASET="dbt_alice_feature")
    assert chosen["dataset"] == "dbt_alice_feature"
    assert render_target("bq_prod", BIGQUERY_DATASET="analytics")["dataset"] == "analytics"
    with pytest.raises(Exception, match="DBT_CI_RUN_ID"):
        render_target("bq_ci")


def test_bigquery_targets_differ_only_in_their_dataset_and_keep_todays_variables() -> None:
    env = {
        "BIGQUERY_PROJECT": "acme-data",
        "BIGQUERY_METHOD": "service-account",
        "BIGQUERY_KEYFILE": "/secrets/key.json",
        "BIGQUERY_LOCATION": "EU",
        "BIGQUERY_JOB_RETRIES": "3",
        "DBT_THREADS": "8",
        "USER": "alice",
        "DBT_CI_RUN_ID": "9",
    }
    rendered = {target: render_target(target, **env) for target in BIGQUERY_TARGETS}
    for settings in rendered.values():
        assert settings["project"] == settings["execution_project"] == "acme-data"
        assert (settings["method"], settings["keyfile"]) == ("service-account", "/secrets/key.json")
        assert (settings["location"], settings["job_retries"], settings["threads"]) == ("EU", 3, 8)
    shared = [{k: v for k, v in s.items() if k != "dataset"} for s in rendered.values()]
    assert shared[0] == shared[1] == shared[2]


def test_emulator_target_is_loopback_and_ci_shaped() -> None:
    emulator = render_target("bq_emulator", BQ_EMULATOR_PORT="9999")
    assert emulator["api_endpoint"] == "http://127.0.0.1:9999"
    assert emulator["dataset"].startswith("ci_")


# --------------------------------------------------------------------------
# where nodes land: dbt parse of each BigQuery target (no connection)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parse_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("environments") / "project")
    project.generate("--scale", "small", "--customers", "1")
    return project


# who may read what (dbt_project.yml: grants from --vars)
READERS = {"mart_readers": ["group:bi@example.com"], "quarantine_readers": ["group:dq@example.com"]}
READER_ROLE = "roles/bigquery.dataViewer"


def parse(project: DbtProject, target: str, env: dict[str, str], check: bool = True) -> Any:
    """`dbt parse --target TARGET` under ``env`` with the readers of ``READERS``:
    the manifest, or the failed run."""
    runner = DbtProject(project.root, {**project.env, "DBT_TARGET": target, **env})
    where, readers = f"target/{target}", json.dumps(READERS)
    result = runner.dbt("parse", "--target-path", where, "--vars", readers, check=check)
    if result.returncode != 0:
        return result
    return json.loads((project.root / "target" / target / "manifest.json").read_text())


@pytest.fixture(scope="module")
def manifests(parse_project: DbtProject) -> dict[str, dict[str, Any]]:
    # each target parses into its own target path: they can run side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            target: pool.submit(parse, parse_project, target, env)
            for target, (env, _) in BIGQUERY_TARGETS.items()
        }
        return {target: future.result() for target, future in futures.items()}


def expected_schema(base: str, custom: str | None) -> str:
    """The documented rule: sandboxes prefix custom schemas, production does not."""
    if custom is None:
        return base
    return f"{base}_{custom}" if base.startswith(SANDBOX_PREFIXES) else custom


def written_schemas(manifest: dict[str, Any]) -> dict[str, str]:
    """unique_id -> schema of every model, seed and snapshot (what a build writes)."""
    kinds = ("model", "seed", "snapshot")
    return {
        uid: node["schema"]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in kinds
    }


@pytest.mark.dbt
@pytest.mark.parametrize("target", sorted(BIGQUERY_TARGETS))
def test_nodes_land_where_the_rule_says(manifests: dict[str, Any], target: str) -> None:
    manifest, base = manifests[target], BIGQUERY_TARGETS[target][1]
    schemas = written_schemas(manifest)
    assert schemas, "nothing parsed"
    for uid, schema in schemas.items():
        custom = manifest["nodes"][uid]["config"].get("schema")
        assert schema == expected_schema(base, custom), (uid, custom)
    if base.startswith(SANDBOX_PREFIXES):
        assert all(s == base or s.startswith(base + "_") for s in schemas.values())
    else:
        assert not [s for s in schemas.values() if s.startswith(SANDBOX_PREFIXES)]


@pytest.mark.dbt
@pytest.mark.parametrize("target", sorted(BIGQUERY_TARGETS))
def test_raw_sources_follow_the_target(manifests: dict[str, Any], target: str) -> None:
    manifest = manifests[target]
    sources = [s for s in manifest["sources"].values() if s["source_name"] == "saas"]
    assert sources
    for source in sources:
        seed = manifest["nodes"][f"seed.{PROFILE}.{source['name']}"]
        assert (source["database"], source["schema"]) == (seed["database"], seed["schema"])


@pytest.mark.dbt
def test_no_two_environments_share_a_dataset(manifests: dict[str, Any]) -> None:
    written = {target: set(written_schemas(m).values()) for target, m in manifests.items()}
    targets = sorted(written)
    for i, first in enumerate(targets):
        for second in targets[i + 1 :]:
            assert not written[first] & written[second], (first, second)


def grantees(node: dict[str, Any]) -> set[str]:
    return set(node["config"].get("grants", {}).get(READER_ROLE, []))


@pytest.mark.dbt
@pytest.mark.parametrize("target", sorted(BIGQUERY_TARGETS))
def test_each_layer_has_its_dataset_and_mart_readers_see_only_the_marts(
    manifests: dict[str, Any], target: str
) -> None:
    """Staging and intermediate (raw emails) and the quarantine (raw values)
    sit in datasets of their own; the mart readers are granted exactly the
    marts, which sit in the target's dataset and declare no personal data."""
    manifest, base = manifests[target], BIGQUERY_TARGETS[target][1]
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    layers = {n["fqn"][1] for n in models}
    assert {"staging", "intermediate", "marts"} <= layers
    schemas = {layer: {n["schema"] for n in models if n["fqn"][1] == layer} for layer in layers}
    assert schemas["staging"] == {expected_schema(base, "staging")}
    assert schemas["intermediate"] == {expected_schema(base, "intermediate")}
    marts = [n for n in models if n["fqn"][1] == "marts" and n["fqn"][2] != "data_quality"]
    quarantine = [n for n in models if n["fqn"][1:3] == ["marts", "data_quality"]]
    assert marts and quarantine
    assert {n["schema"] for n in marts} == {base}
    assert {n["schema"] for n in quarantine} == {expected_schema(base, "quarantine")}

    seen_by_mart_readers = {n["name"] for n in models if "group:bi@example.com" in grantees(n)}
    assert seen_by_mart_readers == {n["name"] for n in marts}
    assert all(grantees(n) == {"group:dq@example.com"} for n in quarantine)
    assert not [n["name"] for n in models if n["fqn"][1] != "marts" and grantees(n)]
    personal = [
        (n["name"], column)
        for n in marts
        for column, spec in n["columns"].items()
        if spec.get("meta", {}).get("contains_pii")
    ]
    assert not personal, personal


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("target", "env", "message"),
    [
        ("bq_dev", {"BIGQUERY_DEV_DATASET": "saas_analytics"}, "must start with 'dbt_'"),
        ("bq_prod", {"BIGQUERY_DATASET": "dbt_alice"}, "belong to developers and CI runs"),
        ("bq_emulator", {"BQ_EMULATOR_DATASET": "saas_analytics"}, "must start with 'ci_'"),
    ],
)
def test_a_target_given_another_environments_dataset_is_refused(
    parse_project: DbtProject, target: str, env: dict[str, str], message: str
) -> None:
    failed = parse(parse_project, target, env, check=False)
    assert isinstance(failed, DbtRun), f"{target} accepted {env}"
    lines = [line for line in failed.stdout.splitlines() if message in line]
    assert len(lines) == 1, failed.stdout[-3000:]
    assert f"target '{target}'" in lines[0]


# --------------------------------------------------------------------------
# a fresh clone
# --------------------------------------------------------------------------
def fresh_clone(destination: Path) -> Path:
    """The files a clone of this checkout would have: tracked and new files
    that .gitignore does not exclude (no generated data, venv or build)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    root = fresh_clone(tmp_path_factory.mktemp("fresh_clone") / "project")
    shutil.copy(root / "profiles.example.yml", root / "profiles.yml")  # as `make install` does
    env = {"DBT_PROFILES_DIR": str(root), "DBT_DUCKDB_PATH": str(root / "saas.duckdb")}
    return DbtProject(root, {**env, "DBT_TARGET": "dev", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})


@pytest.mark.dbt
def test_fresh_clone_parses_and_generates_docs_without_data(clone: DbtProject) -> None:
    clone.dbt("parse")
    manifest = json.loads((clone.root / "target" / "manifest.json").read_text())
    raw_tables = [s["name"] for s in manifest["sources"].values() if s["source_name"] == "saas"]
    assert raw_tables
    generated = [name for name in raw_tables if (clone.seeds_dir / f"{name}.csv").exists()]
    assert not generated, f"generated data is in the repository: {generated}"
    clone.dbt("docs", "generate")
    for artifact in ("index.html", "manifest.json", "catalog.json"):
        assert (clone.root / "target" / artifact).is_file(), artifact


@pytest.mark.dbt
def test_fresh_clone_build_says_in_one_line_how_to_create_the_data(clone: DbtProject) -> None:
    result = clone.dbt("build", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    told = [line for line in output.splitlines() if "scripts/generate_saas_data.py" in line]
    assert len(told) == 1, output[-3000:]
    assert "make data" in told[0]
    with duckdb.connect(str(clone.database_path), read_only=True) as con:
        built = con.execute("select table_schema, table_name from information_schema.tables")
        assert built.fetchall() == [], "something was built without data"


# --------------------------------------------------------------------------
# the git hook
# --------------------------------------------------------------------------
def _make_install(root: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`make install` in ``root`` with this checkout's venv (marked up to date:
    nothing is reinstalled) and no user or system git configuration."""
    (root / ".venv").symlink_to((REPO_ROOT / ".venv").resolve())
    (home / "gitconfig").write_text("")
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(home / "pre-commit"),
    }
    return subprocess.run(
        ["make", "-o", ".venv/bin/dbt", "install"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_install_puts_the_hook_in_a_git_checkout_and_it_runs(tmp_path: Path) -> None:
    root = fresh_clone(tmp_path / "project")
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    installed = _make_install(root, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    hook = root / ".git" / "hooks" / "pre-commit"
    assert hook.is_file() and "pre-commit" in hook.read_text()

    # The hooks run from the clone; the slow ones (mypy, sqlfluff, dbt-score)
    # are what `make test` runs through scripts/lint.sh.
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    slow = "mypy,sqlfluff-duckdb,sqlfluff-bigquery,sqlfluff-sql-config,dbt-score"
    ran = subprocess.run(
        [str(root / ".venv/bin/pre-commit"), "run", "--all-files"],
        cwd=root,
        env={**os.environ, "SKIP": slow, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "ruff check" in ran.stdout and "Passed" in ran.stdout


def test_make_install_outside_a_git_checkout_installs_no_hook(tmp_path: Path) -> None:
    root = fresh_clone(tmp_path / "project")
    installed = _make_install(root, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (root / "profiles.yml").is_file()
    assert not (root / ".git").exists()
    assert "pre-commit installed" not in installed.stdout


# --------------------------------------------------------------------------
# the browser of the browser tests (tests/browser.py)
# --------------------------------------------------------------------------
def _fake_executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_browser_comes_from_chromium_path_else_from_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = _fake_executable(tmp_path / "bin", "chromium-browser")
    chosen = _fake_executable(tmp_path / "opt", "chrome")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    assert browser.chromium_path() == on_path
    monkeypatch.setenv("CHROMIUM_PATH", str(chosen))
    assert browser.chromium_path() == chosen
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "missing"))
    with pytest.raises(browser.ChromiumNotFoundError, match="not an executable file"):
        browser.chromium_path()


def test_no_browser_skips_in_one_line_and_fails_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        browser.chromium_or_skip()
    assert str(skipped.value) == browser.INSTALL_HINT
    assert "\n" not in browser.INSTALL_HINT and "apt-get install chromium" in browser.INSTALL_HINT
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        browser.chromium_or_skip()
