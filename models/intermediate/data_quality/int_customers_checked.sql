{#- Every staged customer row with the first data-quality rule it breaks.
    A view: the customers snapshot is small (thousands of rows at the largest
    scale), so each reader recomputes it in milliseconds, and the daily job
    has one table fewer to rebuild. -#}
{%- set rules = [
    {'code': 'missing_key', 'fails': 'customer_id is null',
     'message': "'customer_id is missing'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('customer_id', var('customer_id_pattern')),
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not 10 digits'"},
    {'code': 'unknown_category', 'fails': 'not coalesce(' ~ in_values('industry', var('industries')) ~ ', false)',
     'message': "'industry ' || " ~ dq_show('industry') ~ " || ' is not a known industry'"},
    {'code': 'unknown_category', 'fails': 'not coalesce(' ~ in_values('region', var('regions')) ~ ', false)',
     'message': "'region ' || " ~ dq_show('region') ~ " || ' is not a known region'"},
    {'code': 'unknown_category', 'fails': 'not coalesce(' ~ in_values('account_tier', var('account_tiers')) ~ ', false)',
     'message': "'account_tier ' || " ~ dq_show('account_tier') ~ " || ' is not a known tier'"},
] -%}
{%- set columns = ['customer_id', 'industry', 'region', 'account_tier', 'contact_email'] -%}

with

customers as (

    select * from {{ ref('stg_saas__customers') }}

),

row_checked as (

    select
        *,
        {{ dq_reason_code(rules) }} as row_reason_code,
        {{ dq_reason_message(rules) }} as row_reason_message
    from customers

),

{{ dq_rank_duplicates('row_checked', ['customer_id'], columns) }},

final as (

    select
        raw_row_id,
        {{ columns | join(',\n        ') }},
        {{ dq_final_reason('customer_id') }}
    from ranked

)

select * from final
