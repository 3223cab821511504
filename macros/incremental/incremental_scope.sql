{#- Incremental builds: which slice of a model a run rebuilds.

    Every incremental model in this project replaces whole partitions: a day
    (`partition_date`) for the data-quality tables of the three daily event
    feeds, a month (`month_start`) for the site- and user-month aggregates and
    fct_site_months. The model's SQL emits complete partitions for the slice it
    rebuilds; the warehouse's strategy swaps them in (DuckDB `delete+insert` on
    the partition column, BigQuery `insert_overwrite` of the partitions; see
    dbt_project.yml). Because a partition is always recomputed whole, an
    incremental run and a full refresh produce the same rows.

    The slice is computed when the model runs (run_query against the model's
    own table, `this`, and its inputs), so each model tracks its own state: a
    run that failed or was killed half way leaves every model either at its old
    state or its new one, and the next run picks up whatever is missing. -#}


{#- True on an incremental run of the model being executed; false at parse
    time, on a full build and in unit tests (which have no `this` unless they
    override is_incremental). -#}
{% macro is_incremental_run() -%}
    {{ return(execute and this is not none and is_incremental()) }}
{%- endmacro %}


{#- Partition of rows whose date does not parse (quarantined as
    `invalid_date`): they are re-checked on every run. -#}
{% macro incremental_undated_partition() -%}
    cast('1900-01-01' as date)
{%- endmacro %}


{#- Rows stored in partition order: on DuckDB an incremental run deletes and
    rewrites the latest days, which then sit together in the last row groups
    (a cheap delete, a small checkpoint) and date filters skip the rest (zone
    maps). BigQuery partitions the table instead: nothing to add there. -#}
{% macro order_by_partition(column) -%}
    {{ return(adapter.dispatch('order_by_partition', 'saas_usage')(column)) }}
{%- endmacro %}

{% macro default__order_by_partition(column) -%}
    order by {{ column }}
{%- endmacro %}

{% macro bigquery__order_by_partition(column) -%}
{%- endmacro %}


{#- Stops with a clear message when `relation` (an incremental model's own
    table) lacks `column`: it was built by an older version of the model. -#}
{% macro require_column(relation, column) %}
    {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name')
                       | map('lower') | list -%}
    {%- if column not in existing -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " has no " ~ column ~ " column: it was built by an older version of"
            ~ " the model. Rebuild it once: dbt build --full-refresh --select "
            ~ relation.identifier ~ "+") }}
    {%- endif -%}
{% endmacro %}


