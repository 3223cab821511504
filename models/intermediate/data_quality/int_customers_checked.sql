{#- Every staged customer row with its data-quality verdict: the first rule
    it breaks (quarantine_rules in the YAML), else a duplicate of another
    clean row's customer_id. A view: a few thousand rows at most. -#}
{%- set columns = ['customer_id', 'industry', 'region', 'account_tier', 'contact_email'] -%}

with

customers as (

    select * from {{ ref('stg_saas__customers') }}

),

row_checked as (

    select
        *,
        {{ dq_row_reason() }}
    from customers

),

ranked as (

    select
        *,
        {{ dq_duplicate_ranks(['customer_id'], columns) }}
    from row_checked

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['customer_id']) }}
    from ranked

)

select * from final
