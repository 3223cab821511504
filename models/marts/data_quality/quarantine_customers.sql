{#- The rows of the raw customers feed that broke a data-quality rule, with the
    reason; one row per quarantined raw row. The email is left out (PII never
    reaches a mart): user_key identifies the user. -#}
with

checked as (

    select * from {{ ref('int_customers_checked') }}

),

quarantined as (

    select * {{ exclude_columns(['contact_email']) }} from checked
    where dq_reason_code is not null

)

select * from quarantined
