{#- MetricFlow's month-grain time spine: one row per calendar month (its
    first day) between the calendar_start_date and calendar_end_date vars.
    Every monthly metric of the semantic layer is read at month grain, so
    MetricFlow can join this spine instead of 30 times as many days. -#}
with

months as (

    select * from {{ ref('int_calendar_months') }}

),

spine as (

    select month_start as date_month
    from months

)

select * from spine
