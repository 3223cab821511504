{#- The rows of int_users_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_users_checked') }}

),

cleaned as (

    select
        raw_row_id,
        user_key,
        customer_id,
        site_id,
        user_email,
        license_type,
        registration_date
    from checked
    where dq_reason_code is null

)

select * from cleaned
