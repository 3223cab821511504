-- The transform baseline of bench/run.py: the project's main computation
-- written by hand in plain DuckDB SQL, run directly with the duckdb module (no
-- dbt). It reads the six raw all-text tables in schema `raw` (seeded tables,
-- or views over the Parquet files at large scale) and writes schema `hw`:
--
--   typed staging + the data-quality rules (clean rows only: the same key
--   patterns, date/number parsing, accepted values, orphan-site, site-owner,
--   unknown-user and duplicate rules as the int_*_checked models), user
--   dedupe, the site-month spine, hw.fct_site_months (the contract columns)
--   and the three segment marts (hw.seg_*_months).
--
-- What it leaves out, and dbt does on top: raw_row_id / user_key hashes,
-- quarantine tables and reason messages, incremental bookkeeping (partition
-- columns, checksums), the other marts (dims, licensing, onboarding, jobs,
-- long report, semantic spines) and every test. The values it computes are
-- the project's: bench.py compares hw.fct_site_months and the segment marts
-- with dbt's, row for row, and reports whether they match.
--
-- Constants are the defaults of dbt_project.yml's vars (onboarding_days 30,
-- key patterns, accepted values). Statements are separated by `;` at the end of
-- a line; bench.py times each one.

create schema if not exists hw;
-- intermediate tables go to schema hw_work (tables, not temp tables: at
-- 100M+ rows a temp table lives in memory and spills)
create schema if not exists hw_work;
set schema = 'hw_work';

