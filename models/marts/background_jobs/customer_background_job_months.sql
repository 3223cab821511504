{{ config(
    materialized='table',
    **partition_config('month_start', 'month', cluster_by=['customer_id'])
) }}
{#- One row per customer and month of the site-month fact: background-job
    runs and minutes (total and by type), per site and per active user, the
    customer's share of all platform minutes that month, its percentile rank
    among customers, and the heavy-user flag. -#}
with

site_months as (

    select * from {{ ref('fct_site_months') }}

),

licences as (

    select * from {{ ref('customer_license_months') }}

),

customer_jobs as (

    select
        customer_id,
        month_start,
        min(account_tier) as account_tier,
        min(region) as region,
        min(industry) as industry,
        {{ dbt.bool_or('is_internal') }} as is_internal,
        count(*) as sites,
        {{ sum_int('job_runs') }} as job_runs,
        {{ sum_int('job_minutes_total') }} as job_minutes_total,
        {%- for job_type in var('background_job_types') %}
        {{ sum_int('job_minutes_' ~ category_suffix(job_type)) }}
            as job_minutes_{{ category_suffix(job_type) }},
        {%- endfor %}
        sum(storage_gib_avg) as storage_gib_avg
    from site_months
    group by customer_id, month_start

),

customer_users as (

    select
        customer_id,
        month_start,
        {{ sum_int('active_users') }} as active_users
    from licences
    group by customer_id, month_start

),

joined as (

    select
        customer_jobs.*,
        {{ zero_if_missing('customer_users', ['active_users']) }}
    from customer_jobs
    left join customer_users
        on
            customer_jobs.customer_id = customer_users.customer_id
            and customer_jobs.month_start = customer_users.month_start

),

final as (

    select
        customer_id,
        month_start,
        account_tier,
        region,
        industry,
        is_internal,
        sites,
        active_users,
        job_runs,
        job_minutes_total,
        {%- for job_type in var('background_job_types') %}
        job_minutes_{{ category_suffix(job_type) }},
        {%- endfor %}
        storage_gib_avg,
        {{ safe_divide('job_minutes_total', 'sites') }} as job_minutes_per_site,
        {{ safe_divide('job_minutes_total', 'active_users') }} as job_minutes_per_active_user,
        {{ safe_divide(
            'job_minutes_total',
            'sum(job_minutes_total) over (partition by month_start)'
        ) }} as job_minutes_share,
        percent_rank() over (
            partition by month_start order by job_minutes_total
        ) as job_minutes_percent_rank,
        coalesce(
            {{ safe_divide('job_minutes_total', 'sites') }}
            >= {{ var('heavy_background_min_minutes_per_site') }},
            false
        ) as is_heavy_background_user
    from joined

)

select * from final
