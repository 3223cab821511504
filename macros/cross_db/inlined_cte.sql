{#- `name as {{ inlined_cte() }} (`: DuckDB recomputes the CTE where read; BigQuery: no hint. -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte', 'saas_usage')()) }}
{%- endmacro %}
{% macro duckdb__inlined_cte() %}not materialized{% endmacro %}
{% macro default__inlined_cte() %}{% endmacro %}
