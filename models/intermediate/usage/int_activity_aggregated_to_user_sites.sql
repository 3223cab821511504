{{ config(materialized='table') }}
{#- One row per user and site with any clean activity, over all months: the
    user's first and last days on the site and its events. The user, site
    and onboarding models read a user's span on a site from here instead of
    each grouping the 7M user-site-months again. A table, rebuilt whole: a
    late row or a changed lookup can move any pair's span. -#}
with

user_site_months as (

    select * from {{ ref('int_activity_aggregated_to_user_site_months') }}

),

aggregated as (

    select
        user_key,
        site_id,
        {{ sum_int('events_total') }} as events_total,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date,
        min(first_row_date) as first_row_date,
        max(last_row_date) as last_row_date
    from user_site_months
    group by user_key, site_id

)

select * from aggregated
