"""A copy of the project that starts from another copy's parse state
(orchestration/parse_state.py, tests/conftest.py's ``dbt_parse_state``) gets
from dbt the manifest a full parse gives: the tests' dbt commands build and
test what they would build and test without the shared state.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from orchestration import parse_state
from orchestration.dbt_runner import DbtProject

pytestmark = pytest.mark.dbt

# what differs between two parses of the same files
VOLATILE = {"created_at", "generated_at", "invocation_id", "invocation_started_at"}


def stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def manifests(project: DbtProject) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The manifest of a partial parse from the state in target/, that of a
    full parse of the same files, and what dbt said of the former."""
    partial = project.dbt("parse")
    full = project.dbt("parse", "--no-partial-parse", "--target-path", "full_parse")
    assert full.ok
    read = [
        json.loads((project.root / d / "manifest.json").read_text())
        for d in ("target", "full_parse")
    ]
    for manifest in read:
        manifest["metadata"].pop("run_started_at", None)
    return stable(read[0]), stable(read[1]), partial.output


def test_a_new_copy_parses_from_the_shared_state_as_a_full_parse_would(
    dbt_parse_state: Path | None, tmp_path: Path
) -> None:
    assert dbt_parse_state is not None and dbt_parse_state.exists()
    project = DbtProject.copy_of_repo(tmp_path / "project")
    assert (project.target_dir / parse_state.STATE_FILE).exists()
    project.generate("--scale", "small", "--seed", "7")
    partial, full, said = manifests(project)
    assert "Unable to do partial parsing" not in said, said[-3000:]
    seed = partial["nodes"]["seed.saas_usage.saas_user_activity"]
    assert seed["root_path"] == str(project.root) and seed["config"]["column_types"]
    assert partial == full


def test_a_moved_copy_with_a_changed_model_parses_as_a_full_parse_would(
    small_built: DbtProject, tmp_path: Path
) -> None:
    # as tests/test_checks_fail.py does: the built project copied with target/
    root = tmp_path / "moved"
    shutil.copytree(small_built.root, root, ignore=shutil.ignore_patterns("logs", "*.duckdb*"))
    project = DbtProject(root, {**small_built.env, "DBT_PROFILES_DIR": str(root)})
    project.env["DBT_DUCKDB_PATH"] = str(root / "saas.duckdb")
    model = root / "models" / "marts" / "core" / "fct_site_months.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    partial, full, said = manifests(project)
    assert "Unable to do partial parsing" not in said, said[-3000:]
    seed = partial["nodes"]["seed.saas_usage.saas_internal_accounts"]  # unchanged file
    assert seed["root_path"] == str(root)
    assert partial == full
