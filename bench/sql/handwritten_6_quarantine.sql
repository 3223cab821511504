-- The transform baseline, part 6 of 6: every raw row that broke a rule, in
-- one shape (see part 1 for the conventions): the keys it names, its date,
-- its other values as `name="value"` text, the reason and a stable id.
-- Emails stay behind (user_key instead), contact emails are dropped.

set schema = 'hw_work';

-- The failing rows of a table with a key: those that broke a rule, and the
-- duplicates among those that broke none.
create or replace macro failing_rows(checked, repeats) as table
select * exclude (broken), broken as verdict from query_table(checked) where broken is not null
union all by name
select * from query_table(repeats) where verdict is not null;

create or replace table hw.fct_quarantined_rows as
with failing as (
    select
        'saas_customer_info' as raw_table,
        customer_id,
        null::varchar as site_id,
        null::varchar as user_key,
        null::date as row_date,
        'industry=' || quoted(industry) || ', region=' || quoted(region) || ', account_tier=' || quoted(account_tier)
            as raw_values,
        verdict
    from customers_checked
    where verdict is not null

    union all

    select 'saas_sites', customer_id, site_id, null, null, null, verdict
    from sites_checked
    where verdict is not null

    union all

    select
        'saas_users',
        customer_id,
        site_id,
        user_key,
        registration_date,
        'license_type=' || quoted(license_type) || ', registration_date_text=' || quoted(registration_date_text),
        verdict
    from assignments_checked
    where verdict is not null

    union all

    select
        'saas_user_activity',
        customer_id,
        site_id,
        user_key(customer_id, user_email),
        activity_date,
        'activity_type=' || quoted(activity_type) || ', activity_date_text=' || quoted(activity_date_text)
        || ', event_count_text=' || quoted(event_count_text),
        verdict
    from failing_rows('activity_checked', 'activity_repeats')

    union all

    select
        'saas_storage',
        customer_id,
        site_id,
        null,
        storage_date,
        'storage_date_text=' || quoted(storage_date_text) || ', storage_bytes_text=' || quoted(storage_bytes_text),
        verdict
    from failing_rows('storage_checked', 'storage_repeats')

    union all

    select
        'saas_background_jobs',
        customer_id,
        site_id,
        null,
        job_date,
        'background_job_type=' || quoted(background_job_type) || ', job_date_text=' || quoted(job_date_text)
        || ', job_minutes_text=' || quoted(job_minutes_text),
        broken
    from jobs_checked
    where broken is not null
),

reasoned as (
    select * exclude (verdict), verdict.code as dq_reason_code, verdict.message as dq_reason_message
    from failing
)

-- the id: a hash of the row's shape, numbered among identical ones
select
    md5(
        raw_table || '|' || coalesce(customer_id, '') || '|' || coalesce(site_id, '') || '|'
        || coalesce(user_key, '') || '|' || coalesce(raw_values, '') || '|' || dq_reason_code || '|'
        || row_number() over (
            partition by raw_table, customer_id, site_id, user_key, raw_values, dq_reason_code
            order by dq_reason_message
        )::varchar
    ) as raw_row_id,
    *
from reasoned;
