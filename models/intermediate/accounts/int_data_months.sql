{#- One row per month of the data set, from its first month through its last
    (int_data_date_range): the month series every monthly mart hangs on. -#}
with

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

months as (

    select months.*
    from {{ ref('time_spine_months') }} as months
    cross join date_range
    where months.month_start between date_range.data_start_month and date_range.data_end_month

)

select * from months
