{% macro category_suffix(value) -%}
    {{ value | lower | replace(' ', '_') | replace('&', 'and') }}
{%- endmacro %}

{% macro pivot_sum(column, values, measure, prefix, suffix='') -%}
    {%- for value in values %}
    {%- set matches = column ~ " = '" ~ dbt.escape_single_quotes(value) ~ "'" %}
    {{ sum_int('case when ' ~ matches ~ ' then ' ~ measure ~ ' else 0 end') }}
        as {{ prefix }}_{{ category_suffix(value) }}{{ suffix }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- sum() of an integer expression as BIGINT/INT64 (DuckDB widens integer
    sums to HUGEINT otherwise), 0 when there are no rows. -#}
{% macro sum_int(expression) -%}
    cast(coalesce(sum({{ expression }}), 0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- `coalesce(<relation>.<column>, 0) as <column>` per column: a count a left join misses is 0. -#}
{% macro zero_if_missing(relation, columns) -%}
    {%- for column in columns %}
    coalesce({{ relation }}.{{ column }}, 0) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro month_over_month_growth(column, partition_by) -%}
    {{ safe_divide(
        column ~ ' - lag(' ~ column ~ ') over (partition by ' ~ partition_by ~ ' order by month_start)',
        'lag(' ~ column ~ ') over (partition by ' ~ partition_by ~ ' order by month_start)'
    ) }}
{%- endmacro %}
