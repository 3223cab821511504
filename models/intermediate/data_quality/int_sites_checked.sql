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

row_checked as (

    -- the rows, left-joined to the clean customers (int_customers_checked) the customer rule reads
    {{ dq_checked_rows('sites', quarantine_rules) }}

),

ranked as (

    {{ dq_ranked_rows('row_checked', ['site_id'], columns) }}

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['site_id']) }}
    from ranked

)

select * from final
