{#- One row per segment type (account_tier, region, industry), segment value
    and month of the data set, every month present (zeros where a segment
    had nothing): every segmentation in one table, and the one
    implementation of the three seg_*_months marts.
    Internal accounts are left out unless the `segment_include_internal`
    var is true. Site sums come from fct_site_months; users from
    customer_license_months, where each user counts once per customer, so a
    user on several sites counts once. -#}
{%- set segment_types = ['account_tier', 'region', 'industry'] -%}

with

customers as (

    select * from {{ ref('int_customers_classified') }}
    {%- if not var('segment_include_internal') %}
    where not is_internal
    {%- endif %}

),

customer_segments as (

    {%- for segment_type in segment_types %}
    select
        customer_id,
        '{{ segment_type }}' as segment_type,
        {{ segment_type }} as segment_value
    from customers
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

months as (

    select month_start from {{ ref('int_data_months') }}

),

spine as (

    select distinct
        customer_segments.segment_type,
        customer_segments.segment_value,
        months.month_start
    from customer_segments
    cross join months

),

site_metrics as (

    select
        customer_segments.segment_type,
        customer_segments.segment_value,
        site_months.month_start,
        count(distinct site_months.customer_id) as customers,
        count(*) as sites,
        {{ sum_int('case when site_months.events_total > 0 then 1 else 0 end') }} as active_sites,
        {{ sum_int('site_months.events_total') }} as events_total,
        sum(site_months.storage_gib_avg) as storage_gib_avg,
        {{ sum_int('site_months.job_minutes_total') }} as job_minutes_total
    from {{ ref('fct_site_months') }} as site_months
    inner join customer_segments
        on site_months.customer_id = customer_segments.customer_id
    group by
        customer_segments.segment_type, customer_segments.segment_value, site_months.month_start

),

user_metrics as (

    select
        customer_segments.segment_type,
        customer_segments.segment_value,
        licences.month_start,
        {{ sum_int('licences.licensed_users') }} as licensed_users,
        {{ sum_int('licences.active_users') }} as active_users
    from {{ ref('customer_license_months') }} as licences
    inner join customer_segments
        on licences.customer_id = customer_segments.customer_id
    group by customer_segments.segment_type, customer_segments.segment_value, licences.month_start

),

joined as (

    select
        spine.segment_type,
        spine.segment_value,
        spine.month_start,
        site_metrics.storage_gib_avg,
        {{ zero_if_missing('site_metrics', [
            'customers', 'sites', 'active_sites', 'events_total', 'job_minutes_total'
        ]) }},
        {{ zero_if_missing('user_metrics', ['licensed_users', 'active_users']) }}
    from spine
    left join site_metrics
        on
            spine.segment_type = site_metrics.segment_type
            and spine.segment_value = site_metrics.segment_value
            and spine.month_start = site_metrics.month_start
    left join user_metrics
        on
            spine.segment_type = user_metrics.segment_type
            and spine.segment_value = user_metrics.segment_value
            and spine.month_start = user_metrics.month_start

),

final as (

    select
        segment_type,
        segment_value,
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
        {{ month_over_month_growth('events_total', 'segment_type, segment_value') }}
            as events_total_mom_growth,
        {{ month_over_month_growth('active_users', 'segment_type, segment_value') }}
            as active_users_mom_growth
    from joined

)

select * from final
