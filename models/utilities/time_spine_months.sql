{#- One row per calendar month (its first and last day) between the
    calendar_start_date and calendar_end_date vars: the calendar every
    monthly model hangs its month series on, and MetricFlow's month-grain
    time spine. -#}
with

spine as (

    {{ date_series(var('calendar_start_date'), var('calendar_end_date'), 'month') }}

),

months as (

    select
        date_month as month_start,
        {{ month_end('date_month') }} as month_end
    from spine

)

select * from months
