{#- Every staged site row with its data-quality verdict: the first rule it
    breaks (quarantine_rules in the YAML; its customer must be a clean
    customer), else a duplicate of another clean row's site_id. A view: tens
    of thousands of rows at most. -#}
{%- set columns = ['site_id', 'customer_id'] -%}

with

sites as (

    select * from {{ ref('stg_saas__sites') }}

),

customers as (

    select customer_id
    from {{ ref('int_customers_checked') }}
    where dq_reason_code is null

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
        {{ dq_row_reason() }}
    from joined

),

ranked as (

    select
        *,
        {{ dq_duplicate_ranks(['site_id'], columns) }}
    from row_checked

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['site_id']) }}
    from ranked

)

select * from final
