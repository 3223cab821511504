-- The transform baseline, part 3 of 6: the clean rows aggregated, and each
-- site's lifecycle (see part 1 for the conventions).

set schema = 'hw_work';

-- Per user, site and month: events by type, the 30-day rule and the soft
-- anomalies (activity on a site the user is not assigned to, activity before
-- registration: counted, not dropped).
create or replace table user_site_months as
with aggregated as (
    select
        user_id,
        site_id,
        date_trunc('month', activity_date)::date as month_start,
        sum(event_count) as events_total,
        coalesce(sum(event_count) filter (where activity_type = 'Access'), 0) as events_access,
        coalesce(sum(event_count) filter (where activity_type = 'Create'), 0) as events_create,
        coalesce(sum(event_count) filter (where activity_type = 'View'), 0) as events_view,
        coalesce(sum(event_count) filter (where activity_type = 'Publish'), 0) as events_publish,
        coalesce(sum(event_count) filter (where list_contains(${creation_activity_types}, activity_type)), 0)
            as events_creation,
        coalesce(sum(event_count) filter (where activity_date - registration_date >= ${onboarding_days}), 0)
            as events_after_onboarding,
        coalesce(sum(event_count) filter (where activity_date < registration_date), 0)
            as events_before_registration,
        bool_or(
            event_count > 0
            and activity_date = last_day(activity_date)
            and activity_date - registration_date >= ${onboarding_days}
        ) as is_active_onboarded_at_month_end,
        min(activity_date) filter (where event_count > 0) as first_activity_date,
        max(activity_date) filter (where event_count > 0) as last_activity_date,
        min(activity_date) as first_row_date,
        max(activity_date) as last_row_date
    from activity_clean
    group by all
)

select
    aggregated.*,
    case when assignments.user_id is null then aggregated.events_total else 0 end as events_unassigned_site
from aggregated
left join assignments on aggregated.user_id = assignments.user_id and aggregated.site_id = assignments.site_id;

-- Per site and day (the onboarding windows are summed from here).
create or replace table site_days as
select
    site_id,
    activity_date,
    sum(event_count) as events_total,
    coalesce(sum(event_count) filter (where list_contains(${creation_activity_types}, activity_type)), 0)
        as events_creation
from activity_clean
group by all;

-- Per site and month with a snapshot: null storage means not measured.
create or replace table storage_months as
select
    site_id,
    date_trunc('month', storage_date)::date as month_start,
    count(*) as storage_days,
    avg(storage_bytes) as storage_bytes_avg,
    max(storage_bytes) as storage_bytes_max,
    arg_max(storage_bytes, storage_date) as storage_bytes_month_end,
    min(storage_date) as first_storage_date,
    max(storage_date) as last_storage_date
from storage_clean
group by all;

-- Per site and month with a run.
create or replace table job_months as
select
    site_id,
    date_trunc('month', job_date)::date as month_start,
    count(*) as job_runs,
    sum(job_minutes) as job_minutes_total,
    coalesce(sum(job_minutes) filter (where background_job_type = 'extract'), 0) as job_minutes_extract,
    count(*) filter (where background_job_type = 'extract') as job_runs_extract,
    coalesce(sum(job_minutes) filter (where background_job_type = 'subscription'), 0) as job_minutes_subscription,
    count(*) filter (where background_job_type = 'subscription') as job_runs_subscription,
    coalesce(sum(job_minutes) filter (where background_job_type = 'flow run'), 0) as job_minutes_flow_run,
    count(*) filter (where background_job_type = 'flow run') as job_runs_flow_run,
    coalesce(sum(job_minutes) filter (where background_job_type = 'alert'), 0) as job_minutes_alert,
    count(*) filter (where background_job_type = 'alert') as job_runs_alert,
    coalesce(sum(job_minutes) filter (where background_job_type = 'bridge'), 0) as job_minutes_bridge,
    count(*) filter (where background_job_type = 'bridge') as job_runs_bridge,
    -- the long report's minutes per run leave some job types out
    sum(job_minutes) filter (where not list_contains(${report_excluded_job_types}, background_job_type))
        as report_job_minutes,
    count(*) filter (where not list_contains(${report_excluded_job_types}, background_job_type)) as report_job_runs,
    min(job_date) as first_job_date,
    max(job_date) as last_job_date
from jobs_checked
where broken is null
group by all;

-- Every clean site: owner, segment, go-live (first date with any data: a
-- registration, an event, a snapshot or a run) and the span of its feeds.
create or replace table site_lifecycle as
with registrations as (
    select site_id, min(registration_date) as first_registration_date
    from assignments
    group by site_id
),

activity as (
    select
        site_id,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date,
        min(first_row_date) as first_row_date,
        max(last_row_date) as last_row_date
    from user_site_months
    group by site_id
),

storage as (
    select site_id, min(first_storage_date) as first_storage_date, max(last_storage_date) as last_storage_date
    from storage_months
    group by site_id
),

jobs as (
    select site_id, min(first_job_date) as first_job_date, max(last_job_date) as last_job_date
    from job_months
    group by site_id
)

-- least() and greatest() skip nulls in DuckDB
select
    sites.site_id,
    sites.customer_id,
    customers.account_tier,
    customers.region,
    customers.industry,
    customers.is_internal,
    least(
        registrations.first_registration_date, activity.first_activity_date, storage.first_storage_date,
        jobs.first_job_date
    ) as go_live_date,
    activity.first_activity_date,
    activity.last_activity_date,
    storage.first_storage_date,
    jobs.first_job_date,
    least(activity.first_row_date, storage.first_storage_date, jobs.first_job_date) as first_feed_date,
    greatest(activity.last_row_date, storage.last_storage_date, jobs.last_job_date) as last_feed_date
from sites
inner join customers on sites.customer_id = customers.customer_id
left join registrations on sites.site_id = registrations.site_id
left join activity on sites.site_id = activity.site_id
left join storage on sites.site_id = storage.site_id
left join jobs on sites.site_id = jobs.site_id;

-- The data set's first and last day: what "the data" spans everywhere.
create or replace table date_range as
select
    min(first_feed_date) as data_start_date,
    max(last_feed_date) as data_end_date,
    date_trunc('month', min(first_feed_date))::date as data_start_month,
    date_trunc('month', max(last_feed_date))::date as data_end_month
from site_lifecycle;

-- The months of the data set, within the project's calendar.
create or replace table months as
select
    calendar.month_start::date as month_start,
    last_day(calendar.month_start)::date as month_end
from range(${calendar_start_date}::timestamp, ${calendar_end_date}::timestamp, interval 1 month) as calendar (month_start)
cross join date_range
where calendar.month_start::date between date_range.data_start_month and date_range.data_end_month;
