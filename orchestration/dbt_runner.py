"""The one module that runs dbt: for the daily job, the replay, the orchestrator,
the benchmarks and the tests.

``DbtProject`` is a dbt project folder plus the environment its commands run
with (profiles folder, DuckDB file, target). Commands run in one of two ways:

* ``DbtProject.dbt(...)`` starts the ``dbt`` executable of the running
  virtualenv as a child process. That is the default because the isolation
  matters: dbt reads the profile's ``env_var()`` values (DuckDB file, target,
  credentials) from the process environment, so each project gets its own
  environment without touching this process's (tests run several projects
  side by side, some in threads); a crash or a hang in dbt or the database
  driver cannot take the caller down; and the child's own CPU time can be
  measured (``os.wait4``), which the benchmarks report. The tests point
  ``SAAS_DBT_EXECUTABLE`` at a ``dbt`` that forks each command from a
  pre-imported dbt (tests/dbt_server.py): still a process per command.
* ``DbtProject.parse_in_process()`` runs ``dbt parse`` in this process through
  dbt's programmatic ``dbtRunner``. The orchestrator's code location needs the
  manifest when it loads; parsing in process saves a second interpreter and a
  second import of dbt (seconds on a busy machine) and touches no warehouse.
  ``dbtRunner`` is not safe to run concurrently in one process, so it serves
  only there, once per load.

The Dagster assets run dbt through dagster-dbt's ``DbtCliResource`` (a child
process too), which turns dbt's structured log into asset events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from orchestration import parse_state

if TYPE_CHECKING:
    import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
# A partial_parse.msgpack that new copies of the project start from, if set
PARSE_STATE_ENV = "SAAS_DBT_PARSE_STATE"
GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"
BIN_DIR = Path(sys.executable).parent
# The virtualenv's dbt when there is one, else the first on PATH.
DBT = str(BIN_DIR / "dbt") if (BIN_DIR / "dbt").exists() else shutil.which("dbt") or "dbt"
# Another dbt command to run instead, if set: the tests' pre-imported dbt
# (tests/dbt_server.py). The benchmarks time DBT itself.
DBT_EXECUTABLE_ENV = "SAAS_DBT_EXECUTABLE"


def dbt_executable() -> str:
    """The dbt command the project's runs start: DBT unless overridden."""
    return os.environ.get(DBT_EXECUTABLE_ENV) or DBT


# The DuckDB targets' files: (environment variable, default), as in
# profiles.example.yml.
_DUCKDB_FILES = {
    "dev": ("DBT_DUCKDB_PATH", "saas.duckdb"),
    "ci": ("DBT_DUCKDB_CI_PATH", "ci.duckdb"),
    "prod": ("DBT_DUCKDB_PROD_PATH", "prod.duckdb"),
}
DUCKDB_PATH_VARS = tuple(variable for variable, _ in _DUCKDB_FILES.values())

# What a copy of the project leaves behind: data, build output, caches,
# venvs; but the committed lookup seeds/saas_internal_accounts.csv.
_COMMITTED_SEEDS = {"saas_internal_accounts.csv"}
_COPY_IGNORED_PATTERNS = shutil.ignore_patterns(
    ".venv*",
    ".git",
    ".dagster",
    ".tmp_dagster_home_*",
    "target",
    "logs",
    "dbt_packages",
    "*.duckdb",
    "*.duckdb.wal",
    "*.duckdb.lock",
    "saas_*.csv",
    "saas_*.parquet",
    "_planted_cases.json",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".bq-emulator",
    "profiles.yml",
    "bench",
    "data",
)


def _copy_ignored(directory: str, names: list[str]) -> set[str]:
    return set(_COPY_IGNORED_PATTERNS(directory, names)) - _COMMITTED_SEEDS


class DbtError(RuntimeError):
    """A dbt command exited non-zero (``DbtProject.dbt`` unless ``check=False``);
    carries its output."""


