{#- dbt's type_float() renders `float`, which DuckDB reads as FLOAT4 (REAL,
    32-bit): ratios would carry ~7 significant digits on DuckDB and 15+ on
    BigQuery (FLOAT64). DOUBLE matches BigQuery's FLOAT64. Picked up through
    the `dispatch:` entry in dbt_project.yml (saas_usage before dbt). -#}
{% macro duckdb__type_float() -%}
    double
{%- endmacro %}
