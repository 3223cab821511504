{#- Data-quality rule helpers shared by the int_*_checked models.

    A rule is a dict: {'code': 'invalid_date', 'fails': '<sql condition>',
    'message': '<sql text expression>'}. Rules are evaluated in order and the
    first failing one names the row's reason, so each quarantined row carries
    exactly one reason code and one readable message. -#}

{% macro dq_reason_code(rules) -%}
    case
        {%- for rule in rules %}
        when {{ rule.fails }} then '{{ rule.code }}'
        {%- endfor %}
    end
{%- endmacro %}

{% macro dq_reason_message(rules) -%}
    case
        {%- for rule in rules %}
        when {{ rule.fails }} then {{ rule.message }}
        {%- endfor %}
    end
{%- endmacro %}

{#- Text of a value for a message: the value quoted, or <null>. -#}
{% macro dq_show(column) -%}
    coalesce('"' || {{ column }} || '"', '<null>')
{%- endmacro %}

{#- Duplicate detection among the rows that passed every row-level rule
    (`row_reason_code` is null). Within a key, the first row in the order of
    all columns is kept; a later row identical to an earlier one is a
    `duplicate_row`, a later row that differs is a `duplicate_key`.

    Emits three CTEs ending in `ranked` (all columns of `from_cte` plus
    key_rank and row_rank). Duplicates are rare, so keys seen more than once
    are found with a cheap aggregate first and only their rows are ranked:
    window sorts over a million-row feed cost seconds, the aggregate does not.

    Deterministic on every warehouse: identical rows share a dense_rank (so
    which copy comes first cannot turn into a `duplicate_key`), nulls sort
    last explicitly (DuckDB sorts them last, BigQuery first by default; `x is
    null, x` rather than `nulls last`, which BigQuery documents for a query's
    ORDER BY but not inside OVER), and copies of one row are told apart by
    their raw_row_id. -#}
{% macro dq_rank_duplicates(from_cte, key_columns, all_columns) -%}
duplicate_keys as (

    select {{ key_columns | join(', ') }}
    from {{ from_cte }}
    where row_reason_code is null
    group by {{ key_columns | join(', ') }}
    having count(*) > 1

),

flagged as (

    select
        {{ from_cte }}.*,
        duplicate_keys.{{ key_columns[0] }} is not null as has_duplicate_key
    from {{ from_cte }}
    left join duplicate_keys
        on
        {%- for column in key_columns %}
            {{ 'and ' if not loop.first }}{{ from_cte }}.{{ column }} = duplicate_keys.{{ column }}
        {%- endfor %}
            and {{ from_cte }}.row_reason_code is null

),

ranked as (

    select
        *,
        dense_rank() over (
            partition by {{ key_columns | join(', ') }}
            order by
            {%- for column in all_columns %}
                {{ column }} is null, {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        ) as key_rank,
        row_number() over (
            partition by {{ all_columns | join(', ') }}
            order by raw_row_id
        ) as row_rank
    from flagged
    where has_duplicate_key

    union all

    select
        *,
        1 as key_rank,
        1 as row_rank
    from flagged
    where not has_duplicate_key

)
{%- endmacro %}

{% macro dq_final_reason(key_description) -%}
    case
        when row_reason_code is not null then row_reason_code
        when row_rank > 1 then 'duplicate_row'
        when key_rank > 1 then 'duplicate_key'
    end as dq_reason_code,
    case
        when row_reason_code is not null then row_reason_message
        when row_rank > 1 then 'exact duplicate of another row'
        when key_rank > 1
            then 'another row has the same {{ key_description }} with different values'
    end as dq_reason_message
{%- endmacro %}
