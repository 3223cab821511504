{#- The rows of int_customers_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_customers_checked') }}

),

cleaned as (

    select
        raw_row_id,
        customer_id,
        industry,
        region,
        account_tier,
        contact_email
    from checked
    where dq_reason_code is null

)

select * from cleaned
