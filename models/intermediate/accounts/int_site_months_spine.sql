{#- One row per site and month, from the site's first month with any data
    (clamped to the first month of the data set) through the last month of the
    data set. Every site-month mart hangs off this spine, so months without
    activity are present. -#}
with

sites as (

    select
        site_id,
        customer_id,
        go_live_date
    from {{ ref('int_sites_lifecycle') }}
    where go_live_date is not null

),

months as (

    select * from {{ ref('int_calendar_months') }}

),

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

spine as (

    select
        sites.site_id,
        sites.customer_id,
        months.month_start,
        months.month_end
    from sites
    cross join date_range
    inner join months
        on
            months.month_start >= {{ month_start('sites.go_live_date') }}
            and date_range.data_start_month <= months.month_start
            and date_range.data_end_month >= months.month_start

)

select * from spine
