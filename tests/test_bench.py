"""The benchmark drivers (bench/run.py, bench/generate.py) run end
to end at small scale.

One run of ``bench.py --scales small`` in a temporary folder: every step and
every baseline ran as its own process and reported a positive wall time and
peak memory, the ratios and the machine are recorded, and the hand-written
DuckDB SQL baseline computes the same fct_site_months and segment marts as
dbt (else its timing would not be a fair limit). No timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.dbt]

REPO_ROOT = Path(__file__).resolve().parents[1]
STEPS = ("generate", "load", "build", "startup", "daily_load", "daily_build")
BASELINES = ("faker", "read_csv", "handwritten")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("bench")
    out = folder / "bench.json"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--scales", "small",
        "--out", str(out),
        "--workdir", str(folder / "work"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "results written to" in result.stdout
    return json.loads(out.read_text())


def test_every_step_and_baseline_is_measured(report: dict) -> None:
    run = report["scales"]["small"]["runs"][0]
    for group, names in (("steps", STEPS), ("baselines", BASELINES)):
        for name in names:
            row = run[group][name]
            assert "skipped" not in row, (group, name)
            assert row["wall_s"] > 0, (group, name)
            assert row["peak_mb"] > 0, (group, name)
    assert run["baselines"]["read_csv"]["query_s"] > 0
    assert run["baselines"]["handwritten"]["query_s"] > 0
    assert run["steps"]["load"]["seed_execution_s"] > 0
    assert run["steps"]["build"]["model_execution_s"] > 0
    assert run["steps"]["daily_build"]["model_execution_s"] > 0
    assert run["activity_rows"] > 0


def test_ratios_summary_and_machine_are_recorded(report: dict) -> None:
    small = report["scales"]["small"]
    for key in (
        "generate_vs_faker",
        "load_vs_read_csv",
        "build_vs_handwritten",
        "daily_vs_full_build",
        "end_to_end_s",
    ):
        assert small["summary"]["ratios"][key] > 0, key
    assert set(STEPS) <= set(small["summary"]["steps"])
    machine = report["machine"]
    for key in ("nproc", "memory_gb", "cpu_model", "python", "dbt_core", "dbt_duckdb", "duckdb"):
        assert machine[key], key


def test_handwritten_baseline_computes_the_same_marts(report: dict) -> None:
    comparison = report["scales"]["small"]["runs"][0]["handwritten_matches_dbt"]
    assert comparison["all_match"], comparison["marts"]
    for mart in comparison["marts"].values():
        assert mart["handwritten_rows"] == mart["dbt_rows"] > 0


def test_generator_benchmark_runs_against_its_faker_baseline(tmp_path: Path) -> None:
    """bench_generate.py at small scale: both the generator and the row-by-row
    Faker baseline write the same number of activity rows, and each result
    carries its throughput. No timing is asserted."""
    out = tmp_path / "generate.json"
    command = [
        sys.executable,
        "-m",
        "bench.generate",
        "--scale", "small",
        "--out", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    generator, baseline = report["generator"], report["baseline"]
    assert generator["activity_rows"] == baseline["activity_rows"] > 0
    for step in (generator, baseline):
        assert step["rows_per_s"] > 0
        assert "stdout" not in step and "stderr" not in step
