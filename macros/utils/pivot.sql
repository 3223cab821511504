{#- Column-name suffix for a category value: lower case, spaces to `_`
    ("flow run" -> "flow_run"). -#}
{% macro category_suffix(value) -%}
    {{ value | lower | replace(' ', '_') | replace('&', 'and') }}
{%- endmacro %}

{#- One `sum(case ...)` column per value of a category:
    `<prefix>_<value><suffix>`. `measure` is summed where `column` equals the
    value, 0 elsewhere. -#}
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

{#- numerator / denominator as a float, null when the denominator is 0 or
    null (the same on every warehouse). -#}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Growth of `column` over its previous month within `partition_by` (rows
    must form a complete monthly series): (current - previous) / previous,
    null when the previous month is 0. -#}
{% macro month_over_month_growth(column, partition_by) -%}
    {{ safe_divide(
        column ~ ' - lag(' ~ column ~ ') over (partition by ' ~ partition_by ~ ' order by month_start)',
        'lag(' ~ column ~ ') over (partition by ' ~ partition_by ~ ' order by month_start)'
    ) }}
{%- endmacro %}
