{#- Where each node lands (docs/environments.md): when the target's schema (the base) is
    a sandbox (`dbt_<user>`, `ci_<run>`), a layer's custom schema lands in `<base>_<custom>`,
    else as named (production; DuckDB targets own their file); the raw source's `schema:`
    too. BigQuery targets whose base does not match their environment are refused. -#}
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


{#- Refuses a shared-warehouse target writing another environment's datasets:
    by target name, `prod`/`bq_prod` are prod (no `dbt_`/`ci_` dataset),
    `ci`/`bq_ci`/`bq_emulator` ci (`ci_*`), any other dev (`dbt_*`). -#}
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
