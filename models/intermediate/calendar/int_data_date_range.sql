{#- One row: the first and last date of the event data (activity, storage and
    background jobs that passed data quality). "The last month in the data
    set" and "the end of the data" mean this range everywhere. -#}
with

activity as (

    select activity_date as event_date from {{ ref('int_user_activity_cleaned') }}

),

storage as (

    select storage_date as event_date from {{ ref('int_storage_cleaned') }}

),

jobs as (

    select job_date as event_date from {{ ref('int_background_jobs_cleaned') }}

),

unioned as (

    select event_date from activity
    union all
    select event_date from storage
    union all
    select event_date from jobs

),

date_range as (

    select
        min(event_date) as data_start_date,
        max(event_date) as data_end_date,
        {{ month_start('min(event_date)') }} as data_start_month,
        {{ month_start('max(event_date)') }} as data_end_month
    from unioned

)

select * from date_range
