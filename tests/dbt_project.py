"""Helpers to run the real dbt project in an isolated copy, for the test suite.

Each test session copies the project (models, macros, tests, config) into a
temporary directory, writes generated data into that copy's ``seeds/`` folder
and runs the real ``dbt`` executable of the current virtualenv against a
DuckDB file inside the copy. Nothing in the working tree is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN_DIR = Path(sys.executable).parent
DBT = str(BIN_DIR / "dbt")
GENERATOR = REPO_ROOT / "scripts" / "generate_saas_data.py"

_IGNORED = shutil.ignore_patterns(
    ".venv*",
    ".git",
    "target",
    "logs",
    "dbt_packages",
    "*.duckdb",
    "*.duckdb.wal",
    "saas_*.csv",
    "saas_*.parquet",
    "_planted_cases.json",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "profiles.yml",
    "bench",
    "data",
)


class DbtError(AssertionError):
    """A dbt command exited non-zero; carries its output."""


@dataclass
class DbtProject:
    """An isolated copy of the dbt project with its own DuckDB file."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def copy_of_repo(cls, destination: Path, **env: str) -> DbtProject:
        shutil.copytree(REPO_ROOT, destination, ignore=_IGNORED)
        shutil.copy(REPO_ROOT / "profiles.example.yml", destination / "profiles.yml")
        base_env = {
            "DBT_PROFILES_DIR": str(destination),
            "DBT_DUCKDB_PATH": str(destination / "saas.duckdb"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET": "dev",
        }
        base_env.update(env)
        return cls(root=destination, env=base_env)

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def database_path(self) -> Path:
        return Path(self.env["DBT_DUCKDB_PATH"])

    def generate(self, *args: str) -> None:
        """Run the data generator into this project's seeds folder."""
        command = [sys.executable, str(GENERATOR), "--out", str(self.seeds_dir), "--quiet"]
        subprocess.run([*command, *args], check=True, capture_output=True, text=True)

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``dbt ARGS`` in the project copy; raise DbtError with its log on failure."""
        env = {**os.environ, **self.env}
        result = subprocess.run(
            [DBT, *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
        )
        if check and result.returncode != 0:
            raise DbtError(
                f"dbt {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def query(self, sql: str) -> pd.DataFrame:
        """Read from the project's DuckDB file (read-only)."""
        with duckdb.connect(str(self.database_path), read_only=True) as connection:
            return connection.sql(sql).df()

    def table(self, name: str, schema: str = "main") -> pd.DataFrame:
        return self.query(f"select * from {schema}.{name}")
