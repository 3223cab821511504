{#- The model's grain: `columns` (or the column the test is attached to)
    are never null and never repeated. Repeats are looked for as 64-bit
    hashes of the key first, and only the rows of a repeated hash are
    grouped by the key itself: exact, and one narrow aggregate over a large
    table instead of a group by of several text columns.

    `latest_load_only`: for an incremental model whose key includes its
    partition (a day), check only the rows the latest run wrote
    (`dbt_loaded_at`): a rebuilt partition is written whole, and the others
    were checked when they were written. A full build writes every row, so
    it checks every row.

    `keyed` is read twice; left to itself, DuckDB stores it (every key of the
    table) for both readers. Recomputed where read (`inlined_cte`), the
    activity key test at 108M rows took 13-15 s against 41-47 s. -#}
{% test primary_key(model, column_name=none, columns=none, latest_load_only=false) %}
{%- set key = columns or [column_name] %}
{%- set latest = '(select max(dbt_loaded_at) from ' ~ model ~ ')' %}
{%- if latest_load_only and execute and flags.WHICH in ['build', 'test', 'retry'] %}
    {#- the latest load time as a literal, so that the scan skips the rest
        (compile and docs generate keep the subquery: the table may not exist) -#}
    {%- set loaded = run_query('select max(dbt_loaded_at) from ' ~ model).columns[0].values()[0] %}
    {%- set latest = "cast('" ~ loaded ~ "' as " ~ dbt.type_timestamp() ~ ")" if loaded is not none else latest %}
{%- endif %}

with

keyed as {{ saas_usage.inlined_cte() }} (
    select
        {{ key | join(', ') }},
        {{ saas_usage.row_hash(key) }} as key_hash
    from {{ model }}
    {%- if latest_load_only %}
    where dbt_loaded_at = {{ latest }}
    {%- endif %}
),

repeated_hashes as (
    select key_hash
    from keyed
    group by key_hash
    having count(*) > 1
),

failures as (
    select
        {{ key | join(', ') }},
        count(*) as n_rows
    from keyed
    where
        key_hash in (select key_hash from repeated_hashes)
        {%- for column in key %}
        or {{ column }} is null
        {%- endfor %}
    group by {{ key | join(', ') }}
    having
        count(*) > 1
        {%- for column in key %}
        or {{ column }} is null
        {%- endfor %}
)

select * from failures

{% endtest %}
