-- The transform baseline, part 1 of 5: every raw row typed and judged.
--
-- A lean one-off recomputation of everything the dbt build computes, in
-- plain DuckDB SQL, run statement by statement by bench/handwritten.py (no
-- dbt). It reads the six all-text raw tables of schema `raw` (seeded tables,
-- or views over the Parquet files) and the `raw.saas_internal_accounts`
-- lookup; the marts land in schema `hw`, intermediate tables in `hw_work`.
-- Files run in name order; statements end with `;` at the end of a line.
--
-- `${name}` is the value of the var `name` in dbt_project.yml, rendered as a
-- SQL literal (text quoted, lists as lists, mappings as MAPs), so the rules,
-- category lists and thresholds are the project's. What is written out here:
-- the contract's pivot columns (events_access, job_minutes_extract,
-- licensed_viewers ...; their names fix the categories they count) and the
-- check order of each raw table.
--
-- The rules, as the dbt project applies them: a row takes the reason of the
-- first rule it breaks (missing_key, malformed_key, invalid_date,
-- invalid_number, negative_number, unknown_category, unknown_customer,
-- orphan_site, site_customer_mismatch, unknown_user); among the rows that
-- break none, rows sharing a key are ranked on all their values: the first
-- stays clean, exact copies are duplicate_row, other values duplicate_key.
-- Background-job runs have no key. Messages are built for failing rows only.

create schema if not exists hw;
-- intermediate tables are real tables: at 100M+ rows a temp table lives in
-- memory and spills
create schema if not exists hw_work;
set schema = 'hw_work';

create or replace macro clean(x) as nullif(trim(x), '');
create or replace macro iso_date(x) as
    case when regexp_full_match(clean(x), '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_cast(clean(x) as date) end;
create or replace macro whole_number(x) as
    case when regexp_full_match(clean(x), '-?[0-9]{1,18}') then try_cast(clean(x) as bigint) end;
-- the accepted spelling of a category, ignoring case and spaces; else the trimmed text
create or replace macro canonical(x, accepted) as coalesce(
    accepted[list_position(list_transform(accepted, lambda v: lower(v)), lower(trim(x)))], clean(x)
);
create or replace macro quoted(x) as coalesce('"' || x || '"', '<null>');
create or replace macro one_of(accepted) as array_to_string(accepted, ', ');
create or replace macro user_key(customer_id, user_email) as md5(customer_id || '|' || lower(user_email));

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
        case
            when customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
            when not regexp_full_match(customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
                'message': 'customer_id ' || quoted(customer_id) || ' does not match ' || ${customer_id_pattern}}
            when not coalesce(list_contains(${industries}, industry), false) then {'code': 'unknown_category',
                'message': 'industry ' || quoted(industry) || ' is not one of ' || one_of(${industries})}
            when not coalesce(list_contains(${regions}, region), false) then {'code': 'unknown_category',
                'message': 'region ' || quoted(region) || ' is not one of ' || one_of(${regions})}
            when not coalesce(list_contains(${account_tiers}, account_tier), false) then {'code': 'unknown_category',
                'message': 'account_tier ' || quoted(account_tier) || ' is not one of ' || one_of(${account_tiers})}
        end as broken
    from typed
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by broken is null, customer_id
            order by industry nulls last, region nulls last, account_tier nulls last, contact_email nulls last
        ) as key_rank,
        row_number() over (
            partition by broken is null, customer_id, industry, region, account_tier, contact_email
        ) as copy_number
    from judged
)

select
    customer_id,
    industry,
    region,
    account_tier,
    contact_email,
    case
        when broken is not null then broken.code
        when copy_number > 1 then 'duplicate_row'
        when key_rank > 1 then 'duplicate_key'
    end as reason_code,
    case
        when broken is not null then broken.message
        when copy_number > 1 then 'exact duplicate of another row'
        when key_rank > 1 then 'another row has the same customer_id with other values'
    end as reason_message
