{#- Every staged site row with the first data-quality rule it breaks.
    A view: the sites snapshot is small (thousands of rows at the largest
    scale), so each reader recomputes it in milliseconds, and the daily job
    has one table fewer to rebuild. -#}
{%- set rules = [
    {'code': 'missing_key', 'fails': 'site_id is null or customer_id is null',
     'message': "'site_id or customer_id is missing'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('site_id', var('site_id_pattern')),
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not A followed by 11 digits'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('customer_id', var('customer_id_pattern')),
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not 10 digits'"},
    {'code': 'unknown_customer', 'fails': 'not is_known_customer',
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not a valid customer'"},
] -%}
{%- set columns = ['site_id', 'customer_id'] -%}

with

sites as (

    select * from {{ ref('stg_saas__sites') }}

),

customers as (

    select customer_id from {{ ref('int_customers_cleaned') }}

),

joined as (

    select
        sites.*,
        customers.customer_id is not null as is_known_customer
    from sites
    left join customers
        on sites.customer_id = customers.customer_id

),

row_checked as (

    select
        *,
        {{ dq_reason_code(rules) }} as row_reason_code,
        {{ dq_reason_message(rules) }} as row_reason_message
    from joined

),

{{ dq_rank_duplicates('row_checked', ['site_id'], columns) }},

final as (

    select
        raw_row_id,
        {{ columns | join(',\n        ') }},
        {{ dq_final_reason('site_id') }}
    from ranked

)

select * from final
