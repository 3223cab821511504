{#- The one implementation of the segment marts (seg_account_tier_months,
    seg_region_months, seg_industry_months): one row per value of
    `segment_column` (a customer attribute) per month of the data set, every
    month present (zeros where a segment had nothing), internal accounts left
    out unless the `segment_include_internal` var is true.

    Site-level sums come from fct_site_months; users are counted distinct
    from int_user_months, so a user on several sites counts once. -#}
{% macro segment_months(segment_column) %}

with

customers as (

    select * from {{ ref('int_customers_classified') }}
    {%- if not var('segment_include_internal') %}
    where not is_internal
    {%- endif %}

),

site_months as (

    select * from {{ ref('fct_site_months') }}
    where customer_id in (select customer_id from customers)

),

user_months as (

    select
        user_months.*,
        customers.{{ segment_column }}
    from {{ ref('int_user_months') }} as user_months
    inner join customers
        on user_months.customer_id = customers.customer_id

),

months as (

    select months.month_start
    from {{ ref('int_calendar_months') }} as months
    cross join {{ ref('int_data_date_range') }} as date_range
    where months.month_start between date_range.data_start_month and date_range.data_end_month

),

segments as (

    select distinct {{ segment_column }} from customers

),

spine as (

    select
        segments.{{ segment_column }},
        months.month_start
    from segments
    cross join months

),

site_metrics as (

    select
        {{ segment_column }},
        month_start,
        count(distinct customer_id) as customers,
        count(*) as sites,
        {{ sum_int('case when events_total > 0 then 1 else 0 end') }} as active_sites,
        {{ sum_int('events_total') }} as events_total,
        sum(storage_gib_avg) as storage_gib_avg,
        {{ sum_int('job_minutes_total') }} as job_minutes_total
    from site_months
    group by {{ segment_column }}, month_start

),

user_metrics as (

    select
        {{ segment_column }},
        month_start,
        count(distinct case when is_licensed then user_key end) as licensed_users,
        count(distinct case when is_active then user_key end) as active_users
    from user_months
    group by {{ segment_column }}, month_start

),

joined as (

    select
        spine.{{ segment_column }},
        spine.month_start,
        coalesce(site_metrics.customers, 0) as customers,
        coalesce(site_metrics.sites, 0) as sites,
        coalesce(site_metrics.active_sites, 0) as active_sites,
        coalesce(user_metrics.licensed_users, 0) as licensed_users,
        coalesce(user_metrics.active_users, 0) as active_users,
        coalesce(site_metrics.events_total, 0) as events_total,
        site_metrics.storage_gib_avg,
        coalesce(site_metrics.job_minutes_total, 0) as job_minutes_total
    from spine
    left join site_metrics
        on
            spine.{{ segment_column }} = site_metrics.{{ segment_column }}
            and spine.month_start = site_metrics.month_start
    left join user_metrics
        on
            spine.{{ segment_column }} = user_metrics.{{ segment_column }}
            and spine.month_start = user_metrics.month_start

),

final as (

    select
        {{ segment_column }},
        month_start,
        customers,
        sites,
        active_sites,
        licensed_users,
        active_users,
        {{ safe_divide('active_users', 'licensed_users') }} as licence_utilisation,
        events_total,
        {{ safe_divide('events_total', 'active_users') }} as events_per_active_user,
        storage_gib_avg,
        job_minutes_total,
        {{ safe_divide('job_minutes_total', 'sites') }} as job_minutes_per_site,
        {{ month_over_month_growth('events_total', segment_column) }} as events_total_mom_growth,
        {{ month_over_month_growth('active_users', segment_column) }} as active_users_mom_growth
    from joined

)

select * from final

{% endmacro %}
