{#- One row per valid site: its owner and the first and last dates of each
    kind of data. A site's go-live is its first date with any data (a user
    registration, activity, storage or a background job). -#}
with

sites as (

    select * from {{ ref('int_sites_cleaned') }}

),

site_dates as (

    select
        site_id,
        registration_date as event_date,
        'registration' as data_kind
    from {{ ref('int_user_site_assignments') }}
    union all
    select
        site_id,
        activity_date as event_date,
        'activity' as data_kind
    from {{ ref('int_user_activity_cleaned') }}
    where event_count > 0
    union all
    select
        site_id,
        storage_date as event_date,
        'storage' as data_kind
    from {{ ref('int_storage_cleaned') }}
    union all
    select
        site_id,
        job_date as event_date,
        'background_job' as data_kind
    from {{ ref('int_background_jobs_cleaned') }}

),

per_site as (

    select
        site_id,
        min(event_date) as go_live_date,
        max(event_date) as last_data_date,
        min(case when data_kind = 'registration' then event_date end) as first_registration_date,
        min(case when data_kind = 'activity' then event_date end) as first_activity_date,
        max(case when data_kind = 'activity' then event_date end) as last_activity_date,
        min(case when data_kind = 'storage' then event_date end) as first_storage_date,
        max(case when data_kind = 'storage' then event_date end) as last_storage_date,
        min(case when data_kind = 'background_job' then event_date end) as first_job_date,
        max(case when data_kind = 'background_job' then event_date end) as last_job_date
    from site_dates
    group by site_id

),

joined as (

    select
        sites.site_id,
        sites.customer_id,
        per_site.go_live_date,
        per_site.last_data_date,
        per_site.first_registration_date,
        per_site.first_activity_date,
        per_site.last_activity_date,
        per_site.first_storage_date,
        per_site.last_storage_date,
        per_site.first_job_date,
        per_site.last_job_date
    from sites
    left join per_site
        on sites.site_id = per_site.site_id

)

select * from joined
