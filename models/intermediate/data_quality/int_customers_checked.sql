{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['customer_id']},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'one_of', 'column': 'industry', 'values': 'industries'},
    {'check': 'one_of', 'column': 'region', 'values': 'regions'},
    {'check': 'one_of', 'column': 'account_tier', 'values': 'account_tiers'},
] -%}
{{ config(meta={'quarantine_rules': quarantine_rules}) }}
{#- Every staged customer row with its data-quality verdict: the first rule
    it breaks (quarantine_rules above), else a duplicate of another
    clean row's customer_id. A view: a few thousand rows at most. -#}
{%- set columns = ['customer_id', 'industry', 'region', 'account_tier', 'contact_email'] -%}

with

customers as (

    select * from {{ ref('stg_saas__customers') }}

),

row_checked as (

    {{ dq_checked_rows('customers', quarantine_rules) }}

),

ranked as (

    {{ dq_ranked_rows('row_checked', ['customer_id'], columns) }}

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['customer_id']) }}
    from ranked

)

select * from final
