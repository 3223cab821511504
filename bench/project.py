"""A throwaway copy of the dbt project, the dbt command line and its run results.

The benchmark never touches the working tree: every scale runs in its own
copy with its own DuckDB file, and dbt runs as a child process (what a user
runs, measured from the outside).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.dbt_runner import DbtProject


@dataclass(frozen=True)
class ProjectCopy:
    """A copy of the dbt project and the environment its dbt commands run with."""

    root: Path
    env: dict[str, str]

    @classmethod
    def create(cls, destination: Path, memory_limit: str, threads: int | None) -> ProjectCopy:
        """Copy the project to ``destination`` (as the tests do: code and config,
        no data), with the example profile (DuckDB, `dev`)."""
        env = {"DBT_DUCKDB_MEMORY_LIMIT": memory_limit}
        if threads:
            env["DBT_THREADS"] = str(threads)
        project = DbtProject.copy_of_repo(destination, **env)
        return cls(root=project.root, env=project.env)

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    @property
    def database(self) -> Path:
        return Path(self.env["DBT_DUCKDB_PATH"])

    @property
    def manifest(self) -> Path:
        return self.root / "target" / "manifest.json"

    def full_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def run_results(self) -> dict[str, Any]:
        return dict(json.loads((self.root / "target" / "run_results.json").read_text()))


def execution_seconds(results: Mapping[str, Any], resource_type: str) -> float:
    """Summed ``execution_time`` of the nodes of one resource type (model, test, seed...)."""
    return sum(
        float(node["execution_time"])
        for node in results["results"]
        if node["unique_id"].split(".", 1)[0] == resource_type
    )


def slowest(results: Mapping[str, Any], resource_type: str, count: int = 8) -> dict[str, float]:
    """The ``count`` slowest nodes of a type: name -> seconds."""
    times = {
        # unique ids are `<type>.<project>.<name>` (tests: `.<hash>` after it)
        node["unique_id"].split(".")[2]: round(float(node["execution_time"]), 2)
        for node in results["results"]
        if node["unique_id"].startswith(resource_type + ".")
    }
    return dict(sorted(times.items(), key=lambda item: -item[1])[:count])


def run_results_summary(results: Mapping[str, Any]) -> dict[str, Any]:
    """dbt's own figures of a command: execution per node type, statuses, slowest nodes."""
    statuses: dict[str, int] = {}
    for node in results["results"]:
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    return {
        "model_execution_s": round(execution_seconds(results, "model"), 3),
        "test_execution_s": round(execution_seconds(results, "test"), 3),
        "unit_test_execution_s": round(execution_seconds(results, "unit_test"), 3),
        "seed_execution_s": round(execution_seconds(results, "seed"), 3),
        "dbt_elapsed_s": round(float(results.get("elapsed_time", 0.0)), 3),
        "nodes": statuses,
        "slowest_models_s": slowest(results, "model"),
        "slowest_tests_s": slowest(results, "test"),
    }
