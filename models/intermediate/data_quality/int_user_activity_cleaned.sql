{#- The rows of int_user_activity_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_user_activity_checked') }}

),

cleaned as (

    select
        raw_row_id,
        user_key,
        customer_id,
        site_id,
        user_email,
        activity_date,
        activity_type,
        event_count,
        user_registration_date,
        is_unassigned_site,
        is_before_registration
    from checked
    where dq_reason_code is null

)

select * from cleaned
