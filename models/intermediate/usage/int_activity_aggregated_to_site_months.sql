{#- One row per site and month with any valid activity: events by type,
    active users, the 30-day rule and the soft-anomaly counts. A user is
    identified by user_key (customer + email), so a user on several sites is
    counted once per site, and never across sites. The first and last dates
    (of events, and of any row) let the site lifecycle and the data set's
    date range be read from here instead of from the daily rows.

    Incremental by month (config in dbt_project.yml): a run rebuilds the
    months whose source rows changed, found by comparing each row's
    `source_checksum` with the checksum of the clean activity behind it now
    (see changed_months). The checksum covers everything the aggregates read
    from a row: its raw values (raw_row_id) and the looked-up registration
    date and assignment. -#}
{%- set checksum_columns = ['raw_row_id', 'user_registration_date', 'is_unassigned_site'] -%}
{%- set current_checksums %}
    select site_id, month_start, {{ source_checksum(checksum_columns) }} as source_checksum
    from (
        select *, {{ month_start('activity_date') }} as month_start
        from {{ ref('int_user_activity_cleaned') }}
    ) as activity
    group by site_id, month_start
{%- endset -%}
{%- set months = changed_months(current_checksums, ['site_id']) -%}

with

activity as (

    select
        *,
        {{ month_start('activity_date') }} as month_start,
        {{ month_end('activity_date') }} as month_end
    from {{ ref('int_user_activity_cleaned') }}
    {%- if months is not none %}
    where {{ in_months('activity_date', months) }}
    {%- endif %}

),

aggregated as (

    select
        site_id,
        month_start,
        count(distinct case when event_count > 0 then user_key end) as active_users,
        {{ sum_int('event_count') }} as events_total,
        {{ pivot_sum('activity_type', var('activity_types'), 'event_count', 'events') }},
        {{ sum_int(
            'case when ' ~ days_between('user_registration_date', 'activity_date')
            ~ ' >= ' ~ var('onboarding_days') ~ ' then event_count else 0 end'
        ) }} as events_after_onboarding,
        count(
            distinct
            case
                when
                    event_count > 0
                    and activity_date = month_end
                    and {{ days_between('user_registration_date', 'activity_date') }}
                    >= {{ var('onboarding_days') }}
                    then user_key
            end
        ) as month_end_active_onboarded_users,
        {{ sum_int('case when is_unassigned_site then event_count else 0 end') }}
            as events_unassigned_site,
        {{ sum_int('case when is_before_registration then event_count else 0 end') }}
            as events_before_registration,
        min(case when event_count > 0 then activity_date end) as first_activity_date,
        max(case when event_count > 0 then activity_date end) as last_activity_date,
        min(activity_date) as first_row_date,
        max(activity_date) as last_row_date,
        {{ source_checksum(checksum_columns) }} as source_checksum
    from activity
    group by site_id, month_start

)

select * from aggregated
