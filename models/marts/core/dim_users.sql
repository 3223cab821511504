{{ config(materialized='table', **partition_config(cluster_by=['customer_id'])) }}
{#- One row per user (user_key: a hash of customer_id and lower-cased
    email; the email itself never reaches a mart): deduplicated licence and
    registration date, assignment conflicts, and first and last activity
    (from the user-site aggregate, not the daily rows). -#}
with

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

customers as (

    select * from {{ ref('int_customers_classified') }}

),

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

activity as (

    select
        user_key,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date,
        {{ sum_int('events_total') }} as events_total,
        count(*) as active_sites
    from {{ ref('int_activity_aggregated_to_user_sites') }}
    where events_total > 0
    group by user_key

),

joined as (

    select
        users.user_key,
        users.customer_id,
        customers.account_tier,
        customers.region,
        customers.industry,
        customers.is_internal,
        users.license_type,
        users.registration_date,
        users.assigned_sites,
        users.has_conflicting_registration_dates,
        users.has_conflicting_licenses,
        activity.first_activity_date,
        activity.last_activity_date,
        {{ zero_if_missing('activity', ['events_total', 'active_sites']) }},
        activity.user_key is null as is_never_active,
        coalesce(
            {{ days_between('activity.last_activity_date', 'date_range.data_end_date') }}
            > {{ var('churn_inactive_days') }},
            false
        ) as is_dormant
    from users
    inner join customers
        on users.customer_id = customers.customer_id
    cross join date_range
    left join activity
        on users.user_key = activity.user_key

)

select * from joined
