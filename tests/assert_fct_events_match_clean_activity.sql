-- The site-month fact counts every clean event exactly once: per month, its
-- events equal the clean activity's events, and its job minutes the clean
-- runs' minutes. Fanning activity out over a user's several sites (the
-- original analysis joined on email alone and over-counted 1.86x) fails here.
with

fact as (
    select
        month_start,
        sum(events_total) as events_total,
        sum(job_minutes_total) as job_minutes_total
    from {{ ref('fct_site_months') }}
    group by month_start
),

clean_rows as (
    select
        {{ month_start('activity_date') }} as month_start,
        event_count,
        0 as job_minutes
    from {{ ref('int_user_activity_checked') }}
    where dq_reason_code is null
    union all
    select
        {{ month_start('job_date') }} as month_start,
        0 as event_count,
        job_minutes
    from {{ ref('int_background_jobs_checked') }}
    where dq_reason_code is null
),

clean as (
    select
        month_start,
        sum(event_count) as events_total,
        sum(job_minutes) as job_minutes_total
    from clean_rows
    group by month_start
),

compared as (
    select
        coalesce(fact.month_start, clean.month_start) as month_start,
        coalesce(fact.events_total, 0) as fact_events,
        coalesce(clean.events_total, 0) as activity_events,
        coalesce(fact.job_minutes_total, 0) as fact_minutes,
        coalesce(clean.job_minutes_total, 0) as job_minutes
    from fact
    full outer join clean on fact.month_start = clean.month_start
),

mismatches as (
    select * from compared
    where fact_events <> activity_events or fact_minutes <> job_minutes
)

select * from mismatches
