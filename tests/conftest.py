"""Shared pytest fixtures.

Generator fixtures (session-scoped, built once per test session):

* ``small_data_dir``: ``--scale small`` data (CSV) generated into a temporary
  folder; returns its ``Path``. Holds the six raw seeds, ``saas_internal_accounts.csv``
  and ``_planted_cases.json``.
* ``small_manifest``: the parsed ``_planted_cases.json`` of that folder.
* ``small_tables``: the seven CSVs as pandas DataFrames of strings (no type
  inference), keyed by table name (``saas_user_activity``, ...).
* ``run_generator``: a function running ``scripts/generate_saas_data.py`` with
  extra arguments in a subprocess and returning the ``CompletedProcess``.

dbt fixtures (session-scoped):

* ``dbt_parse_state`` (autouse when a selected test runs dbt): one full
  ``dbt parse`` per run, whose state every ``DbtProject.copy_of`` copy starts
  from (orchestration/parse_state.py; tests/test_parse_state.py checks it);
  and the worker's pre-imported dbt that every dbt command runs through
  (tests/dbt_server.py).

* ``small_built``: an isolated copy of the dbt project with ``--scale small``
  data (seed 7) after a real ``dbt seed`` and ``dbt build`` on its own DuckDB
  file. Shared by every test module that only reads the build (marts, docs
  site, semantic layer, report); built once per run, copied to each worker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from conventions.parse import add_placeholder_seeds, missing_seeds
from generator.config import RAW_TABLES
from orchestration import parse_state
from orchestration.dbt_runner import DBT_EXECUTABLE_ENV, PARSE_STATE_ENV, DbtProject
from tests import dbt_server

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"

RunGenerator = Callable[..., subprocess.CompletedProcess[str]]


def _run_generator(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"generator failed ({proc.returncode}): {proc.stderr}")
    return proc


# The longest modules first (minutes each: replays, emulator builds): with
# `pytest -n 2 --dist loadfile --no-loadscope-reorder` (make test) each worker
# starts on one and the short ones fill in behind them.
LONGEST_FIRST = (
    "test_orchestration.py",
    "test_incremental.py",
    "test_bigquery_emulator.py",
    "test_environments.py",
    "test_environments_bigquery.py",
    "test_bench.py",
    "test_bad_input.py",
    "test_checks_fail.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module keeps its own order


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the run's xdist workers share: each worker's base is inside it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def dbt_parse_state(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path | None]:
    """One full ``dbt parse`` per test run: the parse state every new copy of the
    project starts from (orchestration/parse_state.py), so that each copy's
    first dbt command re-parses only what differs instead of everything.

    Every dbt command of the session runs through this worker's pre-imported
    dbt (tests/dbt_server.py), which saves each one dbt's import.

    Parsed in a copy with an empty file for each generated seed (the seeds'
    properties then apply, as they do in a copy with data); shared by the
    xdist workers. Skipped when no selected test runs dbt."""
    if not any(item.get_closest_marker("dbt") for item in request.session.items):
        yield None
        return
    shared = _run_folder(tmp_path_factory) / "dbt_parse_state"
    state = shared / "project" / "target" / parse_state.STATE_FILE
    shared.mkdir(exist_ok=True)
    # a short folder: a Unix socket's path has at most 107 characters
    with (
        tempfile.TemporaryDirectory(prefix="dbt-server-") as folder,
        dbt_server.running(Path(folder)) as dbt,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv(DBT_EXECUTABLE_ENV, str(dbt))
        with FileLock(str(shared / "lock")):
            if not state.exists():
                template = DbtProject.copy_of_repo(shared / "project")
                add_placeholder_seeds(template.root, missing_seeds(template.root))
                template.dbt("parse")
        env.setenv(PARSE_STATE_ENV, str(state))
        yield state


@pytest.fixture(scope="session")
def run_generator() -> RunGenerator:
    return _run_generator


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small_data")
    _run_generator("--scale", "small", "--out", str(out), "--quiet")
    return out


@pytest.fixture(scope="session")
def small_manifest(small_data_dir: Path) -> dict:
    return json.loads((small_data_dir / "_planted_cases.json").read_text())


@pytest.fixture(scope="session")
def small_tables(small_data_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(small_data_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in RAW_TABLES
    }


@pytest.fixture(scope="session")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    """Built once per run, by whichever worker asks first; each worker gets
    its own copy (tests write reports and docs into it)."""
    shared = _run_folder(tmp_path_factory) / "small_built"
    shared.mkdir(exist_ok=True)
    built = shared / "project"
    with FileLock(str(shared / "lock")):
        if not (shared / "done").exists():
            shutil.rmtree(built, ignore_errors=True)  # a build that failed
            project = DbtProject.copy_of_repo(built)
            project.generate("--scale", "small", "--seed", "7")
            project.dbt("seed")
            project.dbt("build", "--exclude-resource-type", "seed")
            # the build's own results: later dbt commands in a copy overwrite run_results.json
            target = project.root / "target"
            shutil.copy(target / "run_results.json", target / "build_run_results.json")
            (shared / "done").touch()
    env = {"DBT_PROFILES_DIR": str(built), "DBT_DUCKDB_PATH": str(built / "saas.duckdb")}
    original = DbtProject.at(built, **env, DBT_TARGET="dev")
    return original.copy_built(tmp_path_factory.mktemp("small_built") / "project")
