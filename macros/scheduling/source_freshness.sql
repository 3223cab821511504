{#- Source freshness "as of" SAAS_FRESHNESS_AS_OF (an ISO date or timestamp)
    when it is set, else dbt's own query unchanged (production). The
    synthetic data end in 2024, so against today every feed would be stale:
    the replay, the daily job's `--as-of` and the tests set it to the morning
    after the last day loaded. Overrides dbt's through `dispatch:`. -#}
{% macro default__collect_freshness(source, loaded_at_field, filter) %}
  {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
    select
      max({{ loaded_at_field }}) as max_loaded_at,
      {{ freshness_snapshot_time() }} as snapshotted_at
    from {{ source }}
    {% if filter %}
    where {{ filter }}
    {% endif %}
  {% endcall %}
  {{ return(load_result('collect_freshness')) }}
{% endmacro %}

{% macro freshness_snapshot_time() -%}
  {%- set as_of = env_var('SAAS_FRESHNESS_AS_OF', '') | trim -%}
  {%- if as_of -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(as_of) -%}
    cast('{{ parsed.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
  {%- else -%}
    {{ current_timestamp() }}
  {%- endif -%}
{%- endmacro %}
