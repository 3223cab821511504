{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('month_start', 'month', cluster_by=['customer_id', 'site_id'], incremental=true)
) }}
{#- One row per user, site and month with any clean activity: events by
    type, the 30-day rule, the soft-anomaly counts and the first and last
    days. A user is identified by user_key (customer + email) and counted per
    site, never across sites. Everything above the daily rows (site-months,
    user-months, users, sites) is read from here.

    Incremental by month: a run rebuilds the months holding activity rows
    loaded since its last run (partitions_loaded_since_last_run). -#}
{%- set months = partitions_loaded_since_last_run(ref('int_user_activity_checked')) -%}
{%- set after_onboarding = days_between('user_registration_date', 'activity_date')
    ~ ' >= ' ~ var('onboarding_days') -%}

with

checked as (

    select * from {{ ref('int_user_activity_checked') }}
    {%- if months is not none %}
    where {{ in_partitions('partition_date', months) }}
    {%- endif %}

),

activity as (

    select
        *,
        {{ month_start('activity_date') }} as month_start,
        {{ month_end('activity_date') }} as month_end
    from checked
    where dq_reason_code is null

),

aggregated as (

    select
        user_key,
        site_id,
        month_start,
        min(customer_id) as customer_id,
        {{ sum_int('event_count') }} as events_total,
        {{ pivot_sum('activity_type', var('activity_types'), 'event_count', 'events') }},
        {{ sum_int('case when ' ~ after_onboarding ~ ' then event_count else 0 end') }}
            as events_after_onboarding,
        {{ sum_int('case when is_unassigned_site then event_count else 0 end') }}
            as events_unassigned_site,
        {{ sum_int('case when is_before_registration then event_count else 0 end') }}
            as events_before_registration,
        {{ dbt.bool_or(
            'event_count > 0 and activity_date = month_end and ' ~ after_onboarding
        ) }} as is_active_onboarded_at_month_end,
        min(case when event_count > 0 then activity_date end) as first_activity_date,
        max(case when event_count > 0 then activity_date end) as last_activity_date,
        min(activity_date) as first_row_date,
        max(activity_date) as last_row_date,
        max(dbt_loaded_at) as dbt_loaded_at
    from activity
    group by user_key, site_id, month_start

)

select * from aggregated
