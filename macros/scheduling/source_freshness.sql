{#- Source freshness "as of" a given moment.

    dbt's collect_freshness compares max(loaded_at_field) of a source table
    with the warehouse's current time. This override (picked up through the
    `dispatch:` entry in dbt_project.yml, for every adapter) takes the
    comparison time from the SAAS_FRESHNESS_AS_OF environment variable when it
    is set (an ISO date or timestamp, e.g. 2024-06-04 or 2024-06-04T06:00:00):
    the data are then judged as they would have been at that moment, and
    sources.json records that moment as `snapshotted_at`. Unset (production),
    it is dbt's own query, unchanged.

    The synthetic data set ends in 2024, so against today's date every feed
    would always be stale: the replay (python -m orchestration.replay_days), the daily job
    run on replayed data (python -m orchestration.daily_job --as-of) and the tests set it
    to the morning after the last day loaded. -#}
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
