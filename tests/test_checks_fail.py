"""The build's checks fail on a broken row: each kind of check is shown
failing on data broken on purpose, in a copy of the small build.

Checks moved from one-column data tests into contracts (not-null
constraints) and merged tests (primary_key with its row rules, and with
latest_load_only) must still guard what they guarded: a null in a contracted
column stops the model's build, a repeated key or a broken row rule fails its
test with the rule's name, a row lost between staging and quarantine fails
the reconciliation, a dangling key fails its relationship test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.dbt_runner import DbtProject

pytestmark = [pytest.mark.dbt, pytest.mark.slow]


@pytest.fixture
def broken(small_built: DbtProject, tmp_path: Path) -> Iterator[DbtProject]:
    """A copy of the small build (project and database) to break."""
    yield small_built.copy_built(tmp_path / "project")


def _execute(project: DbtProject, sql: str) -> None:
    with duckdb.connect(str(project.database_path)) as connection:
        connection.execute(sql)


def test_null_in_a_contracted_column_stops_the_build(broken: DbtProject) -> None:
    _execute(broken, f"update {broken.relation('int_sites_lifecycle')} set account_tier = null")
    result = broken.dbt("run", "--select", "fct_site_months", check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "NOT NULL constraint failed" in result.stdout, result.stdout[-3000:]
    assert "account_tier" in result.stdout


def test_repeated_key_of_the_latest_load_fails_the_primary_key(broken: DbtProject) -> None:
    table = "int_user_activity_checked"
    clean = broken.dbt("test", "--select", table, "--exclude", "test_type:unit")
    assert clean.returncode == 0
    relation = broken.relation(table)
    _execute(
        broken,
        f"insert into {relation} select * from {relation} where dq_reason_code is null limit 1",
    )
    result = broken.dbt("test", "--select", table, "--exclude", "test_type:unit", check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"FAIL 1 primary_key_{table}" in result.stdout, result.stdout[-3000:]


def _failures_of_key_test(project: DbtProject, model: str, fails: str) -> pd.DataFrame:
    """Run the model's key test with its failures stored; it must fail with
    `fails` rows (a regular expression): the stored failures."""
    result = project.dbt(
        "test", "--select", f"{model},test_name:primary_key", "--store-failures", check=False
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:]
    assert re.search(rf"FAIL {fails} primary_key_{model}", result.stdout), result.stdout[-3000:]
    audit = project.query(
        "select table_schema, table_name from information_schema.tables"
        f" where table_name like 'primary_key_{model}%'"
    ).iloc[0]
    return project.query(f"select * from {audit.table_schema}.{audit.table_name}")


def test_broken_row_rule_fails_naming_the_rule(broken: DbtProject) -> None:
    _execute(
        broken,
        "update fct_site_months set events_total = events_total + 1"
        " where site_id = (select min(site_id) from fct_site_months)",
    )
    failures = _failures_of_key_test(broken, "fct_site_months", fails=r"\d+")
    site_months = broken.query(
        "select site_id, month_start from fct_site_months"
        " where site_id = (select min(site_id) from fct_site_months)"
    )
    assert set(failures["failure"]) == {"events_add_up"}
    key = ["site_id", "month_start"]
    assert sorted(map(tuple, failures[key].values)) == sorted(map(tuple, site_months[key].values))


def test_repeated_key_fails_beside_the_row_rules(broken: DbtProject) -> None:
    """The grain is checked in the same test as the rules, and named apart."""
    _execute(broken, "insert into fct_site_months select * from fct_site_months limit 1")
    failures = _failures_of_key_test(broken, "fct_site_months", fails="1")
    assert failures[["failure", "n_rows"]].values.tolist() == [["repeated key", 2]]


def test_lost_row_fails_the_reconciliation(broken: DbtProject) -> None:
    checked = broken.relation("int_storage_checked")
    _execute(broken, f"delete from {checked} where rowid = (select min(rowid) from {checked})")
    result = broken.dbt("test", "--select", "assert_quarantine_reconciles", check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAIL 1 assert_quarantine_reconciles" in result.stdout


def test_dangling_key_fails_its_relationship(broken: DbtProject) -> None:
    _execute(
        broken,
        "delete from dim_sites where site_id = (select min(site_id) from fct_site_months)",
    )
    result = broken.dbt("test", "--select", "fct_site_months,test_name:relationships", check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "dim_sites" in result.stdout
