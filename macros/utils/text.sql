{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{% macro canonical_category(column, values) -%}
    case lower({{ saas_usage.clean_text(column) }})
        {%- for value in values %}
        when '{{ dbt.escape_single_quotes(value | lower) }}' then '{{ dbt.escape_single_quotes(value) }}'
        {%- endfor %}
        else {{ saas_usage.clean_text(column) }}
    end
{%- endmacro %}

{% macro in_values(column, values) -%}
    {{ column }} in (
        {%- for value in values -%}
        '{{ dbt.escape_single_quotes(value) }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}

{% macro user_key(customer_id, user_email) -%}
    {%- set secret = env_var('SAAS_USER_KEY_SECRET', var('user_key_default_secret')) -%}
    {%- set secret = "'" ~ sql_text(secret) ~ "'" -%}
    {{ dbt.hash(dbt.concat([secret, dbt.hash(dbt.concat([
        secret, "'|'", customer_id, "'|'", "lower(" ~ user_email ~ ")"]))])) }}
{%- endmacro %}

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
