{#- One row per clean customer with its segment attributes and whether it
    is an internal (test) account, per the saas_internal_accounts seed. The
    contact email stays behind: only its domain goes on. -#}
with

customers as (

    select * from {{ ref('int_customers_checked') }}
    where dq_reason_code is null

),

internal_accounts as (

    select distinct trim(customer_id) as customer_id
    from {{ ref('saas_internal_accounts') }}

),

classified as (

    select
        customers.customer_id,
        customers.industry,
        customers.region,
        customers.account_tier,
        {{ dbt.split_part('customers.contact_email', "'@'", 2) }} as contact_email_domain,
        internal_accounts.customer_id is not null as is_internal
    from customers
    left join internal_accounts
        on customers.customer_id = internal_accounts.customer_id

)

select * from classified
