"""Slim CI for real, on DuckDB: build production, change one intermediate
model, run the documented CI commands (docs/environments.md)

    DBT_TARGET=ci dbt seed
    DBT_TARGET=ci dbt build --select state:modified+ --defer --state prod-artifacts

and check that exactly that model and its descendants were built (in CI's own
file), that every other parent was read from production (the compiled SQL
names production's database), that production's file is byte for byte
untouched, and that the rebuilt models hold the same rows as production's
(the change is a comment: same code, so the same data, read through the
deferred parents). The changed model is picked from production's manifest:
the intermediate model with children and the fewest descendants whose
subgraph reads no raw source.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.dbt_runner import DbtProject

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

PROJECT = "saas_usage"
# Models succeed, tests pass, exposures and saved queries are no-ops.
OK_STATUSES = {"success", "pass", "no-op"}


@dataclass
class SlimCi:
    changed: str  # unique_id of the changed intermediate model
    expected: set[str]  # it and every model downstream of it
    built: dict[str, str]  # unique_id -> status, from the CI run
    manifest: dict[str, Any]  # production's
    project: DbtProject
    prod_path: Path
    ci_path: Path
    prod_digest_before: str


def _descendant_models(manifest: dict[str, Any], unique_id: str) -> set[str]:
    found, todo = set(), [unique_id]
    while todo:
        for child in manifest["child_map"][todo.pop()]:
            if child.startswith("model.") and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _model_to_change(manifest: dict[str, Any]) -> str:
    """The intermediate model with children and the fewest descendants whose
    subgraph reads no raw source."""

    def reads_sources(uid: str) -> bool:
        return any(p.startswith("source.") for p in manifest["nodes"][uid]["depends_on"]["nodes"])

    candidates = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or "/intermediate/" not in node["original_file_path"]:
            continue
        below = _descendant_models(manifest, uid)
        if below and not any(reads_sources(n) for n in {uid, *below}):
            candidates.append((len(below), uid))
    assert candidates, "no intermediate model with children"
    return min(candidates)[1]


def relation(node: dict[str, Any]) -> tuple[str, str]:
    """(schema, table) of a node: the same in CI's file as in production's."""
    return node["schema"], node["alias"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def slim_ci(tmp_path_factory: pytest.TempPathFactory) -> SlimCi:
    root = tmp_path_factory.mktemp("slim_ci")
    prod_path, ci_path, state = root / "prod.duckdb", root / "ci.duckdb", root / "prod-artifacts"
    files = {"DBT_DUCKDB_PROD_PATH": str(prod_path), "DBT_DUCKDB_CI_PATH": str(ci_path)}
    prod = DbtProject.copy_of_repo(root / "project", DBT_TARGET="prod", **files)
    prod.generate("--scale", "small", "--customers", "3")
    prod.dbt("seed")
    prod.dbt("build", "--exclude-resource-type", "seed")
    state.mkdir()
    shutil.copy(prod.root / "target" / "manifest.json", state / "manifest.json")
    manifest = json.loads((state / "manifest.json").read_text())

    changed = _model_to_change(manifest)
    sql = prod.root / manifest["nodes"][changed]["original_file_path"]
    sql.write_text(sql.read_text() + "\n-- changed by a pull request\n")
    digest = _digest(prod_path)

    ci = DbtProject(prod.root, {**prod.env, "DBT_TARGET": "ci"})
    ci.dbt("seed")
    ci.dbt("build", "--select", "state:modified+", "--defer", "--state", str(state))
    results = json.loads((ci.root / "target" / "run_results.json").read_text())["results"]
    built = {r["unique_id"]: r["status"] for r in results}
    expected = {changed, *_descendant_models(manifest, changed)}
    return SlimCi(changed, expected, built, manifest, ci, prod_path, ci_path, digest)


def test_builds_exactly_the_changed_model_and_its_descendants(slim_ci: SlimCi) -> None:
    models = {uid for uid in slim_ci.built if uid.startswith("model.")}
    assert models == slim_ci.expected
    failed = {uid: status for uid, status in slim_ci.built.items() if status not in OK_STATUSES}
    assert not failed
    all_models = [n for n in slim_ci.manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(slim_ci.expected) < len(all_models) / 2, "most of the project was selected"
    # CI's file holds those models and the seeds it loaded (each with the
    # relation of its rejected lines), nothing else
    nodes = slim_ci.manifest["nodes"]
    seeds = {
        (n["schema"], n["alias"] + suffix)
        for n in nodes.values()
        if n["resource_type"] == "seed"
        for suffix in ("", "__load_rejects")
    }
    with duckdb.connect(str(slim_ci.ci_path), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'ci'"
        ).fetchall()
    assert set(rows) - seeds == {relation(nodes[uid]) for uid in slim_ci.expected}


def test_reads_every_other_parent_from_production(slim_ci: SlimCi) -> None:
    nodes, deferred = slim_ci.manifest["nodes"], 0
    for uid in slim_ci.expected:
        node = nodes[uid]
        run_sql = slim_ci.project.root / "target" / "run" / PROJECT / node["original_file_path"]
        text = run_sql.read_text()
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("model.") and parent not in slim_ci.expected:
                schema, alias = relation(nodes[parent])
                assert f'"prod"."{schema}"."{alias}"' in text, (uid, parent)
                deferred += 1
    assert deferred > 0, "no parent was read from production"


def test_leaves_production_untouched_and_agrees_with_it(slim_ci: SlimCi) -> None:
    assert _digest(slim_ci.prod_path) == slim_ci.prod_digest_before
    with duckdb.connect(str(slim_ci.ci_path), read_only=True) as con:
        con.execute(f"attach '{slim_ci.prod_path}' as prod (read_only)")
        for uid in slim_ci.expected:
            table = ".".join(relation(slim_ci.manifest["nodes"][uid]))
            for mine, theirs in (("ci", "prod"), ("prod", "ci")):
                extra = con.execute(
                    f"select count(*) from (select * from {mine}.{table} "
                    f"except all select * from {theirs}.{table})"
                ).fetchone()
                assert extra == (0,), f"{table}: rows in {mine} that {theirs} lacks"
