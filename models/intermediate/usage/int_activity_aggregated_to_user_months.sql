{#- One row per user and month with any valid activity (across all the
    user's sites): events by type, sites used, and events beyond what the
    user's licence entitles. -#}
with

activity as (

    select
        *,
        {{ month_start('activity_date') }} as month_start
    from {{ ref('int_user_activity_cleaned') }}

),

users as (

    select user_key, license_type from {{ ref('int_users_deduplicated') }}

),

joined as (

    select
        activity.*,
        users.license_type,
        {{ is_entitled_activity('users.license_type', 'activity.activity_type') }} as is_entitled
    from activity
    inner join users
        on activity.user_key = users.user_key

),

aggregated as (

    select
        user_key,
        customer_id,
        month_start,
        {{ sum_int('event_count') }} as events_total,
        {{ pivot_sum('activity_type', var('activity_types'), 'event_count', 'events') }},
        {{ sum_int(
            'case when ' ~ in_values('activity_type', var('creation_activity_types'))
            ~ ' then event_count else 0 end'
        ) }} as events_creation,
        {{ sum_int('case when not is_entitled then event_count else 0 end') }}
            as events_beyond_license,
        count(distinct case when event_count > 0 then site_id end) as active_sites
    from joined
    group by user_key, customer_id, month_start

)

select * from aggregated
