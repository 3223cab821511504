-- The transform baseline, part 4 of 6: the facts and customer marts, in schema hw (see part 1
-- for the conventions). Ratios are null when their denominator is 0.

set schema = 'hw_work';

-- Site-months: from each site's go-live month through the data's last
-- month; zeros where nothing happened, null storage where nothing was measured.
create or replace table site_months as
with spine as (
    select
        sites.site_id,
        sites.customer_id,
        sites.account_tier,
        sites.region,
        sites.industry,
        sites.is_internal,
        months.month_start
    from site_lifecycle as sites
    inner join months on months.month_start >= date_trunc('month', sites.go_live_date)
),

-- licensed users as of month end: registrations counted in their month (the
-- first month of the data for earlier ones), summed over the months so far
registrations as (
    select
        assignments.site_id,
        greatest(date_trunc('month', assignments.registration_date)::date, date_range.data_start_month)
            as month_start,
        count(*) as registered,
        count(*) filter (where assignments.license_type = 'Viewer') as registered_viewers,
        count(*) filter (where assignments.license_type = 'Explorer') as registered_explorers,
        count(*) filter (where assignments.license_type = 'Creator') as registered_creators
    from assignments
    cross join date_range
    group by all
),

new_users as (
    select site_id, date_trunc('month', registration_date)::date as month_start, count(*) as new_users
    from assignments
    group by all
),

activity as (
    select
        site_id,
        month_start,
        count(*) filter (where events_total > 0) as active_users,
        sum(events_total) as events_total,
        sum(events_access) as events_access,
        sum(events_create) as events_create,
        sum(events_view) as events_view,
        sum(events_publish) as events_publish,
        sum(events_after_onboarding) as events_after_onboarding,
        count(*) filter (where is_active_onboarded_at_month_end) as month_end_active_onboarded_users,
        sum(events_unassigned_site) as events_unassigned_site,
        sum(events_before_registration) as events_before_registration
    from user_site_months
    group by all
)

select
    spine.*,
    sum(coalesce(registrations.registered, 0)) over site_so_far as licensed_users,
    sum(coalesce(registrations.registered_viewers, 0)) over site_so_far as licensed_viewers,
    sum(coalesce(registrations.registered_explorers, 0)) over site_so_far as licensed_explorers,
    sum(coalesce(registrations.registered_creators, 0)) over site_so_far as licensed_creators,
    coalesce(new_users.new_users, 0) as new_users,
    -- every activity count, 0 in a month without activity
    coalesce(columns(activity.* exclude (site_id, month_start)), 0),
    coalesce(storage.storage_days, 0) as storage_days,
    storage.storage_bytes_avg,
    storage.storage_bytes_max,
    storage.storage_bytes_month_end,
    storage.storage_bytes_avg / 1073741824 as storage_gib_avg,
    -- every job count, 0 in a month without runs
    coalesce(columns(jobs.* exclude (
        site_id, month_start, report_job_minutes, report_job_runs, first_job_date, last_job_date
    )), 0),
    jobs.report_job_minutes::double / nullif(jobs.report_job_runs, 0) as report_minutes_per_run
from spine
left join registrations on spine.site_id = registrations.site_id and spine.month_start = registrations.month_start
left join new_users on spine.site_id = new_users.site_id and spine.month_start = new_users.month_start
left join activity on spine.site_id = activity.site_id and spine.month_start = activity.month_start
left join storage_months as storage on spine.site_id = storage.site_id and spine.month_start = storage.month_start
left join job_months as jobs on spine.site_id = jobs.site_id and spine.month_start = jobs.month_start
window site_so_far as (partition by spine.site_id order by spine.month_start);

create or replace table hw.fct_site_months as
select * exclude (report_minutes_per_run)
from site_months;

-- The original analysis's long output, its defects fixed.
create or replace table hw.rpt_site_month_usage_long as
select month_start, customer_id, site_id, 'Storage' as usage_type, storage_gib_avg as value
from site_months
union all
select month_start, customer_id, site_id, 'Activity', events_after_onboarding::double
from site_months
union all
select month_start, customer_id, site_id, 'Active User', month_end_active_onboarded_users::double
from site_months
union all
select month_start, customer_id, site_id, 'Background Job', report_minutes_per_run
from site_months;

-- User-months: from the registration month (or an earlier month with
-- activity), within the data's months.
create or replace table hw.fct_user_months as
with activity as (
    select
        user_id,
        month_start,
        sum(columns('^events_')),  -- every event count of the user-site-months
        count(*) filter (where events_total > 0) as active_sites
    from user_site_months
    group by all
),

first_months as (
    select
        users.user_id,
        greatest(
            least(date_trunc('month', users.registration_date)::date, min(activity.month_start)),
            min(date_range.data_start_month)
        ) as first_month
    from users
    cross join date_range
    left join activity on users.user_id = activity.user_id
    group by users.user_id, users.registration_date
),

