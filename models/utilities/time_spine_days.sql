{#- One row per calendar day between the calendar_start_date and
    calendar_end_date vars: MetricFlow's day-grain time spine. -#}
with

days as (

    {{ date_series(var('calendar_start_date'), var('calendar_end_date'), 'day') }}

)

select * from days