from ranked;

create or replace table customers as
select
    customer_id,
    industry,
    region,
    account_tier,
    string_split(contact_email, '@')[2] as contact_email_domain,
    customer_id in (select trim(customer_id) from raw.saas_internal_accounts) as is_internal
from customers_checked
where reason_code is null;

-- Sites: their customer must be a clean customer.
create or replace table sites_checked as
with typed as (
    select
        upper(clean(site_id)) as site_id,
        clean(customer_id) as customer_id
    from raw.saas_sites
),

judged as (
    select
        *,
        case
            when site_id is null then {'code': 'missing_key', 'message': 'site_id is missing'}
            when customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
            when not regexp_full_match(site_id, ${site_id_pattern}) then {'code': 'malformed_key',
                'message': 'site_id ' || quoted(site_id) || ' does not match ' || ${site_id_pattern}}
            when not regexp_full_match(customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
                'message': 'customer_id ' || quoted(customer_id) || ' does not match ' || ${customer_id_pattern}}
            when customer_id not in (select customer_id from customers) then {'code': 'unknown_customer',
                'message': 'customer_id "' || customer_id || '" is not a clean customer'}
        end as broken
    from typed
),

ranked as (
    select
        *,
        dense_rank() over (partition by broken is null, site_id order by customer_id nulls last) as key_rank,
        row_number() over (partition by broken is null, site_id, customer_id) as copy_number
    from judged
)

select
    site_id,
    customer_id,
    case
        when broken is not null then broken.code
        when copy_number > 1 then 'duplicate_row'
        when key_rank > 1 then 'duplicate_key'
    end as reason_code,
    case
        when broken is not null then broken.message
        when copy_number > 1 then 'exact duplicate of another row'
        when key_rank > 1 then 'another row has the same site_id with other values'
    end as reason_message
from ranked;

create or replace table sites as
select site_id, customer_id
from sites_checked
where reason_code is null;

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
        case
            when typed.customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
            when typed.site_id is null then {'code': 'missing_key', 'message': 'site_id is missing'}
            when typed.user_email is null then {'code': 'missing_key', 'message': 'user_email is missing'}
            when not regexp_full_match(typed.customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
                'message': 'customer_id ' || quoted(typed.customer_id) || ' does not match ' || ${customer_id_pattern}}
            when not regexp_full_match(typed.site_id, ${site_id_pattern}) then {'code': 'malformed_key',
                'message': 'site_id ' || quoted(typed.site_id) || ' does not match ' || ${site_id_pattern}}
            when not regexp_full_match(typed.user_email, ${email_pattern}) then {'code': 'malformed_key',
                'message': 'user_email (withheld) does not match ' || ${email_pattern}}
            when typed.registration_date is null then {'code': 'invalid_date',
                'message': 'registration_date ' || quoted(typed.registration_date_text) || ' is not a YYYY-MM-DD date'}
            when not coalesce(list_contains(${license_types}, typed.license_type), false) then {'code': 'unknown_category',
                'message': 'license_type ' || quoted(typed.license_type) || ' is not one of ' || one_of(${license_types})}
            when sites.customer_id is null then {'code': 'orphan_site',
                'message': 'site_id "' || typed.site_id || '" is not a clean site'}
            when sites.customer_id <> typed.customer_id then {'code': 'site_customer_mismatch',
                'message': 'site_id "' || typed.site_id || '" belongs to customer ' || sites.customer_id}
        end as broken
    from typed
    left join sites on typed.site_id = sites.site_id
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by broken is null, customer_id, site_id, user_email
            order by
                user_key nulls last, license_type nulls last, registration_date nulls last,
                registration_date_text nulls last
        ) as key_rank,
        row_number() over (
            partition by
                broken is null, user_key, customer_id, site_id, user_email, license_type, registration_date,
                registration_date_text
        ) as copy_number
    from judged
)

