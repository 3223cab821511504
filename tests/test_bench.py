"""The benchmark driver (``python -m bench``) runs end to end at small scale.

One run of ``python -m bench --scales small --plant-faults`` in a temporary
folder: every step and baseline ran as its own process and reported a wall
time and peak memory, the figures and goals are recorded, and the
hand-written DuckDB baseline computes every mart of the dbt project (every
model under models/marts/, found here from the files, not from the driver)
row for row as dbt does, on data with faulty rows of every kind, so that the
quarantine mart is not empty. No timing is asserted. These three are
marked `bench`: `make bench` runs them before it measures; `make test`
leaves them out (the run takes about two minutes of the test budget).

The comparison and the SQL rendering are also checked on their own, without
dbt: a difference beyond the tolerance, a missing row or column must show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bench.compare import compare_marts
from bench.handwritten import UnknownVarError, render, statements

REPO_ROOT = Path(__file__).resolve().parents[1]
STEPS = ("generate", "load", "build", "startup", "daily_load", "daily_build")
BASELINES = ("faker", "read_csv", "handwritten")
MARTS = sorted(path.stem for path in (REPO_ROOT / "models" / "marts").rglob("*.sql"))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("bench")
    out = folder / "bench.json"
    command = [
        sys.executable, "-m", "bench", "--scales", "small", "--plant-faults",
        "--out", str(out), "--workdir", str(folder / "work"),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1200, check=False, cwd=REPO_ROOT
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "results written to" in result.stdout
    return dict(json.loads(out.read_text()))


@pytest.mark.slow
@pytest.mark.dbt
@pytest.mark.bench
def test_every_step_and_baseline_is_measured(report: dict[str, Any]) -> None:
    run = report["scales"]["small"]["runs"][0]
    for group, names in (("steps", STEPS), ("baselines", BASELINES)):
        for name in names:
            row = run[group][name]
            assert "skipped" not in row, (group, name)
            assert row["wall_s"] > 0 and row["peak_mb"] > 0, (group, name)
    assert run["steps"]["load"]["seed_execution_s"] > 0
    assert run["steps"]["build"]["model_execution_s"] > 0
    assert run["steps"]["build"]["test_execution_s"] > 0
    assert run["steps"]["daily_build"]["model_execution_s"] > 0
    assert run["baselines"]["handwritten"]["query_s"] > 0
    # the Faker baseline wrote as many activity rows as the generator
    assert run["baselines"]["faker"]["activity_rows"] == run["activity_rows"] > 0


@pytest.mark.slow
@pytest.mark.dbt
@pytest.mark.bench
def test_figures_goals_and_machine_are_recorded(report: dict[str, Any]) -> None:
    small = report["scales"]["small"]
    for figure in (
        "generate_vs_faker",
        "load_vs_read_csv",
        "models_vs_handwritten",
        "build_wall_vs_handwritten",
        "tests_vs_models",
        "daily_vs_full_models",
    ):
        assert small["summary"]["figures"][figure] > 0, figure
    assert small["goals"] == {}  # no goal is set at small scale
    for key in ("nproc", "memory_gb", "cpu_model", "python", "dbt_core", "dbt_duckdb", "duckdb"):
        assert report["machine"][key], key


@pytest.mark.slow
@pytest.mark.dbt
@pytest.mark.bench
def test_handwritten_baseline_computes_every_mart_as_dbt_does(report: dict[str, Any]) -> None:
    comparison = report["scales"]["small"]["runs"][0]["handwritten_matches_dbt"]
    assert sorted(comparison["marts"]) == MARTS
    differing = {name: mart for name, mart in comparison["marts"].items() if not mart["match"]}
    assert not differing
    for name, mart in comparison["marts"].items():
        assert mart["handwritten_rows"] == mart["dbt_rows"] > 0, name
    assert comparison["all_match"]


def _mart_files(tmp_path: Path, dbt_rows: str, handwritten_rows: str) -> tuple[Path, Path, Path]:
    """A one-mart manifest, and a dbt and a hand-written database holding it."""
    manifest = tmp_path / "manifest.json"
    nodes = {
        "model.p.m": {"resource_type": "model", "unique_id": "model.p.m", "name": "m",
                      "alias": "m", "schema": "main", "original_file_path": "models/marts/m.sql",
                      "config": {"materialized": "table"}, "columns": {"k": {}, "x": {}, "n": {}}},
        "test.p.pk": {"resource_type": "test", "attached_node": "model.p.m",
                      "test_metadata": {"name": "primary_key", "kwargs": {"columns": ["k"]}}},
    }  # fmt: skip
    manifest.write_text(json.dumps({"nodes": nodes}))
    databases = []
    for name, schema, rows in (("dbt", "main", dbt_rows), ("baseline", "hw", handwritten_rows)):
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as connection:
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(
                f"create table {schema}.m as select * from (values {rows}) as t (k, x, n)"
            )
        databases.append(path)
    return databases[1], databases[0], manifest


@pytest.mark.parametrize(
    ("handwritten_rows", "matches"),
    [
        ("(1, 0.1::double + 0.2::double, 5), (2, null::double, null)", True),  # rounding, nulls
        ("(1, 0.3 * (1 + 1e-8), 5), (2, null, null)", False),  # beyond 1e-9 relative
        ("(1, 0.3, 5), (2, null, 0)", False),  # null vs 0
        ("(1, 0.3, 5)", False),  # a row missing
        ("(1, 0.3, 5), (2, null, null), (3, 1.0, 1)", False),  # a row too many
        ("(1, 0.3, 5), (1, 0.3, 5), (2, null, null)", False),  # a key twice
    ],
)
def test_comparison_finds_every_difference(
    tmp_path: Path, handwritten_rows: str, matches: bool
) -> None:
    dbt_rows = "(1, 0.3::double, 5), (2, null::double, null)"
    files = _mart_files(tmp_path, dbt_rows, handwritten_rows)
    result = compare_marts(*files)
    assert result["marts"]["m"]["match"] is matches, result
    assert result["all_match"] is matches


def test_comparison_needs_every_contract_column(tmp_path: Path) -> None:
    handwritten, dbt, manifest = _mart_files(tmp_path, "(1, 0.3, 5)", "(1, 0.3, 5)")
    with duckdb.connect(str(handwritten)) as connection:
        connection.execute("alter table hw.m drop column n")
    result = compare_marts(handwritten, dbt, manifest)
    assert result["marts"]["m"] == {"match": False, "missing_columns": ["n"]}


def test_sql_reads_the_projects_vars() -> None:
    variables = {"days": 30, "types": ["a", "it's"], "on": False, "fits": {"V": ["a"]}}
    sql = "-- ${not_a_var} in a comment\nselect ${days}, ${types}, ${on}, ${fits}"
    assert render(sql, variables).splitlines() == [
        "-- ${not_a_var} in a comment",
        "select 30, ['a', 'it''s'], false, MAP {'V': ['a']}",
    ]
    with pytest.raises(UnknownVarError, match="nope"):
        render("select ${nope}", variables)
    # every placeholder of the baseline names a var of dbt_project.yml
    from bench.handwritten import project_vars

    code = [
        line
        for _, sql in statements(project_vars(REPO_ROOT))
        for line in sql.splitlines()
        if not line.lstrip().startswith("--")
    ]
    assert code and not any("${" in line for line in code)


def test_help_describes_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--help"],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT,
    )  # fmt: skip
    for option in ("--scales", "--plant-faults", "--repeat", "medium"):
        assert option in result.stdout
