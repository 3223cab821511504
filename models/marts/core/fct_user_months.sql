{#- One row per user and month, from the user's registration month (or an
    earlier month with activity) through the last month of the data set: the
    public, mart-level face of int_user_months. Distinct-user counts above
    site level (customer, segment, licence type; the semantic layer's
    active_users and licensed_users) are counts of these rows. -#}
with

user_months as (

    select * from {{ ref('int_user_months') }}

),

final as (

    select
        user_key,
        customer_id,
        month_start,
        license_type,
        registration_date,
        is_licensed,
        is_new_user,
        is_active,
        events_total,
        events_creation,
        events_beyond_license,
        active_sites
    from user_months

)

select * from final
