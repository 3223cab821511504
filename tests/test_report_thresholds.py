"""The usage report's thresholds are the project's dbt vars.

A copy of the `small` build gets other values in its dbt_project.yml for the
heavy background-processing threshold and the high-activity onboarding signal,
and real `dbt run` rebuilds the two marts that use them. The report must then
quote the new values and show what the marts flag with them (recomputed here
from the marts' measure columns, not their flags), and it must refuse, with a
one-line error, to describe those marts with other vars than they were built
with, instead of quietly disagreeing with them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.dbt_runner import DbtProject

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

HEAVY = "heavy_background_min_minutes_per_site"
MIN_EVENTS = "signal_high_activity_min_events"
MAX_BYTES = "signal_no_storage_max_bytes"


@dataclass
class Rebuilt:
    project: DbtProject
    built_with: dict[str, Any]  # the vars in the copy's dbt_project.yml
    copied_with: dict[str, Any]  # the vars of the build it was copied from


def set_var(project_file: Path, name: str, value: int) -> None:
    text = project_file.read_text(encoding="utf-8")
    changed, count = re.subn(rf"(?m)^(\s+{name}:\s*)\S+", rf"\g<1>{value}", text)
    assert count == 1, f"{name} is not set once in {project_file}"
    project_file.write_text(changed, encoding="utf-8")


def project_vars(project: DbtProject) -> dict[str, Any]:
    config = yaml.safe_load((project.root / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(config["vars"])


@pytest.fixture(scope="module")
def rebuilt(small_built: DbtProject, tmp_path_factory: pytest.TempPathFactory) -> Rebuilt:
    project = small_built.copy_built(tmp_path_factory.mktemp("report_thresholds") / "project")
    copied_with = project_vars(project)
    # A threshold that flags the busiest customer-month the project's does not.
    lighter = project.query(
        "select floor(max(job_minutes_per_site)) as m from main.customer_background_job_months"
        " where not is_heavy_background_user"
    )["m"].iloc[0]
    set_var(project.root / "dbt_project.yml", HEAVY, int(lighter))
    set_var(project.root / "dbt_project.yml", MIN_EVENTS, int(copied_with[MIN_EVENTS]) // 5)
    project.dbt("run", "--select", "customer_background_job_months", "onboarding_site_signals")
    return Rebuilt(project, project_vars(project), copied_with)


def run_report(project: DbtProject, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "report", "--project-dir", str(project.root)]
    return subprocess.run(
        [*command, "--out", str(out), *args],
        env={**os.environ, **project.env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def heavy_customers(project: DbtProject, threshold: float) -> int:
    """External customers with a month at or above the threshold, from the measure."""
    return int(
        project.query(
            f"""
            select count(distinct customer_id) as n
            from main.customer_background_job_months
            where not is_internal and job_minutes_per_site >= {threshold}
            """
        )["n"].iloc[0]
    )


def test_the_report_quotes_and_uses_the_projects_thresholds(
    rebuilt: Rebuilt, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run_report(rebuilt.project, out)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    threshold, min_events = rebuilt.built_with[HEAVY], rebuilt.built_with[MIN_EVENTS]
    assert threshold != rebuilt.copied_with[HEAVY]
    assert f"{threshold:,} minutes in this project" in page
    assert f"at least {min_events:,} events in the window" in page

    heavy = heavy_customers(rebuilt.project, threshold)
    assert heavy > heavy_customers(rebuilt.project, rebuilt.copied_with[HEAVY])
    assert f'data-kpi="heavy_background_customers">{heavy}<' in page

    high_activity = rebuilt.project.query(
        f"""
        select count(*) as n
        from main.onboarding_site_signals as signals
        inner join main.dim_customers as customers using (customer_id)
        where not customers.is_internal
            and signals.events_in_window >= {min_events}
            and coalesce(signals.storage_bytes_peak_in_window, 0) <= {rebuilt.built_with[MAX_BYTES]}
        """
    )["n"].iloc[0]
    onboarding_table = page[page.index('id="table-onboarding"') :].split("</table>")[0]
    assert onboarding_table.count("<td>High activity, no storage") == high_activity > 0


def test_other_vars_than_the_builds_stop_the_report(rebuilt: Rebuilt, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    previous = f"{{{HEAVY}: {rebuilt.copied_with[HEAVY]}}}"
    result = run_report(rebuilt.project, out, "--vars", previous)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"customer_background_job_months was built with another {HEAVY}" in result.stderr
    assert not out.exists()
