{% macro exclude_columns(columns) -%}
    {{ return(adapter.dispatch('exclude_columns', 'saas_usage')(columns)) }}
{%- endmacro %}

{% macro default__exclude_columns(columns) -%}
    exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro bigquery__exclude_columns(columns) -%}
    except ({{ columns | join(', ') }})
{%- endmacro %}
