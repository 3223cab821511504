{#- One row per user, site and month with any valid activity: events by
    type, events beyond what the user's licence entitles, and the first and
    last day with events. int_user_months rolls it up to user-months and
    dim_users to users (sites used, first and last activity), so neither
    reads the daily rows.

    Incremental by month (config in dbt_project.yml): a run rebuilds the
    months whose source rows changed (see changed_months). The checksum of a
    user-site-month covers its activity rows' raw values and the user's
    merged licence (mixed in after grouping: no join of every row to the
    users). -#}
{%- set current_checksums %}
    select
        activity.user_key,
        activity.site_id,
        activity.month_start,
        {{ row_hash(['activity.rows_checksum', 'users.license_type']) }} as source_checksum
    from (
        select
            user_key,
            site_id,
            {{ month_start('activity_date') }} as month_start,
            {{ source_checksum(['raw_row_id']) }} as rows_checksum
        from {{ ref('int_user_activity_cleaned') }}
        group by user_key, site_id, {{ month_start('activity_date') }}
    ) as activity
    inner join {{ ref('int_users_deduplicated') }} as users
        on activity.user_key = users.user_key
{%- endset -%}
{%- set months = changed_months(current_checksums, ['user_key', 'site_id']) -%}

with

activity as (

    select
        *,
        {{ month_start('activity_date') }} as month_start
    from {{ ref('int_user_activity_cleaned') }}
    {%- if months is not none %}
    where {{ in_months('activity_date', months) }}
    {%- endif %}

),

users as (

    select
        user_key,
        license_type
    from {{ ref('int_users_deduplicated') }}

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
        site_id,
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
        min(case when event_count > 0 then activity_date end) as first_activity_date,
        max(case when event_count > 0 then activity_date end) as last_activity_date,
        {{ row_hash([source_checksum(['raw_row_id']), 'min(license_type)']) }} as source_checksum
    from joined
    group by user_key, site_id, customer_id, month_start

)

select * from aggregated