select
    user_key,
    customer_id,
    site_id,
    user_email,
    license_type,
    registration_date,
    registration_date_text,
    case
        when broken is not null then broken.code
        when copy_number > 1 then 'duplicate_row'
        when key_rank > 1 then 'duplicate_key'
    end as reason_code,
    case
        when broken is not null then broken.message
        when copy_number > 1 then 'exact duplicate of another row'
        when key_rank > 1 then 'another row has the same customer_id, site_id, user_email with other values'
    end as reason_message
from ranked;

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
where reason_code is null
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
where checked.reason_code is null;

-- Activity: the rules, with the site and the user looked up. Clean rows
-- keep what the aggregates need; failing rows their message.
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
    case
        when typed.customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
        when typed.site_id is null then {'code': 'missing_key', 'message': 'site_id is missing'}
        when typed.user_email is null then {'code': 'missing_key', 'message': 'user_email is missing'}
        when not regexp_full_match(typed.customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
            'message': 'customer_id ' || quoted(typed.customer_id) || ' does not match ' || ${customer_id_pattern}}
        when not regexp_full_match(typed.site_id, ${site_id_pattern}) then {'code': 'malformed_key',
            'message': 'site_id ' || quoted(typed.site_id) || ' does not match ' || ${site_id_pattern}}
        when not regexp_full_match(typed.user_email, ${email_pattern}) then {'code': 'malformed_key',
            'message': 'user_email (withheld) does not match ' || ${email_pattern}}
        when typed.activity_date is null then {'code': 'invalid_date',
            'message': 'activity_date ' || quoted(typed.activity_date_text) || ' is not a YYYY-MM-DD date'}
        when typed.event_count is null then {'code': 'invalid_number',
            'message': 'event_count ' || quoted(typed.event_count_text) || ' is not a whole number'}
        when typed.event_count < 0 then {'code': 'negative_number',
            'message': 'event_count ' || quoted(typed.event_count_text) || ' is negative'}
        when not coalesce(list_contains(${activity_types}, typed.activity_type), false) then {'code': 'unknown_category',
            'message': 'activity_type ' || quoted(typed.activity_type) || ' is not one of ' || one_of(${activity_types})}
        when sites.customer_id is null then {'code': 'orphan_site',
            'message': 'site_id "' || typed.site_id || '" is not a clean site'}
        when sites.customer_id <> typed.customer_id then {'code': 'site_customer_mismatch',
            'message': 'site_id "' || typed.site_id || '" belongs to customer ' || sites.customer_id}
        when users.registration_date is null then {'code': 'unknown_user',
            'message': 'user_email is not a clean user of customer ' || typed.customer_id}
    end as broken
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
with candidates as (
    select *
    from activity_checked
    where
        broken is null
        and hash(customer_id, user_email, site_id, activity_date, activity_type)
        in (select key_hash from activity_repeated_keys)
),

ranked as (
    select
        *,
        dense_rank() over (
            partition by customer_id, user_email, site_id, activity_date, activity_type
            order by event_count, activity_date_text nulls last, event_count_text nulls last
        ) as key_rank,
        row_number() over (
            partition by
                customer_id, user_email, site_id, activity_date, activity_type, event_count, activity_date_text,
                event_count_text
        ) as copy_number
    from candidates
)

select
    * exclude (key_rank, copy_number),
    case when copy_number > 1 then 'duplicate_row' when key_rank > 1 then 'duplicate_key' end as duplicate
