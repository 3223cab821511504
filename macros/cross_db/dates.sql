{#- Date helpers that return a DATE on every warehouse (dbt's date_trunc and
    dateadd return a TIMESTAMP or DATETIME on BigQuery). Described in
    _macros.yml. -#}

{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{% macro month_end(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}

{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{#- The shape check keeps both warehouses in agreement on what parses. -#}
{% macro parse_iso_date(text_expression) -%}
    case
        when {{ saas_usage.regexp_full_match(text_expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then {{ dbt.safe_cast(text_expression, api.Column.translate_type('date')) }}
    end
{%- endmacro %}

{% macro parse_integer(text_expression) -%}
    case
        when {{ saas_usage.regexp_full_match(text_expression, '-?[0-9]{1,18}') }}
            then {{ dbt.safe_cast(text_expression, dbt.type_bigint()) }}
    end
{%- endmacro %}

{#- DuckDB's least()/greatest() skip nulls, BigQuery's return null: nulls
    become a date no data has, then null again. -#}
{% macro earliest_date(expressions) -%}
    {{ extreme_date(expressions, 'least', '9999-12-31') }}
{%- endmacro %}

{% macro latest_date(expressions) -%}
    {{ extreme_date(expressions, 'greatest', '0001-01-01') }}
{%- endmacro %}

{% macro extreme_date(expressions, function, sentinel) -%}
    {%- set sentinel_date = "cast('" ~ sentinel ~ "' as date)" -%}
    nullif({{ function }}(
        {%- for expression in expressions -%}
        coalesce({{ expression }}, {{ sentinel_date }}){{ ', ' if not loop.last }}
        {%- endfor -%}
    ), {{ sentinel_date }})
{%- endmacro %}

{#- The warehouses' own series functions: dbt's date_spine builds the same
    rows from cross joins, several times slower. -#}
{% macro date_series(start_date, end_date, grain) -%}
    {{ return(adapter.dispatch('date_series', 'saas_usage')(start_date, end_date, grain)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date, grain) -%}
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
