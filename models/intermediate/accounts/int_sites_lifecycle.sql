{{ config(materialized='table') }}
{#- One row per clean site: its owner and the owner's segment attributes,
    and the first and last dates of each kind of data. A site's go-live is its first date with any data (a user
    registration, activity with events, storage or a background job). The
    dates of the daily feeds come from the month aggregates' first and last
    days, not from the daily rows. -#}
with

sites as (

    select
        site_id,
        customer_id
    from {{ ref('int_sites_checked') }}
    where dq_reason_code is null

),

customers as (

    select * from {{ ref('int_customers_classified') }}

),

registrations as (

    select
        site_id,
        min(registration_date) as first_registration_date
    from {{ ref('int_user_site_assignments') }}
    group by site_id

),

activity as (

    select
        site_id,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date,
        min(first_row_date) as first_activity_row_date,
        max(last_row_date) as last_activity_row_date
    from {{ ref('int_activity_aggregated_to_user_sites') }}
    group by site_id

),

storage as (

    select
        site_id,
        min(first_storage_date) as first_storage_date,
        max(last_storage_date) as last_storage_date
    from {{ ref('int_storage_aggregated_to_site_months') }}
    group by site_id

),

jobs as (

    select
        site_id,
        min(first_job_date) as first_job_date,
        max(last_job_date) as last_job_date
    from {{ ref('int_background_jobs_aggregated_to_site_months') }}
    group by site_id

),

joined as (

    select
        sites.site_id,
        sites.customer_id,
        customers.account_tier,
        customers.region,
        customers.industry,
        customers.is_internal,
        {{ earliest_date([
            'registrations.first_registration_date', 'activity.first_activity_date',
            'storage.first_storage_date', 'jobs.first_job_date']) }} as go_live_date,
        registrations.first_registration_date,
        activity.first_activity_date,
        activity.last_activity_date,
        storage.first_storage_date,
        storage.last_storage_date,
        jobs.first_job_date,
        jobs.last_job_date,
        {{ earliest_date([
            'activity.first_activity_row_date', 'storage.first_storage_date', 'jobs.first_job_date'
        ]) }} as first_feed_date,
        {{ latest_date([
            'activity.last_activity_row_date', 'storage.last_storage_date', 'jobs.last_job_date'
        ]) }} as last_feed_date
    from sites
    inner join customers
        on sites.customer_id = customers.customer_id
    left join registrations
        on sites.site_id = registrations.site_id
    left join activity
        on sites.site_id = activity.site_id
    left join storage
        on sites.site_id = storage.site_id
    left join jobs
        on sites.site_id = jobs.site_id

)

select * from joined
