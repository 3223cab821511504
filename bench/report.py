"""The figures of a run, the goals they are held to, the printed table and the JSON.

Every figure is a ratio to a baseline measured in the same run, or a time:

=============================  ==============================================
figure                         definition
=============================  ==============================================
generate_vs_faker              generation wall / one-row-at-a-time Faker wall
load_vs_read_csv               ``dbt seed``: the seeds' execution time
                               (run_results.json) / the ``read_csv``
                               statements' time (both without start-up)
load_wall_vs_read_csv_wall     the same, process wall times
build_wall_s                   ``dbt build`` wall
end_to_end_wall_s              generate + load + build wall
build_wall_vs_handwritten      ``dbt build`` wall / hand-written baseline wall
models_vs_handwritten          summed model execution / the hand-written
                               statements' summed time
tests_vs_models                summed data-test execution / summed model
                               execution, in the build
daily_vs_full_models           the daily run's model execution / the full
                               build's
dbt_peak_mb                    the largest peak memory of the dbt steps
=============================  ==============================================

Over ``--repeat`` runs a figure is the median (peak memory the maximum).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

DBT_STEPS = ("load", "build", "daily_load", "daily_build", "daily_rerun")


@dataclass(frozen=True)
class Goal:
    """A figure's limit at the scales it applies to (the figure must not exceed it)."""

    figure: str
    what: str
    limits: dict[str, float]
    stretch: dict[str, float] = field(default_factory=dict)


GOALS = (
    Goal("generate_vs_faker", "generation wall / Faker wall (>= 20x faster)", {"demo": 0.05}),
    Goal(
        "load_vs_read_csv",
        "seed execution / read_csv statements",
        {"demo": 3.0},
        stretch={"demo": 1.5},
    ),
    Goal("build_wall_s", "dbt build wall, s", {"demo": 10.0}),
    Goal("end_to_end_wall_s", "generate + load + build wall, s", {"demo": 20.0}),
    Goal(
        "build_wall_vs_handwritten",
        "dbt build wall / hand-written wall",
        {"medium": 3.0, "large": 2.0},
    ),
    Goal(
        "models_vs_handwritten",
        "model execution / hand-written statements",
        {"medium": 2.0, "large": 1.5},
    ),
    Goal("dbt_peak_mb", "peak memory of the dbt steps, MB", {"medium": 4096, "large": 4096}),
    # set at 12M and 100M+ rows only: at demo scale dbt's fixed cost per
    # test node, not the data, decides the ratio
    Goal("tests_vs_models", "data-test execution / model execution", {"medium": 0.3, "large": 0.3}),
    Goal(
        "daily_vs_full_models",
        "daily run's model execution / full build's",
        {"demo": 0.5, "medium": 0.2, "large": 0.1},
    ),
)


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(float(numerator) / float(denominator), 4)


def figures(run: dict[str, Any]) -> dict[str, float | None]:
    """The figures of one scale run (None where a step or baseline was skipped)."""
    steps, baselines = run["steps"], run["baselines"]
    build, daily = steps["build"], steps.get("daily_build", {})
    faker, read_csv, handwritten = (
        baselines[name] for name in ("faker", "read_csv", "handwritten")
    )
    peaks = [steps[name]["peak_mb"] for name in DBT_STEPS if "peak_mb" in steps.get(name, {})]
    return {
        "generate_vs_faker": _ratio(steps["generate"]["wall_s"], faker.get("wall_s")),
        "load_vs_read_csv": _ratio(steps["load"]["seed_execution_s"], read_csv.get("query_s")),
        "load_wall_vs_read_csv_wall": _ratio(steps["load"]["wall_s"], read_csv.get("wall_s")),
        "build_wall_s": round(build["wall_s"], 2),
        "end_to_end_wall_s": round(
            sum(steps[s]["wall_s"] for s in ("generate", "load", "build")), 2
        ),
        "build_wall_vs_handwritten": _ratio(build["wall_s"], handwritten["wall_s"]),
        "models_vs_handwritten": _ratio(build["model_execution_s"], handwritten["query_s"]),
        "tests_vs_models": _ratio(build["test_execution_s"], build["model_execution_s"]),
        "daily_vs_full_models": _ratio(daily.get("model_execution_s"), build["model_execution_s"]),
        "daily_wall_vs_full_wall": _ratio(daily.get("wall_s"), build["wall_s"]),
        "dbt_peak_mb": max(peaks),
    }


def _median(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 4) if present else None


def _summarise_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One step (or baseline) over the runs: median numbers, maximum peak memory."""
    if "skipped" in rows[0]:
        return {"skipped": rows[0]["skipped"]}
    summary: dict[str, Any] = {}
    for key, value in rows[0].items():
        if key == "peak_mb":
            summary[key] = max(row[key] for row in rows)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            summary[key] = _median([row.get(key) for row in rows])
    if len(rows) > 1:
        summary["wall_s_runs"] = [row["wall_s"] for row in rows]
    return summary


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Steps, baselines and figures over the runs of one scale."""
    summary: dict[str, Any] = {}
    for group in ("steps", "baselines"):
        summary[group] = {
            name: _summarise_rows([run[group][name] for run in runs]) for name in runs[0][group]
        }
    per_run = [figures(run) for run in runs]
    summary["figures"] = {key: _median([f[key] for f in per_run]) for key in per_run[0]}
    # peak memory: the largest of the runs, not the median
    summary["figures"]["dbt_peak_mb"] = max(float(f["dbt_peak_mb"] or 0) for f in per_run)
    return summary


