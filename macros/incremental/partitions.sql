{#- Incremental models replace whole date partitions (docs/incremental.md):
    DuckDB `delete+insert` keyed on the partition column, BigQuery
    `insert_overwrite`. Not `microbatch`: about 90 ms of fixed cost per batch
    here, more than the demo build's whole budget over a model's batches. -#}

{% macro partition_config(column=none, granularity='month', cluster_by=none, incremental=false) %}
    {{ return(adapter.dispatch('partition_config', 'saas_usage')(
        column, granularity, cluster_by, incremental)) }}
{% endmacro %}

{% macro default__partition_config(column, granularity, cluster_by, incremental) %}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': column}
              if incremental else {}) }}
{% endmacro %}

{% macro bigquery__partition_config(column, granularity, cluster_by, incremental) %}
    {%- set config = {} -%}
    {%- if column -%}
        {%- do config.update({'partition_by': {
            'field': column, 'data_type': 'date', 'granularity': granularity}}) -%}
    {%- endif -%}
    {%- if cluster_by -%}{%- do config.update({'cluster_by': cluster_by}) -%}{%- endif -%}
    {%- if incremental -%}
        {%- do config.update({'incremental_strategy': 'insert_overwrite'}) -%}
    {%- endif -%}
    {{ return(config) }}
{% endmacro %}

{#- The condition is on the raw date text (only distinct texts are parsed), so
    the scan skips other rows before parsing anything (docs/incremental.md). -#}
{% macro incremental_days_condition(staged, date_column, recheck_reasons=[]) %}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
    {%- set text_column = date_column ~ '_text' -%}
    {%- set scope_sql -%}
        with

        arrived_texts as (
            select {{ text_column }} as date_text, count(*) as arrived_rows
            from {{ staged }}
            group by {{ text_column }}
        ),

        arrived as (
            select
                date_text,
                arrived_rows,
                {{ parse_iso_date(clean_text('date_text')) }} as day
            from arrived_texts
        ),

        arrived_days as (
            select day, sum(arrived_rows) as arrived_rows
            from arrived
            group by day
        ),

        stored_days as (
            select partition_date as day, count(*) as stored_rows
            from {{ this }}
            where partition_date > cast('1900-01-01' as date)
            group by partition_date
        ),

        cutoff as (
            select {{ add_days('max(day)', -var('incremental_lookback_days')) }} as first_day
            from stored_days
        ),

        days_to_rebuild as (
            select arrived_days.day
            from arrived_days
            cross join cutoff
            left join stored_days
                on arrived_days.day = stored_days.day
            where
                arrived_days.arrived_rows <> coalesce(stored_days.stored_rows, 0)
                or arrived_days.day >= coalesce(cutoff.first_day, arrived_days.day)
                {%- if recheck_reasons %}
                or arrived_days.day in (
                    select partition_date from {{ this }}
                    where {{ in_values('dq_reason_code', recheck_reasons) }}
                )
                {%- endif %}
                {%- if var('backfill_start', none) and var('backfill_end', none) %}
                or arrived_days.day between cast('{{ var("backfill_start") }}' as date)
                and cast('{{ var("backfill_end") }}' as date)
                {%- endif %}
        )

        select date_text
        from arrived
        where day is null or day in (select day from days_to_rebuild)
        order by date_text
    {%- endset -%}
    {%- set texts = run_query(scope_sql).columns[0].values() -%}
    {%- set quoted = [] -%}
    {%- for text in texts if text is not none -%}
        {%- do quoted.append("'" ~ sql_text(text) ~ "'") -%}
    {%- endfor -%}
    {{ log(this.identifier ~ ': rebuilding the rows of ' ~ quoted | length ~ ' date text(s)',
           info=true) }}
    {{ return('(' ~ text_column ~ ' is null'
              ~ (' or ' ~ text_column ~ ' in (' ~ quoted | join(', ') ~ ')' if quoted else '') ~ ')') }}
{% endmacro %}

{#- The condition on `partition_date` that picks the partitions to rebuild:
    those holding rows of `checked` loaded since this model's latest
    `dbt_loaded_at` (a skipped or killed run leaves it behind, so the next run
    catches up), plus `also_sql`'s; `true` on a full build. -#}
{% macro partitions_to_rebuild(checked, granularity='month', also_sql=none) %}
    {%- if not (execute and is_incremental()) -%}{{ return('true') }}{%- endif -%}
    {%- set partition = month_start('partition_date') if granularity == 'month'
                        else 'partition_date' -%}
    {%- set partitions_sql -%}
        select distinct {{ partition }} as partition_start
        from {{ checked }}
        where
            dbt_loaded_at > (select max(dbt_loaded_at) from {{ this }})
            and partition_date > cast('1900-01-01' as date)
        {%- if also_sql %}
        union distinct
        select * from ({{ also_sql }}) as also_rebuilt
        {%- endif %}
        order by partition_start
    {%- endset -%}
    {%- set partitions = [] -%}
    {%- for value in run_query(partitions_sql).columns[0].values() -%}
        {%- do partitions.append(value | string) -%}
    {%- endfor -%}
    {{ log(this.identifier ~ ': rebuilding ' ~ partitions | length ~ ' ' ~ granularity ~ '(s) '
           ~ partitions | join(', '), info=true) }}
    {{ return(in_partitions('partition_date', partitions, granularity)) }}
{% endmacro %}

{#- A range the warehouse prunes on, and the exact list. -#}
{% macro in_partitions(date_column, partitions, granularity='month') -%}
    {%- if partitions | length == 0 -%}
        false
    {%- else -%}
        {%- set last = "cast('" ~ (partitions | max) ~ "' as date)" -%}
        {%- set after_last = dbt.dateadd(granularity, 1, last) -%}
        ({{ date_column }} >= cast('{{ partitions | min }}' as date)
        and {{ date_column }} < cast({{ after_last }} as date)
        and {{ month_start(date_column) if granularity == 'month' else date_column }} in (
            {%- for value in partitions %}cast('{{ value }}' as date){{ ', ' if not loop.last }}{% endfor -%}
        ))
    {%- endif -%}
{%- endmacro %}

{% macro loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