{#- A list of dates as SQL literals: `cast('2024-01-01' as date), ...`. -#}
{% macro date_literals(dates) -%}
    {%- for value in dates -%}
        cast('{{ value }}' as date){{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- True for a date column whose month is one of `months` (first days of
    months, as text): a range condition the warehouse can prune on (zone maps,
    partitions) and the exact month list; `false` for no months. -#}
{% macro in_months(date_column, months) -%}
    {%- if months | length > 0 -%}
        ({{ date_column }} >= cast('{{ months | min }}' as date)
        and {{ date_column }} < {{ add_months("cast('" ~ (months | max) ~ "' as date)", 1) }}
        and {{ in_dates(month_start(date_column), months) }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- `expression in (<dates>)`, or `false` for no dates. -#}
{% macro in_dates(expression, dates) -%}
    {%- if dates | length > 0 -%}
        {{ expression }} in ({{ date_literals(dates) }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}


{#- The days a data-quality table of a daily feed rebuilds on an incremental
    run, as a dict, or none on a full build (or at parse time):

    * fresh: days recomputed from staging (`fresh_filter` selects their rows):
      - every day from the table's latest day minus `incremental_lookback_days`
        on (new data, and late rows or corrections inside the lookback);
      - every older day with new or removed raw rows: rows are counted per raw
        date text in the raw table and in `this` (a cheap scan of one column:
        no parsing, no row hashing), so a late row is found however late it
        is;
      - the undated partition (rows whose date does not parse).
    * rederive: days whose stored rows were checked against lookups that have
      changed since (`lookups_changed_sql` returns their `partition_date`: a
      site registered after its data arrived, a user registered later, a
      user's merged registration date or a site's owner changed). Their rows
      are re-checked from the stored, already-typed columns of `this`: no
      staging work, same result.

    `staged` is the staging relation, `date_column` its date column and
    `date_column ~ '_text'` the raw text it was parsed from (both stored in
    `this`). `raw` is the raw table staging reads and `raw_date_column` the
    column staging passes on unchanged as `date_column ~ '_text'`: counting
    rows per date text there gives the same counts as staging without
    staging's per-row work (raw_row_id hashes every row).
    `lookups_changed_sql` selects `partition_date` from `this`. -#}
{% macro dq_incremental_scope(staged, date_column, lookups_changed_sql, raw, raw_date_column) %}
    {%- if not is_incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text_column = date_column ~ '_text' -%}
    {%- set undated = incremental_undated_partition() -%}
    {%- set undated_day = '1900-01-01' -%}
    {%- set lookback = var('incremental_lookback_days') | int -%}
    {%- do require_column(this, 'partition_date') -%}

    {#- 1. every raw date text, with its day (as stored) and its row counts in
        `this` and in the raw table; and the days whose lookups changed -#}
    {%- set scope_sql -%}
        with

        stored as (

            select
                {{ text_column }} as date_text,
                min(partition_date) as partition_date,
                count(*) as row_count
            from {{ this }}
            where {{ text_column }} is not null
            group by {{ text_column }}

        ),

        arrived as (

            select {{ raw_date_column }} as date_text, count(*) as row_count
            from {{ raw }}
            where {{ raw_date_column }} is not null
            group by {{ raw_date_column }}

        )

        select
            'text' as scope_kind,
            coalesce(arrived.date_text, stored.date_text) as date_text,
            stored.partition_date,
            coalesce(arrived.row_count, 0) <> coalesce(stored.row_count, 0) as is_count_changed
        from arrived
        full outer join stored
            on arrived.date_text = stored.date_text

        union all

        select 'lookups_changed' as scope_kind, cast(null as {{ dbt.type_string() }}) as date_text,
            partition_date, false as is_count_changed
        from ({{ lookups_changed_sql }}) as lookups_changed
    {%- endset -%}
    {%- set text_day = {} -%}
    {%- set new_texts = [] -%}
    {%- set changed_texts = [] -%}
    {%- set lookups_changed = [] -%}
    {%- for row in run_query(scope_sql).rows -%}
        {%- if row[0] == 'text' -%}
            {%- if row[2] is none -%}
                {%- do new_texts.append(row[1]) -%}
            {%- else -%}
                {%- do text_day.update({row[1]: row[2] | string}) -%}
            {%- endif -%}
            {%- if row[3] -%}{%- do changed_texts.append(row[1]) -%}{%- endif -%}
        {%- elif row[2] is not none -%}
            {%- do lookups_changed.append(row[2] | string) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set stored_days = [] -%}
    {%- for day in text_day.values() if day != undated_day -%}
        {%- do stored_days.append(day) -%}
    {%- endfor -%}
    {%- if stored_days | length == 0 and undated_day not in text_day.values() -%}
        {#- an empty table: everything is new -#}
        {{ return({'fresh_filter': 'true', 'rederive': [], 'cutoff': none}) }}
    {%- endif -%}
    {%- set cutoff = (modules.datetime.date.fromisoformat(stored_days | max)
                      - modules.datetime.timedelta(days=lookback)).isoformat()
                     if stored_days else undated_day -%}

    {#- 2. the day of each date text not seen before, as staging parses it
        (usually just the new day's text) -#}
    {%- if new_texts | length > 0 -%}
        {%- set texts_sql -%}
            select {{ text_column }}, min(coalesce({{ date_column }}, {{ undated }}))
            from {{ staged }}
            where {{ text_column }} in (
                {%- for text in new_texts -%}
                '{{ text | replace("'", "''") }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
            )
            group by {{ text_column }}
        {%- endset -%}
        {%- for row in run_query(texts_sql).rows -%}
            {%- do text_day.update({row[0]: row[1] | string}) -%}
        {%- endfor -%}
    {%- endif -%}

    {#- 3. the days to rebuild from staging: the lookback window, the undated
        rows, and any day with new or removed rows -#}
    {%- set fresh_days = [undated_day] -%}
    {%- for text, day in text_day.items() -%}
        {%- if day >= cutoff or text in changed_texts -%}
            {%- do fresh_days.append(day) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set fresh_days = fresh_days | unique | list -%}
    {%- set fresh_texts = [] -%}
    {%- for text, day in text_day.items() if day in fresh_days -%}
        {%- do fresh_texts.append(text) -%}
    {%- endfor -%}
    {%- set rederive = [] -%}
    {%- for day in lookups_changed | unique | sort if day not in fresh_days -%}
        {%- do rederive.append(day) -%}
    {%- endfor -%}

    {#- The filter is on the raw text (a plain column: the warehouse skips the
        other rows before parsing or hashing anything); the texts listed are
        all those of the fresh days, so each day is rebuilt whole. -#}
    {%- set fresh_filter -%}
        ({{ text_column }} is null
        {%- for chunk in fresh_texts | sort | batch(500) %}
        or {{ text_column }} in (
            {%- for text in chunk -%}
            '{{ text | replace("'", "''") }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
        {%- endfor %})
    {%- endset -%}
    {%- set older = [] -%}
    {%- for day in fresh_days if day < cutoff and day != undated_day -%}
        {%- do older.append(day) -%}
    {%- endfor -%}
    {{ log(this.identifier ~ ': rebuilding the days from ' ~ cutoff ~ ' on, the undated rows and '
           ~ older | length ~ ' older day(s) with new or removed rows; re-checking '
           ~ rederive | length ~ ' day(s) against changed lookups', info=true) }}
    {{ return({'fresh_filter': fresh_filter, 'rederive': rederive, 'cutoff': cutoff}) }}
{% endmacro %}


{#- The input rows of a data-quality model of a daily feed: all of staging on
    a full build; on an incremental run, the staged rows of the fresh days plus
    the stored rows of the days to re-check (see dq_incremental_scope).
    `columns` are the staged columns the model reads besides raw_row_id; the
    model stores all of them. `raw` and `raw_date_column`: see
    dq_incremental_scope. -#}
{% macro dq_incremental_input(
    staged, columns, date_column, lookups_changed_sql, raw, raw_date_column
) -%}
    {%- set scope = dq_incremental_scope(
        staged, date_column, lookups_changed_sql, raw, raw_date_column
    ) -%}
    select
        raw_row_id,
        {{ columns | join(',\n        ') }}
    from {{ staged }}
    {%- if scope is not none %}
    where {{ scope.fresh_filter }}
    {%- if scope.rederive | length > 0 %}

    union all

    select
        raw_row_id,
        {{ columns | join(',\n        ') }}
    from {{ this }}
    where {{ in_dates('partition_date', scope.rederive) }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{#- The months a month-partitioned aggregate rebuilds on an incremental run:
    the months in which the checksum of the source rows behind any of its rows
    changed (new, late, removed or re-checked source rows), or none on a full
    build. `current_checksums_sql` selects the key columns, `month_start` and
    `source_checksum` from the current source rows, computed exactly as the
    model computes them; `this` stores the checksums of the last build. -#}
{% macro changed_months(current_checksums_sql, key_columns) %}
    {%- if not is_incremental_run() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do require_column(this, 'source_checksum') -%}
    {%- set scope_sql -%}
        with

        current_checksums as (

            {{ current_checksums_sql }}

        ),

        stored_checksums as (

            select {{ key_columns | join(', ') }}, month_start, source_checksum
            from {{ this }}

        )

        select distinct
            coalesce(current_checksums.month_start, stored_checksums.month_start) as month_start
        from current_checksums
        full outer join stored_checksums
            on
            {%- for column in key_columns %}
                current_checksums.{{ column }} = stored_checksums.{{ column }} and
            {%- endfor %}
                current_checksums.month_start = stored_checksums.month_start
        where current_checksums.source_checksum is distinct from stored_checksums.source_checksum
        order by month_start
    {%- endset -%}
    {%- set months = [] -%}
    {%- for row in run_query(scope_sql).rows -%}
        {%- do months.append(row[0] | string) -%}
    {%- endfor -%}
    {{ log(this.identifier ~ ': rebuilding ' ~ months | length ~ ' month(s) '
           ~ months | join(', '), info=true) }}
    {{ return(months) }}
{% endmacro %}


{#- Order-independent checksum of a set of rows: the bit_xor of a 64-bit hash
    of each row's `columns` (expressions). Rows must be distinct (raw_row_id
    is among the columns), so no two hashes cancel out. -#}
{% macro source_checksum(columns) -%}
    bit_xor({{ saas_usage.row_hash(columns) }})
{%- endmacro %}

{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'saas_usage')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    {{ exceptions.raise_compiler_error("row_hash: no implementation for adapter " ~ target.type) }}
{%- endmacro %}

{#- DuckDB's hash() is a fast 64-bit hash of any number of values. -#}
{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- BigQuery: the first 60 bits of the md5 of the values, as INT64 (a hex
    string cast to INT64). farm_fingerprint would be the natural choice, but
    the BigQuery emulator the test suite builds against (crucible-emulator)
    does not implement it; 60 bits are plenty for an xor checksum. The value
    differs from DuckDB's hash(), which is fine: checksums are only compared
    within one warehouse. -#}
{% macro bigquery__row_hash(columns) -%}
    cast(concat('0x', substr(to_hex(md5(concat(
        {%- for column in columns -%}
        coalesce(cast({{ column }} as string), '<null>'){{ ", '|', " if not loop.last }}
        {%- endfor -%}
    ))), 1, 15)) as int64)
{%- endmacro %}


{#- For a month-partitioned model that is cheap to recompute whole but
    should only rewrite what changed: a select of the months (`month_start`)
    in which the rows of the CTE `new_rows` and the stored rows of `this`
    differ, a row added, removed, or with any column changed (null-safe; every
    stored column is compared). Rows are matched on `key_columns`. Used as a
    CTE on incremental runs, with the model's final select filtered on it. -#}
{% macro months_with_changed_rows(new_rows, key_columns) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(this) -%}
            {%- if column.name | lower not in key_columns -%}
                {%- do columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select distinct coalesce({{ new_rows }}.month_start, stored_rows.month_start) as month_start
    from {{ new_rows }}
    full outer join {{ this }} as stored_rows
        on
        {%- for column in key_columns %}
            {{ 'and ' if not loop.first }}{{ new_rows }}.{{ column }} = stored_rows.{{ column }}
        {%- endfor %}
    where
        {{ new_rows }}.{{ key_columns[0] }} is null
        or stored_rows.{{ key_columns[0] }} is null
        {%- for column in columns %}
        or {{ new_rows }}.{{ column }} is distinct from stored_rows.{{ column }}
        {%- endfor %}
{%- endmacro %}


{#- Post-hooks that remove partitions whose source rows have all gone (a day
    retracted from a feed, a month left with no clean rows). delete+insert
    and insert_overwrite replace the partitions a run produces; a partition
    with no rows left produces nothing, so its old rows would stay. The hook
    finds such partitions (usually none: then it renders nothing and runs
    nothing) and deletes them, in the model's transaction on DuckDB, after
    the new partitions are in. -#}

{#- Days of a data-quality table none of whose raw date texts is left in
    the raw table `raw` (column `raw_date_column`, which staging passes on as
    `date_column ~ '_text'`; the undated day stays while the raw table has
    rows without a date). -#}
{% macro delete_vanished_days(raw, raw_date_column, date_column) -%}
    {%- if execute -%}
        {%- set text_column = date_column ~ '_text' -%}
        {%- set vanished_sql -%}
            select distinct partition_date
            from {{ this }}
            where partition_date not in (
                select stored.partition_date
                from (
                    select distinct {{ text_column }} as date_text, partition_date
                    from {{ this }}
                ) as stored
                inner join (
                    select distinct {{ raw_date_column }} as date_text
                    from {{ raw }}
                ) as arrived
                    on stored.date_text = arrived.date_text
                union all
                select {{ incremental_undated_partition() }} as partition_date
                from {{ raw }}
                where {{ raw_date_column }} is null
            )
        {%- endset -%}
        {{ delete_partitions('partition_date', run_query(vanished_sql).columns[0].values()) }}
    {%- endif -%}
{%- endmacro %}


{#- Months of a month-partitioned model with no row left in its source
    `relation` (the months of `date_column` there). -#}
{% macro delete_vanished_months(relation, date_column) -%}
    {%- if execute -%}
        {%- set vanished_sql -%}
            select distinct month_start
            from {{ this }}
            where month_start not in (
                select distinct {{ month_start(date_column) }} as month_start
                from {{ relation }}
                where {{ date_column }} is not null
            )
        {%- endset -%}
        {{ delete_partitions('month_start', run_query(vanished_sql).columns[0].values()) }}
    {%- endif -%}
{%- endmacro %}


{#- Deletes the rows of `this` whose `column` is one of `values` (dates);
    nothing at all for no values. -#}
{% macro delete_partitions(column, values) -%}
    {%- set days = [] -%}
    {%- for value in values | sort -%}{%- do days.append(value | string) -%}{%- endfor -%}
    {%- if days | length > 0 -%}
        {{ log(this.identifier ~ ': removing ' ~ days | length ~ ' partition(s) with no rows left: '
               ~ days | join(', '), info=true) }}
        {{ return(adapter.dispatch('delete_partitions', 'saas_usage')(column, days)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__delete_partitions(column, days) -%}
    delete from {{ this }} where {{ in_dates(column, days) }}
{%- endmacro %}

{#- A MERGE that only deletes: BigQuery runs it like a DELETE, and the local
    BigQuery emulator, which has MERGE but no DELETE, runs it too. -#}
{% macro bigquery__delete_partitions(column, days) -%}
    merge into {{ this }} as dbt_target
    using (select 1 as one) as dbt_source
        on false
    when not matched by source and {{ in_dates('dbt_target.' ~ column, days) }} then delete
{%- endmacro %}
