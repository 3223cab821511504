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

{#- A 64-bit hash of some columns, for grouping rows by them cheaply (not a
    key: collisions are possible, so only use it to narrow a search). -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'saas_usage')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- BigQuery: the first 60 bits of an md5 of the values, as INT64 (the local
    BigQuery emulator lacks farm_fingerprint). -#}
{% macro bigquery__row_hash(columns) -%}
    cast(concat('0x', substr(to_hex(md5(concat(
        {%- for column in columns -%}
        coalesce(cast({{ column }} as string), '<null>'){{ ", '|', " if not loop.last }}
        {%- endfor -%}
    ))), 1, 15)) as int64)
{%- endmacro %}
