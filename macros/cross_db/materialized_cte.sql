{#- `name as {{ materialized_cte() }} (`: DuckDB keeps a CTE read twice; BigQuery has no hint. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'saas_usage')()) }}
{%- endmacro %}
{% macro duckdb__materialized_cte() %}materialized{% endmacro %}
{% macro default__materialized_cte() %}{% endmacro %}
