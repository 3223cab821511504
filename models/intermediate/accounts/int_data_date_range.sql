{#- One row: the first and last date of the event data (activity, storage
    and background-job rows that passed data quality, any site). "The last
    month of the data set" and "the end of the data" mean this range
    everywhere. -#}
with

sites as (

    select * from {{ ref('int_sites_lifecycle') }}

),

date_range as (

    select
        min(first_feed_date) as data_start_date,
        max(last_feed_date) as data_end_date,
        {{ month_start('min(first_feed_date)') }} as data_start_month,
        {{ month_start('max(last_feed_date)') }} as data_end_month
    from sites

)

select * from date_range
