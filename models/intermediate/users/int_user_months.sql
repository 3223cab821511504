{#- One row per user and month from the user's registration month (or an
    earlier month with activity, which real feeds can have) clamped to the
    first month of the data set, through the last month of the data set. A
    user is licensed in a month when registered on or before its last day and
    active in a month with at least one event. -#}
with

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

months as (

    select * from {{ ref('int_calendar_months') }}

),

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

activity as (

    select
        user_key,
        month_start,
        {{ sum_int('events_total') }} as events_total,
        {{ sum_int('events_creation') }} as events_creation,
        {{ sum_int('events_beyond_license') }} as events_beyond_license,
        count(case when events_total > 0 then site_id end) as active_sites
    from {{ ref('int_activity_aggregated_to_user_site_months') }}
    group by user_key, month_start

),

first_activity as (

    select
        user_key,
        min(month_start) as first_active_month
    from activity
    group by user_key

),

users_with_start as (

    select
        users.*,
        case
            when first_activity.first_active_month < {{ month_start('users.registration_date') }}
                then first_activity.first_active_month
            else {{ month_start('users.registration_date') }}
        end as first_month
    from users
    left join first_activity
        on users.user_key = first_activity.user_key

),

spine as (

    select
        users.user_key,
        users.customer_id,
        users.license_type,
        users.registration_date,
        months.month_start,
        months.month_end
    from users_with_start as users
    cross join date_range
    inner join months
        on
            users.first_month <= months.month_start
            and date_range.data_start_month <= months.month_start
            and date_range.data_end_month >= months.month_start

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
        coalesce(activity.events_creation, 0) as events_creation,
        coalesce(activity.events_beyond_license, 0) as events_beyond_license,
        coalesce(activity.active_sites, 0) as active_sites
    from spine
    left join activity
        on
            spine.user_key = activity.user_key
            and spine.month_start = activity.month_start

)

select * from joined
