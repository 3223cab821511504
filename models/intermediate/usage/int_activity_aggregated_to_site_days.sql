{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('activity_date', 'day', cluster_by=['site_id'], incremental=true)
) }}
{#- One row per site and day with any clean activity: events by type. The
    onboarding windows (any 90 days from a site's go-live) are summed from
    here instead of from the daily rows of every user.

    Incremental by day: a run rebuilds the days holding activity rows loaded
    since its last run (partitions_to_rebuild). -#}
{%- set days_to_rebuild = partitions_to_rebuild(ref('int_user_activity_checked'), 'day') -%}

with

activity as (

    select * from {{ ref('int_user_activity_checked') }}
    where dq_reason_code is null and {{ days_to_rebuild }}

),

aggregated as (

    select
        site_id,
        activity_date,
        {{ sum_int('event_count') }} as events_total,
        {{ pivot_sum('activity_type', var('activity_types'), 'event_count', 'events') }},
        max(dbt_loaded_at) as dbt_loaded_at
    from activity
    group by site_id, activity_date

)

select * from aggregated
