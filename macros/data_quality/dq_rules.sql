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
    `duplicate_row`, a later row that differs is a `duplicate_key`. Returns
    the final reason code / message expressions, given the row-level ones.

    Deterministic on every warehouse: identical rows share a dense_rank (so
    which copy comes first cannot turn into a `duplicate_key`), nulls sort
    last explicitly (DuckDB sorts them last, BigQuery first by default), and
    copies of one row are told apart by their raw_row_id. -#}
{% macro dq_duplicate_ranks(key_columns, all_columns) -%}
    dense_rank() over (
        partition by {{ key_columns | join(', ') }}, row_reason_code is null
        order by {{ all_columns | join(' nulls last, ') }} nulls last
    ) as key_rank,
    row_number() over (
        partition by {{ all_columns | join(', ') }}, row_reason_code is null
        order by raw_row_id
    ) as row_rank
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
