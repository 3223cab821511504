{#- Where each node lands, and which datasets a target may write.

    The target's own schema (DuckDB) or dataset (BigQuery) is the base. A node
    without a custom schema lands in the base. A node with a custom schema
    (the seeds' `raw`, or a layer's) lands in
      * `<base>_<custom>` when the base is a sandbox: a developer's dataset
        (`dbt_<user>`) or a CI run's (`ci_<run>`);
      * `<custom>` exactly as named otherwise: production, and every DuckDB
        target, whose file is its own (dev saas.duckdb, ci ci.duckdb, prod
        prod.duckdb).
    So on BigQuery a developer writes only to `dbt_alice` and `dbt_alice_*`,
    a CI run only to `ci_1234` and `ci_1234_*`, production only to clean
    names, which never start with `dbt_` or `ci_`.

    The raw source's `schema:` (models/staging/saas/_saas__sources.yml) applies
    the same rule to the `raw_schema` var, so staging reads the raw tables its
    own target seeded (YAML cannot call a macro; tests/test_environments.py
    checks that both agree on every target).

    On BigQuery, a target whose base does not match its environment is
    refused before anything runs, so no target writes into another's datasets
    by accident: see saas_check_target_dataset and docs/environments.md. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema | trim -%}
    {%- if target.type != 'duckdb' -%}
        {%- do saas_check_target_dataset(base) -%}
    {%- endif -%}
    {%- if custom_schema_name is none -%}
        {{ base }}
    {%- elif base.startswith(('dbt_', 'ci_')) -%}
        {{ base }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}


{#- Refuses a shared-warehouse target whose dataset belongs to another
    environment. The environment comes from the target's name in
    profiles.yml: `prod`, `bq_prod` -> prod; `ci`, `bq_ci`, `bq_emulator` (the
    test suite's) -> ci; any other name -> dev. A dev dataset must start with
    `dbt_`, a ci one with `ci_`, a prod one with neither. -#}
{% macro saas_check_target_dataset(base) -%}
    {%- if target.name in ['prod', 'bq_prod'] -%}
        {%- set environment, prefix = 'prod', none -%}
    {%- elif target.name in ['ci', 'bq_ci', 'bq_emulator'] -%}
        {%- set environment, prefix = 'ci', 'ci_' -%}
    {%- else -%}
        {%- set environment, prefix = 'dev', 'dbt_' -%}
    {%- endif -%}
    {%- set where = "target '" ~ target.name ~ "' (" ~ environment ~ ") would write to dataset '"
        ~ base ~ "': " -%}
    {%- if prefix and not base.startswith(prefix) -%}
        {%- do exceptions.raise_compiler_error(where ~ "a " ~ environment
            ~ " dataset must start with '" ~ prefix ~ "' (see docs/environments.md)") -%}
    {%- elif not prefix and base.startswith(('dbt_', 'ci_')) -%}
        {%- do exceptions.raise_compiler_error(where ~ "'dbt_' and 'ci_' datasets belong to"
            ~ " developers and CI runs (see docs/environments.md)") -%}
    {%- endif -%}
{%- endmacro %}
