-- The transform baseline, part 5 of 6: segments, onboarding
-- signals and the dimensions (see part 1 for the conventions).

set schema = 'hw_work';

-- Segment x month for every segmentation, every month present; internal
-- accounts out unless the project says otherwise. Users come from the
-- licence mart, where a user on several sites counts once.
create or replace table hw.seg_months as
with segment_customers as (
    select customer_id, segment_type, segment_value
    from (
        select customer_id, account_tier, region, industry
        from customers
        where ${segment_include_internal} or not is_internal
    ) unpivot (segment_value for segment_type in (account_tier, region, industry))
),

spine as (
    select distinct segment_customers.segment_type, segment_customers.segment_value, months.month_start
    from segment_customers
    cross join months
),

site_metrics as (
    select
        segment_customers.segment_type,
        segment_customers.segment_value,
        site_months.month_start,
        count(distinct site_months.customer_id) as customers,
        count(*) as sites,
        count(*) filter (where site_months.events_total > 0) as active_sites,
        sum(site_months.events_total) as events_total,
        sum(site_months.storage_gib_avg) as storage_gib_avg,
        sum(site_months.job_minutes_total) as job_minutes_total
    from site_months
    inner join segment_customers on site_months.customer_id = segment_customers.customer_id
    group by all
),

user_metrics as (
    select
        segment_customers.segment_type,
        segment_customers.segment_value,
        licences.month_start,
        sum(licences.licensed_users) as licensed_users,
        sum(licences.active_users) as active_users
    from hw.customer_license_months as licences
    inner join segment_customers on licences.customer_id = segment_customers.customer_id
    group by all
),

joined as (
    select
        spine.*,
        -- counts are 0 where a segment had nothing; storage stays unmeasured
        coalesce(columns(site_metrics.* exclude (segment_type, segment_value, month_start, storage_gib_avg)), 0),
        site_metrics.storage_gib_avg,
        coalesce(columns(user_metrics.* exclude (segment_type, segment_value, month_start)), 0)
    from spine
    left join site_metrics using (segment_type, segment_value, month_start)
    left join user_metrics using (segment_type, segment_value, month_start)
)

select
    *,
    active_users::double / nullif(licensed_users, 0) as licence_utilisation,
    events_total::double / nullif(active_users, 0) as events_per_active_user,
    job_minutes_total::double / nullif(sites, 0) as job_minutes_per_site,
    (events_total - lag(events_total) over segment_series)::double
    / nullif(lag(events_total) over segment_series, 0) as events_total_mom_growth,
    (active_users - lag(active_users) over segment_series)::double
    / nullif(lag(active_users) over segment_series, 0) as active_users_mom_growth
from joined
window segment_series as (partition by segment_type, segment_value order by month_start);

create or replace table hw.seg_account_tier_months as
select segment_value as account_tier, * exclude (segment_type, segment_value)
from hw.seg_months
where segment_type = 'account_tier';

create or replace table hw.seg_region_months as
select segment_value as region, * exclude (segment_type, segment_value)
from hw.seg_months
where segment_type = 'region';

create or replace table hw.seg_industry_months as
select segment_value as industry, * exclude (segment_type, segment_value)
from hw.seg_months
where segment_type = 'industry';

-- The first days of each site going live inside the data, and its signals.
create or replace table hw.onboarding_site_signals as
with windows as (
    select
        sites.site_id,
        sites.customer_id,
        sites.go_live_date,
        sites.go_live_date + (${onboarding_window_days} - 1) as window_end_date,
        sites.go_live_date + (${onboarding_window_days} - ${signal_stalled_tail_days}) as tail_start_date,
        date_range.data_end_date
    from site_lifecycle as sites
    cross join date_range
    where sites.go_live_date > date_range.data_start_date
),

activity as (
    select
        windows.site_id,
        sum(days.events_total) as events_in_window,
        coalesce(sum(days.events_total) filter (where days.activity_date >= windows.tail_start_date), 0)
            as events_in_window_tail,
        sum(days.events_creation) as creation_events_in_window
    from windows
    inner join site_days as days
        on windows.site_id = days.site_id and days.activity_date between windows.go_live_date and windows.window_end_date
    group by windows.site_id
),

-- a user is active in the window when their first event on the site falls in it
active_users as (
    select windows.site_id, count(*) as active_users_in_window
    from windows
    inner join (
        select site_id, user_id, min(first_activity_date) as first_activity_date
        from user_site_months
        group by all
    ) as user_sites
        on windows.site_id = user_sites.site_id and user_sites.first_activity_date <= windows.window_end_date
    group by windows.site_id
),

storage as (
    select windows.site_id, max(storage.storage_bytes) as storage_bytes_peak_in_window
    from windows
    inner join storage_clean as storage
        on
            windows.site_id = storage.site_id
            and storage.storage_date between windows.go_live_date and windows.window_end_date
    group by windows.site_id
),