from ranked;

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
where duplicate is null;

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
    case
        when typed.customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
        when typed.site_id is null then {'code': 'missing_key', 'message': 'site_id is missing'}
        when not regexp_full_match(typed.customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
            'message': 'customer_id ' || quoted(typed.customer_id) || ' does not match ' || ${customer_id_pattern}}
        when not regexp_full_match(typed.site_id, ${site_id_pattern}) then {'code': 'malformed_key',
            'message': 'site_id ' || quoted(typed.site_id) || ' does not match ' || ${site_id_pattern}}
        when typed.storage_date is null then {'code': 'invalid_date',
            'message': 'storage_date ' || quoted(typed.storage_date_text) || ' is not a YYYY-MM-DD date'}
        when typed.storage_bytes is null then {'code': 'invalid_number',
            'message': 'storage_bytes ' || quoted(typed.storage_bytes_text) || ' is not a whole number'}
        when typed.storage_bytes < 0 then {'code': 'negative_number',
            'message': 'storage_bytes ' || quoted(typed.storage_bytes_text) || ' is negative'}
        when sites.customer_id is null then {'code': 'orphan_site',
            'message': 'site_id "' || typed.site_id || '" is not a clean site'}
        when sites.customer_id <> typed.customer_id then {'code': 'site_customer_mismatch',
            'message': 'site_id "' || typed.site_id || '" belongs to customer ' || sites.customer_id}
    end as broken
from typed
left join sites on typed.site_id = sites.site_id;

create or replace table storage_repeated_keys as
select hash(site_id, storage_date) as key_hash
from storage_checked
where broken is null
group by key_hash
having count(*) > 1;

create or replace table storage_repeats as
with ranked as (
    select
        *,
        dense_rank() over (
            partition by site_id, storage_date
            order by customer_id, storage_bytes, storage_date_text nulls last, storage_bytes_text nulls last
        ) as key_rank,
        row_number() over (
            partition by site_id, storage_date, customer_id, storage_bytes, storage_date_text, storage_bytes_text
        ) as copy_number
    from storage_checked
    where broken is null and hash(site_id, storage_date) in (select key_hash from storage_repeated_keys)
)

select
    * exclude (key_rank, copy_number),
    case when copy_number > 1 then 'duplicate_row' when key_rank > 1 then 'duplicate_key' end as duplicate
from ranked;

create or replace view storage_clean as
select site_id, storage_date, storage_bytes
from storage_checked
where broken is null and hash(site_id, storage_date) not in (select key_hash from storage_repeated_keys)
union all
select site_id, storage_date, storage_bytes
from storage_repeats
where duplicate is null;

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
    case
        when typed.customer_id is null then {'code': 'missing_key', 'message': 'customer_id is missing'}
        when typed.site_id is null then {'code': 'missing_key', 'message': 'site_id is missing'}
        when not regexp_full_match(typed.customer_id, ${customer_id_pattern}) then {'code': 'malformed_key',
            'message': 'customer_id ' || quoted(typed.customer_id) || ' does not match ' || ${customer_id_pattern}}
        when not regexp_full_match(typed.site_id, ${site_id_pattern}) then {'code': 'malformed_key',
            'message': 'site_id ' || quoted(typed.site_id) || ' does not match ' || ${site_id_pattern}}
        when typed.job_date is null then {'code': 'invalid_date',
            'message': 'job_date ' || quoted(typed.job_date_text) || ' is not a YYYY-MM-DD date'}
        when typed.job_minutes is null then {'code': 'invalid_number',
            'message': 'job_minutes ' || quoted(typed.job_minutes_text) || ' is not a whole number'}
        when typed.job_minutes < 0 then {'code': 'negative_number',
            'message': 'job_minutes ' || quoted(typed.job_minutes_text) || ' is negative'}
        when not coalesce(list_contains(${background_job_types}, typed.background_job_type), false) then {
            'code': 'unknown_category',
            'message': 'background_job_type ' || quoted(typed.background_job_type) || ' is not one of '
            || one_of(${background_job_types})
        }
        when sites.customer_id is null then {'code': 'orphan_site',
            'message': 'site_id "' || typed.site_id || '" is not a clean site'}
        when sites.customer_id <> typed.customer_id then {'code': 'site_customer_mismatch',
            'message': 'site_id "' || typed.site_id || '" belongs to customer ' || sites.customer_id}
    end as broken
from typed
left join sites on typed.site_id = sites.site_id;
