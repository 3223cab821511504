{#- How the incremental models replace whole date partitions.

    Every incremental model here is partitioned by a date (a day or a month)
    and an incremental run rebuilds whole partitions: DuckDB deletes and
    re-inserts the rows of the partition values the run produces
    (`delete+insert` keyed on the partition column), BigQuery overwrites those
    partitions (`insert_overwrite`). dbt's `microbatch` strategy does the same
    per batch, but was measured here at about 90 ms of fixed cost per batch
    (731 daily batches: 60 s with no data; 48 monthly batches, from `begin` to
    today: 4.3 s per model), which alone exceeds the demo build's budget; so
    the models choose their partitions themselves, below. -#}

{#- The config of a model partitioned by the DATE `column` (`granularity`
    day or month), clustered on BigQuery by `cluster_by`; `incremental`
    adds the strategy that replaces whole partitions. DuckDB has no
    partitions: nothing but the strategy. -#}
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


{#- On an incremental run of a day-partitioned model that reads the staging
    model `staged` (its date column `date_column`, the raw text beside it as
    `date_column ~ '_text'`), the condition on the staged rows to rebuild:
    the days from the latest stored day minus `incremental_lookback_days`;
    any day whose row count in the feed differs from the stored one (a new
    day, rows arriving late however late); the days holding rows quarantined
    for one of `recheck_reasons` (a site or user that arrives late clears
    them); the days between the vars `backfill_start` and `backfill_end`;
    and the rows whose date does not parse. None on a full build.

    Rows are counted per raw date text, a one-column scan, and only the
    distinct texts are parsed; the condition is on the raw text, so the
    warehouse skips the other rows before parsing anything. The model stores
    each row's day, or 1900-01-01 when it does not parse, as `partition_date`. -#}
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


{#- On an incremental run of an aggregate of the day-partitioned model
    `checked`: the partitions (first days of months, or days, as text) that
    hold rows loaded into `checked` after the latest load this model has
    aggregated (every row carries the start of the run that wrote it,
    `dbt_loaded_at`, and an aggregate row the latest of its source rows'),
    and those `also_sql` selects. A run that did not happen or was killed
    leaves this watermark behind, so the next run catches up. None on a full
    build. -#}
{% macro partitions_loaded_since_last_run(checked, granularity='month', also_sql=none) %}
    {%- if not (execute and is_incremental()) -%}{{ return(none) }}{%- endif -%}
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
        {{ also_sql }}
        {%- endif %}
        order by partition_start
    {%- endset -%}
    {%- set partitions = [] -%}
    {%- for value in run_query(partitions_sql).columns[0].values() -%}
        {%- do partitions.append(value | string) -%}
    {%- endfor -%}
    {{ log(this.identifier ~ ': rebuilding ' ~ partitions | length ~ ' ' ~ granularity ~ '(s) '
           ~ partitions | join(', '), info=true) }}
    {{ return(partitions) }}
{% endmacro %}


{#- True for a DATE column within one of `partitions` (first days of months,
    or days, as text, as partitions_loaded_since_last_run returns them): a
    range the warehouse prunes on (zone maps, partitions) and the exact list;
    `false` for none. -#}
{% macro in_partitions(date_column, partitions, granularity='month') -%}
    {%- if partitions | length == 0 -%}
        false
    {%- else -%}
        {%- set last = "cast('" ~ (partitions | max) ~ "' as date)" -%}
        ({{ date_column }} >= cast('{{ partitions | min }}' as date)
        and {{ date_column }} < {{ add_months(last, 1) if granularity == 'month' else add_days(last, 1) }}
        and {{ month_start(date_column) if granularity == 'month' else date_column }} in (
            {%- for value in partitions -%}
            cast('{{ value }}' as date){{ ', ' if not loop.last }}
            {%- endfor -%}
        ))
    {%- endif -%}
{%- endmacro %}


{#- The load time of the rows a run writes: every row of an incremental run
    carries the same one. -#}
{% macro loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
