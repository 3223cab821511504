{#- One row: the first and last date of the event data (activity, storage and
    background jobs that passed data quality). "The last month in the data
    set" and "the end of the data" mean this range everywhere. Read from the
    site-month aggregates' first and last dates (every valid row of the three
    feeds is behind one of their rows), not from the daily rows. -#}
with

activity as (

    select
        first_row_date as first_date,
        last_row_date as last_date
    from {{ ref('int_activity_aggregated_to_site_months') }}

),

storage as (

    select
        first_storage_date as first_date,
        last_storage_date as last_date
    from {{ ref('int_storage_aggregated_to_site_months') }}

),

jobs as (

    select
        first_job_date as first_date,
        last_job_date as last_date
    from {{ ref('int_background_jobs_aggregated_to_site_months') }}

),

unioned as (

    select * from activity
    union all
    select * from storage
    union all
    select * from jobs

),

date_range as (

    select
        min(first_date) as data_start_date,
        max(last_date) as data_end_date,
        {{ month_start('min(first_date)') }} as data_start_month,
        {{ month_start('max(last_date)') }} as data_end_month
    from unioned

)

select * from date_range