joined as (
    select
        users.user_key,
        users.customer_id,
        months.month_start,
        users.license_type,
        users.registration_date,
        users.registration_date <= months.month_end as is_licensed,
        users.registration_date between months.month_start and months.month_end as is_new_user,
        coalesce(activity.events_total, 0) > 0 as is_active,
        coalesce(activity.events_total, 0) as events_total,
        coalesce(activity.events_creation, 0) as events_creation,
        ${license_entitled_activity_types}[users.license_type] as entitled,
        (case when list_contains(entitled, 'Access') then 0 else coalesce(activity.events_access, 0) end)
        + (case when list_contains(entitled, 'Create') then 0 else coalesce(activity.events_create, 0) end)
        + (case when list_contains(entitled, 'View') then 0 else coalesce(activity.events_view, 0) end)
        + (case when list_contains(entitled, 'Publish') then 0 else coalesce(activity.events_publish, 0) end)
            as events_beyond_license,
        coalesce(activity.active_sites, 0) as active_sites
    from users
    inner join first_months on users.user_id = first_months.user_id
    inner join months on months.month_start >= first_months.first_month
    left join activity on users.user_id = activity.user_id and months.month_start = activity.month_start
)

select * exclude (entitled)
from joined;

-- Customer x month x licence, every licence type in every month from the
-- customer's first user-month.
create or replace table hw.customer_license_months as
with licences as (
    select
        unnest(${license_types}) as license_type,
        list_position(${license_types}, license_type) as license_rank
),

aggregated as (
    select
        customer_id,
        month_start,
        license_type,
        count(*) filter (where is_licensed) as licensed_users,
        count(*) filter (where is_active) as active_users,
        count(*) filter (where is_licensed and is_active) as active_licensed_users,
        sum(events_total) as events_total,
        count(*) filter (
            where is_licensed and license_type = ${license_types}[-1] and events_creation = 0
        ) as downgrade_candidates,
        count(*) filter (where events_beyond_license > 0) as upgrade_candidates,
        sum(events_beyond_license) as events_beyond_license
    from hw.fct_user_months
    group by all
)

select
    customer_months.customer_id,
    customer_months.month_start,
    licences.license_type,
    licences.license_rank,
    customers.account_tier,
    customers.region,
    customers.industry,
    customers.is_internal,
    coalesce(aggregated.licensed_users, 0) as licensed_users,
    coalesce(aggregated.active_users, 0) as active_users,
    aggregated.active_licensed_users::double / nullif(aggregated.licensed_users, 0) as licence_utilisation,
    coalesce(aggregated.events_total, 0) as events_total,
    coalesce(aggregated.downgrade_candidates, 0) as downgrade_candidates,
    coalesce(aggregated.upgrade_candidates, 0) as upgrade_candidates,
    coalesce(aggregated.events_beyond_license, 0) as events_beyond_license
from (select distinct customer_id, month_start from hw.fct_user_months) as customer_months
cross join licences
inner join customers on customer_months.customer_id = customers.customer_id
left join aggregated
    on
        customer_months.customer_id = aggregated.customer_id
        and customer_months.month_start = aggregated.month_start
        and licences.license_type = aggregated.license_type;

-- Customer-months of background processing, against the platform's month.
create or replace table hw.customer_background_job_months as
with customer_jobs as (
    select
        customer_id,
        month_start,
        min(account_tier) as account_tier,
        min(region) as region,
        min(industry) as industry,
        bool_or(is_internal) as is_internal,
        count(*) as sites,
        sum(columns('^job_runs$|^job_minutes_')),  -- runs, minutes in total and by type
        sum(storage_gib_avg) as storage_gib_avg
    from site_months
    group by all
),

customer_users as (
    select customer_id, month_start, sum(active_users) as active_users
    from hw.customer_license_months
    group by all
),

joined as (
    select
        customer_jobs.*,
        coalesce(customer_users.active_users, 0) as active_users,
        customer_jobs.job_minutes_total::double / nullif(customer_jobs.sites, 0) as job_minutes_per_site
    from customer_jobs
    left join customer_users
        on customer_jobs.customer_id = customer_users.customer_id and customer_jobs.month_start = customer_users.month_start
)

select
    *,
    job_minutes_total::double / nullif(active_users, 0) as job_minutes_per_active_user,
    job_minutes_total::double / nullif(sum(job_minutes_total) over (partition by month_start), 0)
        as job_minutes_share,
    percent_rank() over (partition by month_start order by job_minutes_total) as job_minutes_percent_rank,
    coalesce(job_minutes_per_site >= ${heavy_background_min_minutes_per_site}, false) as is_heavy_background_user
from joined;
