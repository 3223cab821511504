{{ config(
    materialized='table',
    **partition_config('month_start', 'month', cluster_by=['customer_id'])
) }}
{#- One row per user and month, from the user's registration month (or an
    earlier month with activity, which real feeds can have), clamped to the
    data set's first month, through its last month. Distinct-user counts
    above site level (customer, segment, licence type; the semantic layer's
    active and licensed users) are counts of these rows. -#}
with

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

months as (

    select * from {{ ref('int_data_months') }}

),

activity as (

    select
        user_key,
        month_start,
        {{ sum_int('events_total') }} as events_total,
        {%- for activity_type in var('activity_types') %}
        {{ sum_int('events_' ~ category_suffix(activity_type)) }}
            as events_{{ category_suffix(activity_type) }},
        {%- endfor %}
        {{ sum_int('case when events_total > 0 then 1 else 0 end') }} as active_sites
    from {{ ref('int_activity_aggregated_to_user_site_months') }}
    group by user_key, month_start

),

first_months as (

    select
        users.user_key,
        {{ earliest_date(
            [month_start('users.registration_date'), 'min(activity.month_start)']
        ) }} as first_month
    from users
    left join activity
        on users.user_key = activity.user_key
    group by users.user_key, users.registration_date

),

spine as (

    select
        users.user_key,
        users.customer_id,
        users.license_type,
        users.registration_date,
        months.month_start,
        months.month_end
    from users
    inner join first_months
        on users.user_key = first_months.user_key
    inner join months
        on first_months.first_month <= months.month_start

),

joined as (

    select
        spine.user_key,
        spine.customer_id,
        spine.month_start,
        spine.license_type,
        spine.registration_date,
        spine.registration_date <= spine.month_end as is_licensed,
        spine.registration_date between spine.month_start and spine.month_end as is_new_user,
        coalesce(activity.events_total, 0) > 0 as is_active,
        coalesce(activity.events_total, 0) as events_total,
        -- the events_<type> columns of activity (spine has none)
        coalesce({{ sum_of_event_columns(var('creation_activity_types')) }}, 0) as events_creation,
        coalesce({{ events_beyond_license('spine.license_type') }}, 0) as events_beyond_license,
        coalesce(activity.active_sites, 0) as active_sites
    from spine
    left join activity
        on
            spine.user_key = activity.user_key
            and spine.month_start = activity.month_start

)

select * from joined