def verdicts(scale: str, summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each goal that applies at ``scale``: its figure, limit and whether it is met."""
    checks: dict[str, dict[str, Any]] = {}
    for goal in GOALS:
        value = summary["figures"].get(goal.figure)
        if scale not in goal.limits or value is None:
            continue
        check = {"what": goal.what, "value": value, "limit": goal.limits[scale]}
        check["met"] = value <= goal.limits[scale]
        if scale in goal.stretch:
            check["stretch"] = goal.stretch[scale]
            check["stretch_met"] = value <= goal.stretch[scale]
        checks[goal.figure] = check
    return checks


# --------------------------------------------------------------------------
# The printed table
# --------------------------------------------------------------------------
# each step beside its baseline: (step, baseline group, baseline name, label)
BESIDE = (
    ("generate", "baselines", "faker", "Faker, row by row"),
    ("load", "baselines", "read_csv", "DuckDB read_csv"),
    ("build", "baselines", "handwritten", "hand-written SQL"),
    ("startup", "", "", ""),
    ("daily_load", "", "", ""),
    ("daily_build", "steps", "build", "the full build"),
    ("daily_rerun", "steps", "build", "the full build"),
)
# the goals of each step, printed under it
STEP_GOALS = {
    "generate": ("generate_vs_faker",),
    "load": ("load_vs_read_csv",),
    "build": (
        "build_wall_s",
        "build_wall_vs_handwritten",
        "models_vs_handwritten",
        "tests_vs_models",
    ),
    "daily_build": ("daily_vs_full_models",),
}
HEADER = (
    f"{'step':12} {'wall s':>8} {'cpu s':>7} {'peak MB':>8} {'exec s':>8}   "
    f"{'baseline, same run':18} {'wall s':>8} {'peak MB':>8} {'exec s':>8}"
)


def _exec_s(row: dict[str, Any]) -> float | None:
    """A row's own execution time: models (dbt build), seeds (dbt seed), statements."""
    for key in ("model_execution_s", "seed_execution_s", "query_s"):
        if row.get(key):
            return float(row[key])
    return None


def _cells(row: dict[str, Any], with_cpu: bool) -> str:
    if not row:
        return f"{'':>8} {'':>7} {'':>8} {'':>8}" if with_cpu else f"{'':>8} {'':>8} {'':>8}"
    if "skipped" in row:
        return f"{'skipped':>8} {'':>7} {'':>8} {'':>8}" if with_cpu else f"{'skipped':>8}"
    exec_s = _exec_s(row)
    exec_text = "" if exec_s is None else f"{exec_s:.2f}"
    cpu = f" {row.get('cpu_s', 0):7.1f}" if with_cpu else ""
    return f"{row['wall_s']:8.2f}{cpu} {row['peak_mb']:8.0f} {exec_text:>8}"


def _goal_line(figure: str, check: dict[str, Any]) -> str:
    verdict = "meets " if check["met"] else "MISSES"
    what = check["what"]
    if "stretch" in check:
        what += f"; stretch <= {check['stretch']}: " + ("met" if check["stretch_met"] else "not")
    return f"    goal {verdict} {figure:26} {check['value']:>9} <= {check['limit']:<6} ({what})"


def _step_lines(summary: dict[str, Any], checks: dict[str, dict[str, Any]]) -> list[str]:
    """Each step beside its baseline, its goals under it; the goals of no step last."""
    lines = []
    for step, group, name, label in BESIDE:
        row = summary["steps"].get(step)
        if row is None:
            continue
        beside = summary[group].get(name, {}) if group else {}
        lines.append(f"{step:12} {_cells(row, True)}   {label:18} {_cells(beside, False)}")
        lines += [_goal_line(f, checks[f]) for f in STEP_GOALS.get(step, ()) if f in checks]
    attached = {figure for figures in STEP_GOALS.values() for figure in figures}
    overall = [_goal_line(f, check) for f, check in checks.items() if f not in attached]
    return lines + (["overall", *overall] if overall else [])


def _comparison_lines(comparison: dict[str, Any]) -> list[str]:
    marts = comparison["marts"]
    matching = sum(1 for entry in marts.values() if entry["match"])
    lines = [f"hand-written marts equal to dbt's, row for row: {matching} of {len(marts)}"]
    for name, entry in marts.items():
        if entry["match"]:
            lines.append(f"    equal   {name} ({entry['dbt_rows']:,} rows)")
        else:
            detail = {k: v for k, v in entry.items() if k not in ("match", "key")}
            lines.append(f"    DIFFERS {name}: {detail}")
    return lines


def print_table(report: dict[str, Any]) -> None:
    """Each scale: its steps beside their baselines, the goals, the mart comparison."""
    for scale, result in report["scales"].items():
        runs = result["runs"]
        loads = [run["load_average_before"][0] for run in runs]
        busy = max(loads) > (report["machine"]["nproc"] or 1)
        print(
            f"\n{scale}: {result['note']}; {runs[-1]['activity_rows']:,} activity rows; "
            f"{runs[-1]['dbt_threads']} dbt thread(s); "
            f"{len(runs)} run(s); load average (1 min) at the start: {loads}"
            + (" (a busy machine: wall times are inflated)" if busy else "")
        )
        print(HEADER + "\n" + "-" * len(HEADER))
        print("\n".join(_step_lines(result["summary"], result["goals"])))
        figures_text = ", ".join(
            f"{key} {value}"
            for key, value in result["summary"]["figures"].items()
            if value is not None
        )
        print(f"figures: {figures_text}")
        print("\n".join(_comparison_lines(runs[-1]["handwritten_matches_dbt"])))
    if "test_command" in report:
        test = report["test_command"]
        verdict = "meets " if test["met"] else "MISSES"
        print(
            f"\ntest command: {test['wall_s']:.0f} s wall, exit {test['returncode']}: "
            f"{verdict} the goal of {test['goal_s']:.0f} s"
        )