@dataclass
class DbtRun:
    """One finished dbt command: its exit code, wall and CPU time, and what it
    printed (dbt logs to stdout; stderr has what went wrong outside its log)."""

    args: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class DbtProject:
    """A dbt project folder and the environment its dbt commands run with."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, root: Path, **env: str) -> DbtProject:
        """The project in ``root``; profiles from ``root`` unless DBT_PROFILES_DIR is set."""
        root = root.resolve()
        merged = {
            "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(root)),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        merged.update(env)
        return cls(root=root, env=merged)

    @classmethod
    def copy_of(cls, source: Path, destination: Path, **env: str) -> DbtProject:
        """A copy of the project in ``source`` (code and config, no data, no
        build output) in ``destination``, with its own profile and DuckDB file."""
        shutil.copytree(source, destination, ignore=_copy_ignored)
        shutil.copy(source / "profiles.example.yml", destination / "profiles.yml")
        # a parse state to start from (tests/conftest.py sets one per session)
        cache = os.environ.get(PARSE_STATE_ENV)
        parse_state.seed(destination / "target", Path(cache) if cache else None)
        parse_state.relocate(destination / "target", destination.resolve())
        base = {
            "DBT_PROFILES_DIR": str(destination),
            "DBT_DUCKDB_PATH": str(destination / "saas.duckdb"),
            "DBT_TARGET": "dev",
        }
        base.update(env)
        return cls.at(destination, **base)

    @classmethod
    def copy_of_repo(cls, destination: Path, **env: str) -> DbtProject:
        """A copy of this repository's project (see ``copy_of``)."""
        return cls.copy_of(REPO_ROOT, destination, **env)

    def copy_built(self, destination: Path) -> DbtProject:
        """A copy of this project as it stands: data, build output and DuckDB
        file (not its logs), with its own profile folder and DuckDB file."""
        shutil.copytree(self.root, destination, ignore=shutil.ignore_patterns("logs", "*.wal"))
        env = {**self.env, "DBT_PROFILES_DIR": str(destination)}
        env["DBT_DUCKDB_PATH"] = str(destination / self.database_path.name)
        return DbtProject(root=destination.resolve(), env=env)

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def target_dir(self) -> Path:
        return self.root / self.full_env().get("DBT_TARGET_PATH", "target")

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"

    def full_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {**os.environ, **self.env, **(extra or {})}

    @property
    def target(self) -> str:
        return self.full_env().get("DBT_TARGET", "dev")

    @property
    def is_duckdb(self) -> bool:
        """True for the DuckDB targets: profiles.example.yml names every
        BigQuery target `bq_*`."""
        return not self.target.startswith("bq_")

    @property
    def database_path(self) -> Path:
        """The DuckDB file of the target (profiles.example.yml's rule)."""
        variable, default = _DUCKDB_FILES.get(self.target, _DUCKDB_FILES["dev"])
        path = Path(self.full_env().get(variable, default))
        return path if path.is_absolute() else self.root / path

    def dbt(
        self,
        *args: str,
        check: bool = True,
        extra_env: Mapping[str, str] | None = None,
        echo: IO[str] | None = None,
    ) -> DbtRun:
        """Run ``dbt ARGS`` in the project as a child process.

        A non-zero exit raises DbtError carrying the output's tail, unless
        ``check`` is false (the jobs read the exit code themselves). The
        environment is ``dbt_env``'s.
        """
        command = [dbt_executable(), *args]
        run = run_command(command, cwd=self.root, env=self.dbt_env(extra_env), echo=echo)
        if check and not run.ok:
            raise DbtError(f"dbt {' '.join(args)} exited {run.returncode}\n{run.output[-8000:]}")
        return run

    def dbt_env(self, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a dbt command run in the project folder (cwd), with
        the project's parse state made ready for it: dbt's parse state is then
        portable between copies of the project (parse_state.py)."""
        parse_state.relocate(self.target_dir, self.root)
        return parse_state.portable_env(self.full_env(extra_env), self.root, DUCKDB_PATH_VARS)

    def parse_in_process(self) -> Path:
        """``dbt parse`` through dbtRunner in this process; the manifest's path.

        The project's environment is the process's here (the caller is the
        code location, configured by its own environment); the project and
        profiles folders are passed explicitly.
        """
        from dbt.cli.main import dbtRunner  # imported here: only the code location needs it

        # Parsed into a folder of this process's own, then swapped in whole:
        # another process (a run, a code server) may be reading the manifest.
        scratch = self.target_dir / f".parse-{os.getpid()}"
        # from the project's parse state, so that dbt re-parses what changed only
        parse_state.relocate(self.target_dir, self.root)
        parse_state.seed(scratch, self.target_dir / parse_state.STATE_FILE)
        result = dbtRunner().invoke(
            [
                "parse",
                "--quiet",
                "--project-dir",
                str(self.root),
                "--profiles-dir",
                self.full_env()["DBT_PROFILES_DIR"],
                "--target-path",
                str(scratch),
            ]
        )
        if not result.success:
            raise DbtError(f"dbt parse failed in {self.root}: {result.exception}")
        for name in ("partial_parse.msgpack", "manifest.json"):
            if (scratch / name).exists():
                os.replace(scratch / name, self.target_dir / name)
        shutil.rmtree(scratch, ignore_errors=True)
        return self.manifest_path

    def generate(self, *args: str) -> None:
        """Run the data generator into the project's seeds folder."""
        command = [sys.executable, str(GENERATOR), "--out", str(self.seeds_dir), "--quiet"]
        subprocess.run([*command, *args], check=True, capture_output=True, text=True)

    def run_results(self) -> dict[str, Any]:
        return json.loads((self.target_dir / "run_results.json").read_text())

    def query(self, sql: str) -> pd.DataFrame:
        """Read from the project's DuckDB file (read-only). An unqualified name
        is looked up in ``main`` (the marts), then in every other schema (each
        layer has its own: docs/environments.md)."""
        import duckdb

        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            schemas = [
                name
                for (name,) in connection.execute(
                    "select schema_name from information_schema.schemata "
                    "where catalog_name = current_database() order by schema_name <> 'main', 1"
                ).fetchall()
            ]
            connection.execute(f"set search_path = '{','.join(schemas)}'")
            return connection.sql(sql).df()

    def table(self, name: str) -> pd.DataFrame:
        """A model's relation, wherever its layer puts it (the manifest's schema)."""
        return self.query(f"select * from {self.relation(name)}")

    def relation(self, name: str) -> str:
        """``schema.name`` of a model or seed of the last parse or build."""
        nodes = json.loads(self.manifest_path.read_text())["nodes"].values()
        found = [n for n in nodes if n["name"] == name and n["resource_type"] in ("model", "seed")]
        if not found:
            raise KeyError(f"{name}: no such model or seed in {self.manifest_path}")
        return f"{found[0]['schema']}.{found[0]['alias']}"


def run_command(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    echo: IO[str] | None = None,
) -> DbtRun:
    """Run ``command``; its stdout is collected line by line (and copied to
    ``echo`` as it comes), its stderr alongside.

    The CPU time is the child's own (user + system, DuckDB's threads
    included), read from ``os.wait4``: unlike wall time, it does not grow when
    other processes compete for the machine.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    errors: list[str] = []
    # drained meanwhile: a full stderr pipe would block the child
    drain = threading.Thread(target=lambda: errors.extend(process.stderr or []))
    drain.start()
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if echo is not None:
            echo.write(line)
            echo.flush()
    drain.join()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return DbtRun(
        args=list(command),
        returncode=process.returncode,
        wall_s=time.perf_counter() - started,
        cpu_s=usage.ru_utime + usage.ru_stime,
        stdout="".join(lines),
        stderr="".join(errors),
    )


# --------------------------------------------------------------------------
# Run results (target/run_results.json)
# --------------------------------------------------------------------------
def execution_seconds(run_results: Mapping[str, Any], resource_type: str = "model") -> float:
    """Summed ``execution_time`` of the nodes of one resource type."""
    return sum(
        result["execution_time"]
        for result in run_results["results"]
        if result["unique_id"].split(".", 1)[0] == resource_type
    )


def status_counts(run_results: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in run_results["results"]:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def rows_affected(run_results: Mapping[str, Any]) -> dict[str, int | None]:
    """Rows written per model, as the adapter reported them (None if unknown)."""
    return {
        result["unique_id"].split(".")[-1]: (result.get("adapter_response") or {}).get(
            "rows_affected"
        )
        for result in run_results["results"]
        if result["unique_id"].startswith("model.")
    }