create or replace macro clean(x) as nullif(trim(x), '');
create or replace macro iso_date(x) as
    case when regexp_full_match(clean(x), '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_cast(clean(x) as date) end;
create or replace macro whole_number(x) as
    case when regexp_full_match(clean(x), '-?[0-9]{1,18}') then try_cast(clean(x) as bigint) end;
-- canonical spelling of a category (case- and space-insensitive), else null
create or replace macro canonical(x, accepted) as
    list_filter(accepted, lambda v: lower(v) = lower(trim(x)))[1];

-- 1. customers and sites: validate, drop duplicates (first row in column order wins)
create or replace table customers as
with typed as (
    select
        clean(customer_id) as customer_id,
        canonical(industry, ['Technology', 'Finance', 'Healthcare', 'Retail', 'Education',
            'Manufacturing', 'Transportation & Logistics', 'Media & Entertainment',
            'Professional Services', 'Government & Public Sector']) as industry,
        canonical(region, ['North America', 'EMEA', 'APAC']) as region,
        canonical(account_tier, ['Commercial', 'SMB', 'Enterprise']) as account_tier,
        lower(clean(contact_email)) as contact_email
    from raw.saas_customer_info
)
select
    customer_id, industry, region, account_tier,
    customer_id in (select trim(customer_id) from raw.saas_internal_accounts) as is_internal
from typed
where regexp_full_match(customer_id, '[0-9]{10}')
    and industry is not null and region is not null and account_tier is not null
qualify row_number() over (
    partition by customer_id
    order by industry, region, account_tier, contact_email nulls last
) = 1;

create or replace table sites as
select upper(clean(site_id)) as site_id, clean(customer_id) as customer_id
from raw.saas_sites
where regexp_full_match(upper(clean(site_id)), 'A[0-9]{11}')
    and clean(customer_id) in (select customer_id from customers)
qualify row_number() over (partition by upper(clean(site_id)) order by clean(customer_id)) = 1;

-- 2. user-site assignments: validate, drop duplicates, merge per user
create or replace table assignments as
with typed as (
    select
        clean(customer_id) as customer_id,
        upper(clean(site_id)) as site_id,
        lower(clean(user_email)) as user_email,
        canonical(license_type, ['Viewer', 'Explorer', 'Creator']) as license_type,
        iso_date(registration_date) as registration_date,
        clean(registration_date) as registration_date_text
    from raw.saas_users
)
select typed.customer_id, typed.site_id, typed.user_email, typed.license_type, typed.registration_date
from typed
inner join sites on typed.site_id = sites.site_id and typed.customer_id = sites.customer_id
where regexp_full_match(typed.user_email, '[^@\s]+@[^@\s]+\.[a-z]{2,}')
    and typed.registration_date is not null and typed.license_type is not null
qualify row_number() over (
    partition by typed.customer_id, typed.site_id, typed.user_email
    order by typed.license_type, typed.registration_date, typed.registration_date_text
) = 1;

create or replace table users as
select
    customer_id,
    user_email,
    min(registration_date) as registration_date,
    ['Viewer', 'Explorer', 'Creator'][max(list_position(['Viewer', 'Explorer', 'Creator'], license_type))]
        as license_type
from assignments
group by customer_id, user_email;

-- 3. the daily feeds: typed, validated, duplicates dropped
create or replace table activity_valid as
select
    typed.customer_id, typed.site_id, typed.user_email, typed.activity_date, typed.activity_type,
    typed.event_count, typed.date_text, typed.count_text, users.registration_date
from (
    select
        clean(customer_id) as customer_id,
        upper(clean(site_id)) as site_id,
        lower(clean(user_email)) as user_email,
        iso_date(date) as activity_date,
        canonical(activity_type, ['Access', 'Create', 'View', 'Publish']) as activity_type,
        whole_number(event_count) as event_count,
        clean(date) as date_text,
        clean(event_count) as count_text
    from raw.saas_user_activity
) as typed
inner join sites on typed.site_id = sites.site_id and typed.customer_id = sites.customer_id
inner join users on typed.customer_id = users.customer_id and typed.user_email = users.user_email
where typed.activity_date is not null and typed.event_count >= 0 and typed.activity_type is not null;

-- duplicates (same user, site, day and type): the first in column order is
-- kept; keys seen more than once are found by their hash first (cheap)
create or replace table activity as
with repeated as (
    select hash(customer_id, user_email, site_id, activity_date, activity_type) as key_hash
    from activity_valid
    group by key_hash
    having count(*) > 1
)

select customer_id, site_id, user_email, activity_date, activity_type, event_count, registration_date
from activity_valid
where hash(customer_id, user_email, site_id, activity_date, activity_type)
    not in (select key_hash from repeated)
union all
(
    select customer_id, site_id, user_email, activity_date, activity_type, event_count, registration_date
    from activity_valid
    where hash(customer_id, user_email, site_id, activity_date, activity_type)
        in (select key_hash from repeated)
    qualify row_number() over (
        partition by customer_id, user_email, site_id, activity_date, activity_type
        order by event_count, date_text, count_text
    ) = 1
);

create or replace table storage as
with typed as (
    select
        clean(customer_id) as customer_id,
        upper(clean(site_id)) as site_id,
        iso_date(date) as storage_date,
        whole_number(storage_bytes) as storage_bytes,
        clean(date) as date_text,
        clean(storage_bytes) as bytes_text
    from raw.saas_storage
)
select typed.site_id, typed.storage_date, typed.storage_bytes
from typed
inner join sites on typed.site_id = sites.site_id and typed.customer_id = sites.customer_id
where typed.storage_date is not null and typed.storage_bytes >= 0
qualify row_number() over (
    partition by typed.site_id, typed.storage_date
    order by typed.storage_bytes, typed.date_text, typed.bytes_text
) = 1;

create or replace table jobs as
select typed.site_id, typed.job_date, typed.job_type, typed.job_minutes
from (
    select
        clean(customer_id) as customer_id,
        upper(clean(site_id)) as site_id,
        iso_date(date) as job_date,
        canonical(background_job_type, ['extract', 'subscription', 'flow run', 'alert', 'bridge'])
            as job_type,
        whole_number(background_job_min) as job_minutes
    from raw.saas_background_jobs
) as typed
inner join sites on typed.site_id = sites.site_id and typed.customer_id = sites.customer_id
where typed.job_date is not null and typed.job_minutes >= 0 and typed.job_type is not null;

-- 4. the months of the data (first to last month with any event row) and the
-- site-month spine: from each site's go-live month (first date with any data)
-- through the last month, clamped to the first
create or replace table months as
select month_start::date as month_start, last_day(month_start::date) as month_end
from (
    select date_trunc('month', min(d))::date as first_month, date_trunc('month', max(d))::date as last_month
    from (
        select activity_date as d from activity
        union all select storage_date from storage
        union all select job_date from jobs
    )
) as data_range
cross join lateral generate_series(first_month, last_month, interval 1 month) as series(month_start);

create or replace table site_months as
with go_live as (
    select site_id, min(d) as go_live_date
    from (
        select assignments.site_id, users.registration_date as d
        from assignments
        inner join users using (customer_id, user_email)
        union all select site_id, activity_date from activity where event_count > 0
        union all select site_id, storage_date from storage
        union all select site_id, job_date from jobs
    )
    group by site_id
)

select sites.site_id, sites.customer_id, months.month_start, months.month_end
from sites
inner join go_live using (site_id)
inner join months on months.month_start >= date_trunc('month', go_live.go_live_date);

-- 5. the fact table: one row per site and month
create or replace table hw.fct_site_months as
with licensed as (
    select
        site_months.site_id,
        site_months.month_start,
        count(users.user_email) as licensed_users,
        count(*) filter (where users.license_type = 'Viewer') as licensed_viewers,
        count(*) filter (where users.license_type = 'Explorer') as licensed_explorers,
        count(*) filter (where users.license_type = 'Creator') as licensed_creators,
        count(*) filter (where users.registration_date >= site_months.month_start) as new_users
    from site_months
    left join assignments on site_months.site_id = assignments.site_id
    left join users
        on assignments.customer_id = users.customer_id
        and assignments.user_email = users.user_email
        and users.registration_date <= site_months.month_end
    group by all
),

events as (
    select
        site_id,
        date_trunc('month', activity_date)::date as month_start,
        count(distinct user_email) filter (where event_count > 0) as active_users,
        sum(event_count) as events_total,
        sum(event_count) filter (where activity_type = 'Access') as events_access,
        sum(event_count) filter (where activity_type = 'Create') as events_create,
        sum(event_count) filter (where activity_type = 'View') as events_view,
        sum(event_count) filter (where activity_type = 'Publish') as events_publish,
        sum(event_count) filter (where activity_date - registration_date >= 30) as events_after_onboarding
    from activity
    group by all
),

storage_months as (
    select
        site_id,
        date_trunc('month', storage_date)::date as month_start,
        avg(storage_bytes) as storage_bytes_avg,
        max(storage_bytes) as storage_bytes_max,
        arg_max(storage_bytes, storage_date) as storage_bytes_month_end
    from storage
    group by all
),

job_months as (
    select
        site_id,
        date_trunc('month', job_date)::date as month_start,
        count(*) as job_runs,
        sum(job_minutes) as job_minutes_total,
        sum(job_minutes) filter (where job_type = 'extract') as job_minutes_extract,
        sum(job_minutes) filter (where job_type = 'subscription') as job_minutes_subscription,
        sum(job_minutes) filter (where job_type = 'flow run') as job_minutes_flow_run,
        sum(job_minutes) filter (where job_type = 'alert') as job_minutes_alert,
        sum(job_minutes) filter (where job_type = 'bridge') as job_minutes_bridge
    from jobs
    group by all
)

select
    site_months.site_id,
    site_months.customer_id,
    site_months.month_start,
    customers.account_tier,
    customers.region,
    customers.industry,
    customers.is_internal,
    licensed.licensed_users,
    licensed.licensed_viewers,
    licensed.licensed_explorers,
    licensed.licensed_creators,
    licensed.new_users,
    coalesce(events.active_users, 0) as active_users,
    coalesce(events.events_total, 0)::bigint as events_total,
    coalesce(events.events_access, 0)::bigint as events_access,
    coalesce(events.events_create, 0)::bigint as events_create,
    coalesce(events.events_view, 0)::bigint as events_view,
    coalesce(events.events_publish, 0)::bigint as events_publish,
    coalesce(events.events_after_onboarding, 0)::bigint as events_after_onboarding,
    storage_months.storage_bytes_avg,
    storage_months.storage_bytes_max,
    storage_months.storage_bytes_month_end,
    storage_months.storage_bytes_avg / 1073741824 as storage_gib_avg,
    coalesce(job_months.job_runs, 0) as job_runs,
    coalesce(job_months.job_minutes_total, 0)::bigint as job_minutes_total,
    coalesce(job_months.job_minutes_extract, 0)::bigint as job_minutes_extract,
    coalesce(job_months.job_minutes_subscription, 0)::bigint as job_minutes_subscription,
    coalesce(job_months.job_minutes_flow_run, 0)::bigint as job_minutes_flow_run,
    coalesce(job_months.job_minutes_alert, 0)::bigint as job_minutes_alert,
    coalesce(job_months.job_minutes_bridge, 0)::bigint as job_minutes_bridge
from site_months
inner join customers using (customer_id)
inner join licensed using (site_id, month_start)
left join events using (site_id, month_start)
left join storage_months using (site_id, month_start)
left join job_months using (site_id, month_start);

-- 6. segment marts: users counted once per segment (across their sites),
-- internal accounts left out
create or replace table user_months as
with active as (
    select distinct customer_id, user_email, date_trunc('month', activity_date)::date as month_start
    from activity
    where event_count > 0
)

select
    customers.account_tier,
    customers.region,
    customers.industry,
    months.month_start,
    count(*) filter (where users.registration_date <= months.month_end) as licensed_users,
    count(active.user_email) as active_users
from users
inner join customers on users.customer_id = customers.customer_id and not customers.is_internal
cross join months
left join active
    on users.customer_id = active.customer_id
    and users.user_email = active.user_email
    and months.month_start = active.month_start
group by grouping sets (
    (customers.account_tier, months.month_start),
    (customers.region, months.month_start),
    (customers.industry, months.month_start)
);

create or replace table site_segments as
select
    account_tier, region, industry, month_start,
    count(distinct customer_id) as customers,
    count(*) as sites,
    count(*) filter (where events_total > 0) as active_sites,
    sum(events_total) as events_total,
    sum(storage_gib_avg) as storage_gib_avg,
    sum(job_minutes_total) as job_minutes_total
from hw.fct_site_months
where not is_internal
group by grouping sets ((account_tier, month_start), (region, month_start), (industry, month_start));

create or replace macro segment_months(segment) as table
with spine as (
    select segments.segment_value, months.month_start
    from (
        select distinct
            case segment when 'account_tier' then account_tier when 'region' then region else industry end
                as segment_value
        from customers
        where not is_internal
    ) as segments
    cross join months
),

sites_part as (
    select
        case segment when 'account_tier' then account_tier when 'region' then region else industry end
            as segment_value,
        * exclude (account_tier, region, industry)
    from site_segments
    where case segment when 'account_tier' then account_tier when 'region' then region else industry end
        is not null
),

users_part as (
    select
        case segment when 'account_tier' then account_tier when 'region' then region else industry end
            as segment_value,
        month_start, licensed_users, active_users
    from user_months
    where case segment when 'account_tier' then account_tier when 'region' then region else industry end
        is not null
),

joined as (
    select
        spine.segment_value,
        spine.month_start,
        coalesce(sites_part.customers, 0) as customers,
        coalesce(sites_part.sites, 0) as sites,
        coalesce(sites_part.active_sites, 0) as active_sites,
        coalesce(users_part.licensed_users, 0) as licensed_users,
        coalesce(users_part.active_users, 0) as active_users,
        coalesce(sites_part.events_total, 0)::bigint as events_total,
        sites_part.storage_gib_avg,
        coalesce(sites_part.job_minutes_total, 0)::bigint as job_minutes_total
    from spine
    left join sites_part using (segment_value, month_start)
    left join users_part using (segment_value, month_start)
)

select
    segment_value,
    month_start,
    customers,
    active_sites,
    licensed_users,
    active_users,
    active_users / nullif(licensed_users, 0) as licence_utilisation,
    events_total,
    events_total / nullif(active_users, 0) as events_per_active_user,
    storage_gib_avg,
    job_minutes_total,
    job_minutes_total / nullif(sites, 0) as job_minutes_per_site,
    (events_total - lag(events_total) over w) / nullif(lag(events_total) over w, 0)
        as events_total_mom_growth,
    (active_users - lag(active_users) over w) / nullif(lag(active_users) over w, 0)
        as active_users_mom_growth
from joined
window w as (partition by segment_value order by month_start);

create or replace table hw.seg_account_tier_months as
select segment_value as account_tier, * exclude (segment_value) from segment_months('account_tier');

create or replace table hw.seg_region_months as
select segment_value as region, * exclude (segment_value) from segment_months('region');

create or replace table hw.seg_industry_months as
select segment_value as industry, * exclude (segment_value) from segment_months('industry');
