-- The transform baseline, part 2 of 6: every raw row typed and judged by the
-- rules of part 1 (see there for the conventions).

set schema = 'hw_work';

-- Customers: the rules, then duplicates among the rows that pass them.
create or replace table customers_checked as
with typed as (
    select
        clean(customer_id) as customer_id,
        canonical(industry, ${industries}) as industry,
        canonical(region, ${regions}) as region,
        canonical(account_tier, ${account_tiers}) as account_tier,
        lower(clean(contact_email)) as contact_email
    from raw.saas_customer_info
),

judged as (
    select
        *,
        coalesce(
            rule_present('customer_id', customer_id),
            rule_format('customer_id', customer_id, ${customer_id_pattern}),
            rule_one_of('industry', industry, ${industries}),
            rule_one_of('region', region, ${regions}),
            rule_one_of('account_tier', account_tier, ${account_tiers})
        ) as broken
    from typed
)

select
    customer_id,
    industry,
    region,
    account_tier,
    contact_email,
    coalesce(broken, duplicate(
        row_number() over (partition by broken is null, customer_id, industry, region, account_tier, contact_email),
        dense_rank() over (
            partition by broken is null, customer_id
            order by industry nulls last, region nulls last, account_tier nulls last, contact_email nulls last
        ),
        'customer_id'
    )) as verdict
from judged;

create or replace table customers as
select
    customer_id,
    industry,
    region,
    account_tier,
    string_split(contact_email, '@')[2] as contact_email_domain,
    customer_id in (select trim(customer_id) from raw.saas_internal_accounts) as is_internal
from customers_checked
where verdict is null;

-- Sites: their customer must be a clean customer.
create or replace table sites_checked as
with judged as (
    select
        typed.*,
        coalesce(
            rule_present('site_id', typed.site_id),
            rule_present('customer_id', typed.customer_id),
            rule_format('site_id', typed.site_id, ${site_id_pattern}),
            rule_format('customer_id', typed.customer_id, ${customer_id_pattern}),
            rule_known_customer(typed.customer_id, customers.customer_id is not null)
        ) as broken
    from (
        select upper(clean(site_id)) as site_id, clean(customer_id) as customer_id
        from raw.saas_sites
    ) as typed
    left join customers on typed.customer_id = customers.customer_id
)

select
    site_id,
    customer_id,
    coalesce(broken, duplicate(
        row_number() over (partition by broken is null, site_id, customer_id),
        dense_rank() over (partition by broken is null, site_id order by customer_id nulls last),
        'site_id'
    )) as verdict
from judged;

create or replace table sites as
select site_id, customer_id
from sites_checked
where verdict is null;

-- User-site assignments: the site must be a clean site of the user's customer.
create or replace table assignments_checked as
with typed as (
    select
        user_key(clean(customer_id), clean(user_email)) as user_key,
        clean(customer_id) as customer_id,
        upper(clean(site_id)) as site_id,
        lower(clean(user_email)) as user_email,
        canonical(license_type, ${license_types}) as license_type,
        iso_date(registration_date) as registration_date,
        registration_date as registration_date_text
    from raw.saas_users
),

judged as (
    select
        typed.*,
        coalesce(
            rule_present('customer_id', typed.customer_id),
            rule_present('site_id', typed.site_id),
            rule_present('user_email', typed.user_email),
            rule_format('customer_id', typed.customer_id, ${customer_id_pattern}),
            rule_format('site_id', typed.site_id, ${site_id_pattern}),
            rule_format_withheld('user_email', typed.user_email, ${email_pattern}),
            rule_date('registration_date', typed.registration_date, typed.registration_date_text),
            rule_date_in_range('registration_date', typed.registration_date, typed.registration_date_text),
            rule_one_of('license_type', typed.license_type, ${license_types}),
            rule_clean_site_of(typed.site_id, sites.customer_id, typed.customer_id)
        ) as broken
    from typed
    left join sites on typed.site_id = sites.site_id
)

