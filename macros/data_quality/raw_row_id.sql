{#- A deterministic id for a raw row: the hash of all its raw values and of
    its occurrence number among identical rows. It does not depend on load
    order (identical rows are interchangeable), survives re-loads, and lets
    staging, the data-quality models and the quarantine tables have a primary
    key even when the feed itself has duplicates. The occurrence number is
    the column `raw_row_occurrence` that `raw_rows` adds (staging's `source`
    CTE selects the raw table through it). -#}
{% macro raw_row_id(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
        {%- do parts.append("'|'") -%}
    {%- endfor -%}
    {%- do parts.append("cast(raw_row_occurrence as " ~ dbt.type_string() ~ ")") -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{#- The rows of a raw relation with `raw_row_occurrence`: the row's number
    among the rows identical to it in `columns` (1 for a row that occurs
    once, 1..n over n identical rows). -#}
{% macro raw_rows(relation, columns) -%}
    {{ return(adapter.dispatch('raw_rows', 'saas_usage')(relation, columns)) }}
{%- endmacro %}

{% macro default__raw_rows(relation, columns) -%}
    select
        *,
        row_number() over (partition by {{ columns | join(', ') }}) as raw_row_occurrence
    from {{ relation }}
{%- endmacro %}

{#- DuckDB: the same numbers without a window over the whole table. A window
    partitioned by every column sorts the whole feed (at 100M+ rows it spills
    tens of GB and dominated the build); identical rows are rare, so the row
    hashes seen more than once are found with a cheap aggregate first and
    only those rows are numbered with the window; every other row is 1.
    Filters on the result (an incremental run's days) still reach the scan. -#}
{% macro duckdb__raw_rows(relation, columns) -%}
    {%- set row_hash = 'hash(' ~ columns | join(', ') ~ ')' -%}
    with repeated as (
        select {{ row_hash }} as row_hash
        from {{ relation }}
        group by row_hash
        having count(*) > 1
    )

    select
        *,
        1 as raw_row_occurrence
    from {{ relation }}
    where {{ row_hash }} not in (select row_hash from repeated)

    union all

    select
        *,
        row_number() over (partition by {{ columns | join(', ') }}) as raw_row_occurrence
    from {{ relation }}
    where {{ row_hash }} in (select row_hash from repeated)
{%- endmacro %}
