{#- dbt-duckdb does not override safe_cast, so dbt's default renders a plain
    cast that aborts the query on the first bad value. DuckDB's try_cast
    returns null instead, as BigQuery's safe_cast does. Picked up through the
    `dispatch:` entry in dbt_project.yml. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
