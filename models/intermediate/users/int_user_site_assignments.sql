{{ config(materialized='table') }}
{#- One row per user and assigned site, carrying the user's deduplicated
    registration date and licence (the same on every site of the user). -#}
with

assignments as (

    select * from {{ ref('int_users_checked') }}
    where dq_reason_code is null

),

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

joined as (

    select
        assignments.user_key,
        assignments.site_id,
        assignments.customer_id,
        users.registration_date,
        users.license_type,
        assignments.registration_date as assignment_registration_date,
        assignments.license_type as assignment_license_type
    from assignments
    inner join users
        on assignments.user_key = users.user_key

)

select * from joined
