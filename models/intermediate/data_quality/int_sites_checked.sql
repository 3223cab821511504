{#- The data-quality rules, in priority order: the first rule a row breaks
    names its reason (the checks: docs/data-quality.md, "Row rules"). -#}
{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['site_id', 'customer_id']},
    {'check': 'format', 'column': 'site_id', 'pattern': 'site_id_pattern'},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'known_customer'},
] -%}
{{ config(meta={'quarantine_rules': quarantine_rules}) }}
{#- Every staged site row with its data-quality verdict: the first rule it
    breaks (quarantine_rules above; its customer must be a clean
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
        {{ dq_row_reason(quarantine_rules) }}
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
