{#- One row per calendar day between the calendar_start_date and
    calendar_end_date vars: MetricFlow's day-grain time spine. -#}
with

spine as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start_date') ~ "' as date)",
        "cast('" ~ var('calendar_end_date') ~ "' as date)"
    ) }}

),

days as (

    select cast(date_day as date) as date_day
    from spine

)

select * from days
