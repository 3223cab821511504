{#- BigQuery `insert_overwrite` with dynamic partitions, without scripting.

    dbt-bigquery's own version declares a script variable (`declare
    dbt_partitions_for_replacement ...; set ... ; merge ...`). The BigQuery
    emulator the test suite runs against (crucible-emulator) does not support
    scripting, so every incremental run failed there. This override (a root
    project macro wins over the adapter's macro of the same name) does the same
    work in two plain queries: it reads the distinct partitions of the new rows
    from the temp table dbt has already built, and then runs dbt's own static
    insert-overwrite MERGE for exactly those partitions: the adapter's result,
    one round trip more, no script.

    Active on the emulator target only (`bq_emulator`, the target name in
    profiles.yml: the profile's api_endpoint is not visible to macros): every
    other target, real BigQuery in dev, CI and production, runs dbt-bigquery's
    own macro (`dbt.` reaches the adapter's, not this override). Even on the
    emulator only the case this project uses is handled here: a DATE
    partition column (day or month granularity) and a temp table that already
    exists (every incremental model sets `on_schema_change`, so dbt builds the
    temp table first to compare schemas); anything else (copy_partitions,
    ingestion-time or timestamp/int64 partitioning, no temp table) goes to the
    adapter's macro too. Written against dbt-bigquery 1.12.1 (pinned). -#}
{% macro bq_dynamic_insert_overwrite_sql(
    tmp_relation, target_relation, sql, unique_key, partition_by, dest_columns,
    tmp_relation_exists, copy_partitions
) %}
    {%- if target.name != 'bq_emulator'
          or copy_partitions or partition_by.time_ingestion_partitioning
          or partition_by.data_type != 'date' or not tmp_relation_exists -%}
        {{ return(dbt.bq_dynamic_insert_overwrite_sql(
            tmp_relation, target_relation, sql, unique_key, partition_by,
            dest_columns, tmp_relation_exists, copy_partitions
        )) }}
    {%- endif -%}

    {%- set partitions_sql -%}
        {#- cast to DATE first: the emulator's date_trunc(<date>, month) yields a
            DATETIME ('2024-02-01 00:00:00'); BigQuery's yields a DATE -#}
        select distinct cast(cast({{ partition_by.render_wrapped() }} as date) as string) as partition_value
        from {{ tmp_relation }}
        where {{ partition_by.field }} is not null
        order by partition_value
    {%- endset -%}
    {%- set partitions = [] -%}
    {%- for value in run_query(partitions_sql).columns[0].values() -%}
        {%- do partitions.append("date '" ~ value ~ "'") -%}
    {%- endfor -%}

    {%- set predicate -%}
        {%- if partitions -%}
            {{ partition_by.render_wrapped(alias='DBT_INTERNAL_DEST') }} in ({{ partitions | join(', ') }})
        {%- else -%}
            false
        {%- endif -%}
    {%- endset -%}
    {%- set source_sql -%}
        (select * from {{ tmp_relation }})
    {%- endset -%}

    -- merge the {{ partitions | length }} partition(s) of the new rows into {{ target_relation }}
    {{ get_insert_overwrite_merge_sql(target_relation, source_sql, dest_columns, [predicate]) }}
{% endmacro %}
