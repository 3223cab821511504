"""The lint checks of scripts/lint.sh can fail, and say why.

A copy of the project gets deliberately bad additions (a mart without
description or primary-key test reading source() directly, a staging model on
staging materialized as a table, a model with 8 parents, a parent with too many
leaf children, a public model without contract, a public intermediate model,
an undocumented source without freshness, an exposure on a view, an
undocumented macro); `dbt parse` + dbt-score must exit 1 and name each problem,
honour an exception that has a reason and ignore one that has none. sqlfluff
must flag badly styled SQL, and the BigQuery pass must reject DuckDB-only SQL.
The working tree is never touched.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from conventions.parse import add_placeholder_seeds, missing_seeds
from orchestration.dbt_runner import DbtProject

pytestmark = pytest.mark.slow

BIN_DIR = Path(sys.executable).parent
PROJECT = "saas_usage"

BAD_FILES = {
    # a mart: no mart prefix, no YAML (description, PK test), source() outside staging
    "models/marts/core/orders_summary.sql": """
        select user_email, count(*) as n_rows
        from {{ source('saas', 'saas_users') }}
        group by user_email
    """,
    # staging on staging, materialized as a table
    "models/staging/saas/stg_saas__users_enriched.sql": """
        {{ config(materialized='table') }}
        select * from {{ ref('stg_saas__users') }}
    """,
    # 8 direct parents (limit 7)
    "models/marts/core/fct_wide.sql": "\n".join(
        f"-- depends_on: {{{{ ref('{name}') }}}}"
        for name in (
            "stg_saas__customers",
            "stg_saas__sites",
            "stg_saas__users",
            "stg_saas__storage",
            "stg_saas__user_activity",
            "stg_saas__background_jobs",
            "int_data_months",
            "int_data_date_range",
        )
    )
    + "\nselect 1 as wide_id\n",
    # documented, tested, public, but no contract and an undocumented column
    "models/marts/core/fct_public_no_contract.sql": "select 1 as contract_id",
    # an intermediate model made public
    "models/intermediate/accounts/int_public_months.sql": """
        select * from {{ ref('int_data_months') }}
    """,
    "models/marts/core/_bad__models.yml": """
        version: 2
        models:
          - name: fct_public_no_contract
            description: A public mart without a contract.
            config: {access: public}
            columns:
              - name: contract_id
                data_tests: [unique, not_null]
          - name: int_public_months
            description: Months, exposed by mistake.
            config: {access: public}
            columns:
              - name: month_start
                description: First day of the month.
                data_tests: [unique, not_null]
        exposures:
          - name: dashboard_on_a_view
            type: dashboard
            owner: {name: Someone, email: someone@example.com}
            depends_on: [ref('stg_saas__users')]
    """,
    # a source table without description or freshness
    "models/staging/crm/_crm__sources.yml": """
        version: 2
        sources:
          - name: crm
            description: A second raw system.
            tables:
              - name: accounts
    """,
    "macros/undocumented_macro.sql": """
        {% macro undocumented_macro() %}1{% endmacro %}
    """,
    # sqlfluff: upper case, leading comma, implicit aliases, bare join, group by 1
    "analyses/bad_style.sql": """
        SELECT Users.Customer_Id
            , COUNT(*) N_Rows
        FROM {{ ref('stg_saas__users') }} Users
        JOIN {{ ref('stg_saas__sites') }} AS sites ON Users.site_id = sites.site_id
        GROUP BY 1
    """,
    # sqlfluff: clean DuckDB SQL, not BigQuery SQL (the exclude_columns macro
    # renders `except` there)
    "analyses/duckdb_only.sql": """
        select * exclude (user_email)
        from {{ ref('stg_saas__users') }}
    """,
}
# int_data_months gets four leaf children (it feeds none)
for _n in range(1, 5):
    BAD_FILES[f"models/marts/core/dim_leaf_{_n}.sql"] = "select * from {{ ref('int_data_months') }}"

# In the copy's dbt-score config: a reason excepts, an empty reason does not.
PK_RULE = "conventions.rules.model_has_primary_key_test"
PK_EXCEPTIONS = {"dim_leaf_1": "excepted in this test, with a reason", "dim_leaf_2": ""}


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("conventions") / "project")
    for relative, text in BAD_FILES.items():
        path = project.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    add_placeholder_seeds(project.root, missing_seeds(project.root))

    pyproject = tomlkit.parse((project.root / "pyproject.toml").read_text())
    rules: Any = pyproject["tool"]["dbt-score"].setdefault("rules", {})
    rule_config = rules.setdefault(PK_RULE, {})
    rule_config["exceptions"] = {**rule_config.get("exceptions", {}), **PK_EXCEPTIONS}
    (project.root / "pyproject.toml").write_text(tomlkit.dumps(pyproject))

    project.dbt("--quiet", "parse")
    return project


@pytest.fixture(scope="module")
def dbt_score(bad_project: DbtProject) -> tuple[int, dict[str, dict[str, Any]]]:
    """Exit code of `dbt-score lint` on the bad project, and its results by node."""
    result = subprocess.run(
        [str(BIN_DIR / "dbt-score"), "lint", "--format", "json"],
        cwd=bad_project.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    evaluables = json.loads(result.stdout)["evaluables"]
    return result.returncode, {node: found["results"] for node, found in evaluables.items()}


def _failing(results: dict[str, dict[str, Any]], node: str) -> dict[str, str]:
    """Rule -> message of the violations of `node`."""
    assert node in results, f"{node} was not evaluated"
    return {
        rule: found.get("message") or ""
        for rule, found in results[node].items()
        if found["result"] != "OK"
    }


def test_conventions_check_fails_with_exit_code_1(dbt_score: tuple[int, dict]) -> None:
    returncode, _ = dbt_score
    assert returncode == 1


@pytest.mark.parametrize(
    ("node", "rule"),
    [
        ("model.saas_usage.orders_summary", "conventions.rules.model_name_matches_layer"),
        ("model.saas_usage.orders_summary", "dbt_score.rules.generic.has_description"),
        ("model.saas_usage.orders_summary", PK_RULE),
        ("model.saas_usage.orders_summary", "conventions.rules.source_read_only_by_staging"),
        ("model.saas_usage.stg_saas__users_enriched", "conventions.rules.staging_model_is_view"),
        (
            "model.saas_usage.stg_saas__users_enriched",
            "conventions.rules.staging_model_reads_one_source",
        ),
        ("model.saas_usage.fct_wide", "conventions.rules.model_has_few_direct_parents"),
        ("model.saas_usage.int_data_months", "conventions.rules.model_has_few_leaf_children"),
        (
            "model.saas_usage.fct_public_no_contract",
            "conventions.rules.public_model_has_enforced_contract",
        ),
        (
            "model.saas_usage.fct_public_no_contract",
            "dbt_score.rules.generic.columns_have_description",
        ),
        ("model.saas_usage.int_public_months", "conventions.rules.intermediate_model_not_exposed"),
        ("source.saas_usage.crm.accounts", "conventions.rules.source_has_freshness"),
        ("source.saas_usage.crm.accounts", "conventions.rules.source_has_description"),
        ("exposure.saas_usage.dashboard_on_a_view", "conventions.rules.exposure_reads_tables"),
        ("macro.saas_usage.undocumented_macro", "dbt_score.rules.macros.macro_has_description"),
    ],
)
def test_violation_is_reported(dbt_score: tuple[int, dict], node: str, rule: str) -> None:
    _, results = dbt_score
    assert rule in _failing(results, node)


def test_messages_name_the_problem(dbt_score: tuple[int, dict]) -> None:
    _, results = dbt_score
    fanout = _failing(results, "model.saas_usage.int_data_months")
    assert "dim_leaf_4" in fanout["conventions.rules.model_has_few_leaf_children"]
    staging = _failing(results, "model.saas_usage.stg_saas__users_enriched")
    assert "stg_saas__users" in staging["conventions.rules.staging_model_reads_one_source"]
    wide = _failing(results, "model.saas_usage.fct_wide")
    assert "8 direct parents (> 7)" in wide["conventions.rules.model_has_few_direct_parents"]


def test_exception_needs_a_reason(dbt_score: tuple[int, dict]) -> None:
    _, results = dbt_score
    assert PK_RULE not in _failing(results, "model.saas_usage.dim_leaf_1")  # reason given
    assert PK_RULE in _failing(results, "model.saas_usage.dim_leaf_2")  # empty reason
    assert PK_RULE in _failing(results, "model.saas_usage.dim_leaf_3")  # not listed


def test_no_rule_crashes(dbt_score: tuple[int, dict]) -> None:
    _, results = dbt_score
    crashes = [
        (node, rule, found.get("message"))
        for node, by_rule in results.items()
        for rule, found in by_rule.items()
        if found["result"] == "ERR" or "rule crashed" in (found.get("message") or "")
    ]
    assert crashes == []


SQLFLUFF_DIALECTS = {"duckdb": (), "bigquery": ("--config", ".sqlfluff-bigquery")}


@pytest.fixture(scope="module", params=sorted(SQLFLUFF_DIALECTS))
def sqlfluff(request: pytest.FixtureRequest, bad_project: DbtProject) -> tuple[str, dict]:
    """The dialect, and the rule codes sqlfluff reports for each bad SQL file."""
    files = ["analyses/bad_style.sql", "analyses/duckdb_only.sql"]
    options = SQLFLUFF_DIALECTS[request.param]
    result = subprocess.run(
        [str(BIN_DIR / "sqlfluff"), "lint", *files, "--format", "json", *options],
        cwd=bad_project.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    codes = {
        found["filepath"]: {violation["code"] for violation in found["violations"]}
        for found in json.loads(result.stdout)
    }
    return request.param, codes


def test_sqlfluff_flags_bad_style(sqlfluff: tuple[str, dict[str, set[str]]]) -> None:
    _, codes = sqlfluff
    # upper-case keywords and identifiers, leading comma, implicit column and
    # table aliases, bare join, positional group by
    expected = {"CP01", "CP02", "LT04", "AL02", "AL01", "AM05", "AM06"}
    assert expected <= codes["analyses/bad_style.sql"]


def test_sqlfluff_bigquery_rejects_duckdb_only_sql(
    sqlfluff: tuple[str, dict[str, set[str]]],
) -> None:
    dialect, codes = sqlfluff
    # `select * exclude (...)` is DuckDB SQL; BigQuery spells it `except`
    assert codes["analyses/duckdb_only.sql"] == ({"PRS"} if dialect == "bigquery" else set())
