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
        {{ dq_duplicate_rank_columns(key_columns, all_columns) }}
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

{#- key_rank and row_rank of dq_rank_duplicates, over rows that all passed
    the row-level rules: the rank of the row's values among the rows with its
    key (first in the order of all columns, nulls last, is 1) and its number
    among identical rows (by raw_row_id). -#}
{% macro dq_duplicate_rank_columns(key_columns, all_columns) -%}
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
{%- endmacro %}

{#- For a feed too large to hold in memory (user activity): duplicates found
    without materializing the checked rows. dq_rank_duplicates reads its input
    CTE twice (the duplicate keys, then the rows), so the warehouse keeps the
    whole checked table aside (DuckDB: tens of GB spilled to disk at 100M+
    rows). Instead, the model builds its checked rows twice from the same
    input SQL, each read streaming once:

    * `dq_duplicate_candidates(input_sql, candidate_columns)`: the row hashes
      of `candidate_columns` (staged columns that determine the duplicate key)
      seen more than once in the input: a cheap aggregate, and a superset of
      the duplicated keys;
    * `dq_duplicate_candidate_filter(candidate_columns)`: true for the input
      rows with such a hash (few; the filter reaches the table scan), the only
      rows whose checked copy is ranked (`dq_duplicate_ranks`);
    * the model joins the ranks back to all its checked rows by raw_row_id
      (key_rank and row_rank 1 where there is none): the same ranks as
      dq_rank_duplicates, since a key seen once has rank 1 either way. -#}
{% macro dq_duplicate_candidates(input_sql, candidate_columns) -%}
    select {{ saas_usage.row_hash(candidate_columns) }} as candidate_hash
    from ({{ input_sql }}) as input_rows
    group by 1
    having count(*) > 1
{%- endmacro %}

{% macro dq_duplicate_candidate_filter(candidate_columns, candidates_cte='duplicate_candidates') -%}
    {{ saas_usage.row_hash(candidate_columns) }} in (select candidate_hash from {{ candidates_cte }})
{%- endmacro %}

{#- raw_row_id, key_rank and row_rank of the candidate rows in `from_cte`
    that passed every row-level rule. -#}
{% macro dq_duplicate_ranks(from_cte, key_columns, all_columns) -%}
    select
        raw_row_id,
        {{ dq_duplicate_rank_columns(key_columns, all_columns) }}
    from {{ from_cte }}
    where row_reason_code is null
{%- endmacro %}