select
    * exclude (broken),
    coalesce(broken, duplicate(
        row_number() over (
            partition by
                broken is null, user_key, customer_id, site_id, user_email, license_type, registration_date,
                registration_date_text
        ),
        dense_rank() over (
            partition by broken is null, customer_id, site_id, user_email
            order by
                user_key nulls last, license_type nulls last, registration_date nulls last,
                registration_date_text nulls last
        ),
        'customer_id, site_id, user_email'
    )) as verdict
from judged;

-- One row per user (customer + email): the earliest registration and the
-- highest licence over the user's clean assignments, disagreements flagged.
-- user_id, a small integer, stands in for user_key in the large joins.
create or replace table users as
select
    row_number() over (order by user_key) as user_id,
    user_key,
    customer_id,
    user_email,
    min(registration_date) as registration_date,
    ${license_types}[max(list_position(${license_types}, license_type))] as license_type,
    count(*) as assigned_sites,
    count(distinct registration_date) > 1 as has_conflicting_registration_dates,
    count(distinct license_type) > 1 as has_conflicting_licenses
from assignments_checked
where verdict is null
group by user_key, customer_id, user_email;

create or replace table assignments as
select
    users.user_id,
    users.user_key,
    checked.site_id,
    checked.customer_id,
    users.registration_date,
    users.license_type
from assignments_checked as checked
inner join users on checked.user_key = users.user_key
where checked.verdict is null;

-- Activity: the rules, with the site and the user looked up.
create or replace table activity_checked as
with typed as (
    select
        clean(customer_id) as customer_id,
        lower(clean(user_email)) as user_email,
        upper(clean(site_id)) as site_id,
        iso_date(date) as activity_date,
        canonical(activity_type, ${activity_types}) as activity_type,
        whole_number(event_count) as event_count,
        date as activity_date_text,
        event_count as event_count_text
    from raw.saas_user_activity
)

select
    typed.*,
    users.user_id,
    users.registration_date,
    coalesce(
        rule_present('customer_id', typed.customer_id),
        rule_present('site_id', typed.site_id),
        rule_present('user_email', typed.user_email),
        rule_format('customer_id', typed.customer_id, ${customer_id_pattern}),
        rule_format('site_id', typed.site_id, ${site_id_pattern}),
        rule_format_withheld('user_email', typed.user_email, ${email_pattern}),
        rule_date('activity_date', typed.activity_date, typed.activity_date_text),
        rule_date_in_range('activity_date', typed.activity_date, typed.activity_date_text),
        rule_whole_number('event_count', typed.event_count, typed.event_count_text),
        rule_non_negative('event_count', typed.event_count, typed.event_count_text),
        rule_at_most('event_count', typed.event_count, typed.event_count_text),
        rule_one_of('activity_type', typed.activity_type, ${activity_types}),
        rule_clean_site_of(typed.site_id, sites.customer_id, typed.customer_id),
        rule_known_user(typed.customer_id, users.registration_date)
    ) as broken
from typed
left join sites on typed.site_id = sites.site_id
left join users on typed.customer_id = users.customer_id and typed.user_email = users.user_email;

-- Duplicates are rare: keys seen twice are found by a hash of the key (a
-- collision only adds a candidate), and only their rows are ranked.
create or replace table activity_repeated_keys as
select hash(customer_id, user_email, site_id, activity_date, activity_type) as key_hash
from activity_checked
where broken is null
group by key_hash
having count(*) > 1;

create or replace table activity_repeats as
select
    * exclude (broken),
    duplicate(
        row_number() over (
            partition by
                customer_id, user_email, site_id, activity_date, activity_type, event_count, activity_date_text,
                event_count_text
        ),
        dense_rank() over (
            partition by customer_id, user_email, site_id, activity_date, activity_type
            order by event_count, activity_date_text, event_count_text
        ),
        'user_key, site_id, activity_date, activity_type'
    ) as verdict
