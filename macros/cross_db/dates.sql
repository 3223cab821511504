{#- Date helpers that always return a DATE on every warehouse (dbt's own
    date_trunc / dateadd return a TIMESTAMP or DATETIME on BigQuery). -#}

{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{% macro month_end(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}

{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}

{#- Whole days from `start_date` to `end_date` (positive when end is later). -#}
{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- An ISO `YYYY-MM-DD` text parsed to a DATE, or null when it is not one.
    The shape check keeps both warehouses in agreement on what parses. -#}
{% macro parse_iso_date(text_expression) -%}
    case
        when {{ saas_usage.regexp_full_match(text_expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then {{ dbt.safe_cast(text_expression, api.Column.translate_type('date')) }}
    end
{%- endmacro %}

{#- A text holding a whole non-negative or negative number, as BIGINT/INT64;
    null when it is not an integer. -#}
{% macro parse_integer(text_expression) -%}
    case
        when {{ saas_usage.regexp_full_match(text_expression, '-?[0-9]{1,18}') }}
            then {{ dbt.safe_cast(text_expression, dbt.type_bigint()) }}
    end
{%- endmacro %}

{#- The earliest / latest of several DATE expressions, ignoring nulls (null
    when all are null): DuckDB's least() skips nulls, BigQuery's returns
    null, so nulls are swapped for a date no data has, then back. -#}
{% macro earliest_date(expressions) -%}
    nullif(least(
        {%- for expression in expressions -%}
        coalesce({{ expression }}, cast('9999-12-31' as date)){{ ', ' if not loop.last }}
        {%- endfor -%}
    ), cast('9999-12-31' as date))
{%- endmacro %}

{% macro latest_date(expressions) -%}
    nullif(greatest(
        {%- for expression in expressions -%}
        coalesce({{ expression }}, cast('0001-01-01' as date)){{ ', ' if not loop.last }}
        {%- endfor -%}
    ), cast('0001-01-01' as date))
{%- endmacro %}

{#- A select of one DATE column, `date_<grain>`, with one row per day or
    month from `start_date` to `end_date` (ISO texts, both included): the
    warehouses' own series functions (dbt's date_spine builds the same rows
    from cross joins, several times slower). -#}
{% macro date_series(start_date, end_date, grain) -%}
    {{ return(adapter.dispatch('date_series', 'saas_usage')(start_date, end_date, grain)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date, grain) -%}
    select cast(date_{{ grain }} as date) as date_{{ grain }}
    from ({{ dbt.date_spine(grain, "cast('" ~ start_date ~ "' as date)",
                            add_days("cast('" ~ end_date ~ "' as date)", 1)) }}) as spine
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date, grain) -%}
    select cast(unnest(generate_series(
        cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval 1 {{ grain }}
    )) as date) as date_{{ grain }}
{%- endmacro %}

{% macro bigquery__date_series(start_date, end_date, grain) -%}
    select date_{{ grain }}
    from unnest(generate_date_array(
        date '{{ start_date }}', date '{{ end_date }}', interval 1 {{ grain }}
    )) as date_{{ grain }}
{%- endmacro %}
