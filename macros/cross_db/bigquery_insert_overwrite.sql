{#- BigQuery `insert_overwrite` with dynamic partitions, without scripting,
    for the local BigQuery emulator (crucible-emulator has no scripting, and
    dbt-bigquery's version declares a script variable). A root-project macro
    overrides the adapter's; this one reads the distinct partitions of the
    new rows from dbt's temp table and runs dbt's own static insert-overwrite
    MERGE for them. Active on the `bq_emulator` target only (macros cannot
    see the profile's api_endpoint); every other target, and any case but a
    DATE partition with an existing temp table, runs the adapter's macro.
    Written against dbt-bigquery 1.12.1 (pinned). -#}
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