licensed as (
    select windows.site_id, count(*) as licensed_users_in_window
    from windows
    inner join assignments
        on windows.site_id = assignments.site_id and assignments.registration_date <= windows.window_end_date
    group by windows.site_id
),

measured as (
    select
        windows.site_id,
        windows.customer_id,
        windows.go_live_date,
        windows.window_end_date,
        ${onboarding_window_days}::bigint as onboarding_window_days,
        least(windows.data_end_date - windows.go_live_date + 1, ${onboarding_window_days}) as window_days_observed,
        windows.window_end_date <= windows.data_end_date as is_window_complete,
        coalesce(activity.events_in_window, 0) as events_in_window,
        coalesce(activity.events_in_window_tail, 0) as events_in_window_tail,
        coalesce(activity.creation_events_in_window, 0) as creation_events_in_window,
        coalesce(active_users.active_users_in_window, 0) as active_users_in_window,
        coalesce(licensed.licensed_users_in_window, 0) as licensed_users_in_window,
        storage.storage_bytes_peak_in_window
    from windows
    left join activity on windows.site_id = activity.site_id
    left join active_users on windows.site_id = active_users.site_id
    left join storage on windows.site_id = storage.site_id
    left join licensed on windows.site_id = licensed.site_id
),

signalled as (
    select
        *,
        active_users_in_window::double / nullif(licensed_users_in_window, 0) as activation_rate,
        events_in_window >= ${signal_high_activity_min_events}
        and coalesce(storage_bytes_peak_in_window, 0) <= ${signal_no_storage_max_bytes}
            as is_high_activity_no_storage,
        is_window_complete and licensed_users_in_window > 0 and events_in_window_tail = 0 as is_stalled
    from measured
)

select
    *,
    is_window_complete
    and not is_stalled
    and coalesce(activation_rate, 0) < ${signal_slow_ramp_max_activation_rate} as is_slow_ramp,
    events_in_window > 0 and creation_events_in_window = 0 as is_no_content_created
from signalled;

create or replace table hw.dim_customers as
with sites as (
    select
        customer_id,
        count(*) as sites,
        count(go_live_date) as live_sites,
        min(go_live_date) as first_go_live_date,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date
    from site_lifecycle
    group by customer_id
),

customer_users as (
    select
        customer_id,
        count(*) as users,
        count(*) filter (where license_type = 'Viewer') as users_viewer,
        count(*) filter (where license_type = 'Explorer') as users_explorer,
        count(*) filter (where license_type = 'Creator') as users_creator
    from users
    group by customer_id
)

select
    customers.*,
    coalesce(sites.sites, 0) as sites,
    coalesce(sites.live_sites, 0) as live_sites,
    coalesce(columns(customer_users.* exclude (customer_id)), 0),
    sites.first_go_live_date,
    sites.first_activity_date,
    sites.last_activity_date
from customers
left join sites on customers.customer_id = sites.customer_id
left join customer_users on customers.customer_id = customer_users.customer_id;

create or replace table hw.dim_sites as
with assigned as (
    select
        site_id,
        count(*) as assigned_users,
        count(*) filter (where license_type = 'Viewer') as assigned_viewers,
        count(*) filter (where license_type = 'Explorer') as assigned_explorers,
        count(*) filter (where license_type = 'Creator') as assigned_creators
    from assignments
    group by site_id
)

select
    sites.* exclude (first_feed_date, last_feed_date),
    sites.go_live_date > date_range.data_start_date as is_go_live_in_data,
    coalesce(columns(assigned.* exclude (site_id)), 0),
    date_range.data_end_date - sites.last_activity_date as days_since_last_activity,
    coalesce(date_range.data_end_date - sites.last_activity_date > ${churn_inactive_days}, false) as is_churned
from site_lifecycle as sites
cross join date_range
left join assigned on sites.site_id = assigned.site_id;

create or replace table hw.dim_users as
with activity as (
    select
        user_id,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date,
        sum(events_total) as events_total,
        count(distinct site_id) as active_sites
    from user_site_months
    where events_total > 0
    group by user_id
)

select
    users.* exclude (user_id, user_email),
    customers.* exclude (customer_id, contact_email_domain),
    activity.first_activity_date,
    activity.last_activity_date,
    coalesce(activity.events_total, 0) as events_total,
    coalesce(activity.active_sites, 0) as active_sites,
    activity.user_id is null as is_never_active,
    coalesce(date_range.data_end_date - activity.last_activity_date > ${churn_inactive_days}, false) as is_dormant
from users
inner join customers on users.customer_id = customers.customer_id
cross join date_range
left join activity on users.user_id = activity.user_id;