from activity_checked
where
    broken is null
    and hash(customer_id, user_email, site_id, activity_date, activity_type)
    in (select key_hash from activity_repeated_keys);

create or replace view activity_clean as
select user_id, site_id, activity_date, activity_type, event_count, registration_date
from activity_checked
where
    broken is null
    and hash(customer_id, user_email, site_id, activity_date, activity_type)
    not in (select key_hash from activity_repeated_keys)
union all
select user_id, site_id, activity_date, activity_type, event_count, registration_date
from activity_repeats
where verdict is null;

-- Storage snapshots: one per site and day.
create or replace table storage_checked as
with typed as (
    select
        upper(clean(site_id)) as site_id,
        clean(customer_id) as customer_id,
        whole_number(storage_bytes) as storage_bytes,
        storage_bytes as storage_bytes_text,
        iso_date(date) as storage_date,
        date as storage_date_text
    from raw.saas_storage
)

select
    typed.*,
    coalesce(
        rule_site_feed_keys(typed.customer_id, typed.site_id),
        rule_date('storage_date', typed.storage_date, typed.storage_date_text),
        rule_date_in_range('storage_date', typed.storage_date, typed.storage_date_text),
        rule_whole_number('storage_bytes', typed.storage_bytes, typed.storage_bytes_text),
        rule_non_negative('storage_bytes', typed.storage_bytes, typed.storage_bytes_text),
        rule_at_most('storage_bytes', typed.storage_bytes, typed.storage_bytes_text),
        rule_clean_site_of(typed.site_id, sites.customer_id, typed.customer_id)
    ) as broken
from typed
left join sites on typed.site_id = sites.site_id;

create or replace table storage_repeated_keys as
select hash(site_id, storage_date) as key_hash
from storage_checked
where broken is null
group by key_hash
having count(*) > 1;

create or replace table storage_repeats as
select
    * exclude (broken),
    duplicate(
        row_number() over (
            partition by site_id, storage_date, customer_id, storage_bytes, storage_date_text, storage_bytes_text
        ),
        dense_rank() over (
            partition by site_id, storage_date
            order by customer_id, storage_bytes, storage_date_text, storage_bytes_text
        ),
        'site_id, storage_date'
    ) as verdict
from storage_checked
where broken is null and hash(site_id, storage_date) in (select key_hash from storage_repeated_keys);

create or replace view storage_clean as
select site_id, storage_date, storage_bytes
from storage_checked
where broken is null and hash(site_id, storage_date) not in (select key_hash from storage_repeated_keys)
union all
select site_id, storage_date, storage_bytes
from storage_repeats
where verdict is null;

-- Background-job runs: no key, so no duplicates (identical runs are two runs).
create or replace table jobs_checked as
with typed as (
    select
        upper(clean(site_id)) as site_id,
        clean(customer_id) as customer_id,
        canonical(background_job_type, ${background_job_types}) as background_job_type,
        whole_number(background_job_min) as job_minutes,
        background_job_min as job_minutes_text,
        iso_date(date) as job_date,
        date as job_date_text
    from raw.saas_background_jobs
)

select
    typed.*,
    coalesce(
        rule_site_feed_keys(typed.customer_id, typed.site_id),
        rule_date('job_date', typed.job_date, typed.job_date_text),
        rule_date_in_range('job_date', typed.job_date, typed.job_date_text),
        rule_whole_number('job_minutes', typed.job_minutes, typed.job_minutes_text),
        rule_non_negative('job_minutes', typed.job_minutes, typed.job_minutes_text),
        rule_at_most('job_minutes', typed.job_minutes, typed.job_minutes_text),
        rule_one_of('background_job_type', typed.background_job_type, ${background_job_types}),
        rule_clean_site_of(typed.site_id, sites.customer_id, typed.customer_id)
    ) as broken
from typed
left join sites on typed.site_id = sites.site_id;
