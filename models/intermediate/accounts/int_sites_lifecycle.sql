{#- One row per valid site: its owner and the first and last dates of each
    kind of data. A site's go-live is its first date with any data (a user
    registration, activity with events, storage or a background job). The
    dates of the daily feeds come from the site-month aggregates' first and
    last dates, not from the daily rows. -#}
with

sites as (

    select * from {{ ref('int_sites_cleaned') }}

),

registrations as (

    select
        site_id,
        min(registration_date) as first_registration_date,
        max(registration_date) as last_registration_date
    from {{ ref('int_user_site_assignments') }}
    group by site_id

),

activity as (

    select
        site_id,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date
    from {{ ref('int_activity_aggregated_to_site_months') }}
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

site_dates as (

    select
        site_id,
        first_registration_date as first_date,
        last_registration_date as last_date
    from registrations
    union all
    select
        site_id,
        first_activity_date,
        last_activity_date
    from activity
    union all
    select
        site_id,
        first_storage_date,
        last_storage_date
    from storage
    union all
    select
        site_id,
        first_job_date,
        last_job_date
    from jobs

),

per_site as (

    select
        site_id,
        min(first_date) as go_live_date,
        max(last_date) as last_data_date
    from site_dates
    group by site_id

),

joined as (

    select
        sites.site_id,
        sites.customer_id,
        per_site.go_live_date,
        per_site.last_data_date,
        registrations.first_registration_date,
        activity.first_activity_date,
        activity.last_activity_date,
        storage.first_storage_date,
        storage.last_storage_date,
        jobs.first_job_date,
        jobs.last_job_date
    from sites
    left join per_site
        on sites.site_id = per_site.site_id
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
