{#- Trimmed text, with blank strings turned into null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Maps a free-text category onto its canonical spelling from `values`,
    ignoring case and surrounding whitespace. Unknown values come back trimmed
    and unchanged, so the data-quality models can name them. -#}
{% macro canonical_category(column, values) -%}
    case lower(trim({{ column }}))
        {%- for value in values %}
        when '{{ dbt.escape_single_quotes(value | lower) }}' then '{{ dbt.escape_single_quotes(value) }}'
        {%- endfor %}
        else {{ saas_usage.clean_text(column) }}
    end
{%- endmacro %}

{#- `column in (...)` for a list of accepted values, usually a project var. -#}
{% macro in_values(column, values) -%}
    {{ column }} in (
        {%- for value in values -%}
        '{{ dbt.escape_single_quotes(value) }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}

{#- The surrogate key of a user: a user is identified by customer and
    lower-cased email. Same md5 hex digest on DuckDB and BigQuery. -#}
{% macro user_key(customer_id, user_email) -%}
    {{ dbt.hash(dbt.concat([customer_id, "'|'", "lower(" ~ user_email ~ ")"])) }}
{%- endmacro %}

{#- A value made safe for inside a SQL string literal: single quotes
    doubled, and on BigQuery, whose literals read backslash escapes,
    backslashes doubled. -#}
{% macro sql_text(value) -%}
    {{ return(adapter.dispatch('sql_text', 'saas_usage')(value)) }}
{%- endmacro %}

{% macro default__sql_text(value) -%}
    {{ return(value | string | replace("'", "''")) }}
{%- endmacro %}

{% macro bigquery__sql_text(value) -%}
    {{ return(value | string | replace('\\', '\\\\') | replace("'", "\\'")) }}
{%- endmacro %}
