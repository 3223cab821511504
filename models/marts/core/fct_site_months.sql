{#- One row per site per month, from the site's first month with any data
    through the last month of the data set. Months without activity are
    present with zeros; storage columns are null in months without a storage
    snapshot.

    Incremental by month (config in dbt_project.yml): its inputs are small
    site-month tables (the daily feeds are aggregated incrementally upstream),
    so a run computes every site-month, compares it with the stored row and
    rewrites only the months in which a row changed, was added or was removed
    (see months_with_changed_rows). A run with nothing new writes nothing. -#}
with

spine as (

    select * from {{ ref('int_site_months_spine') }}

),

customers as (

    select * from {{ ref('int_customers_classified') }}

),

users as (

    select * from {{ ref('int_users_aggregated_to_site_months') }}

),

activity as (

    select * from {{ ref('int_activity_aggregated_to_site_months') }}

),

storage as (

    select * from {{ ref('int_storage_aggregated_to_site_months') }}

),

jobs as (

    select * from {{ ref('int_background_jobs_aggregated_to_site_months') }}

),

joined as (

    select
        spine.site_id,
        spine.customer_id,
        spine.month_start,
        customers.account_tier,
        customers.region,
        customers.industry,
        customers.is_internal,

        users.licensed_users,
        {%- for license in var('license_types') %}
        users.licensed_{{ category_suffix(license) }}s,
        {%- endfor %}
        users.new_users,

        coalesce(activity.active_users, 0) as active_users,
        coalesce(activity.events_total, 0) as events_total,
        {%- for activity_type in var('activity_types') %}
        coalesce(activity.events_{{ category_suffix(activity_type) }}, 0)
            as events_{{ category_suffix(activity_type) }},
        {%- endfor %}
        coalesce(activity.events_after_onboarding, 0) as events_after_onboarding,
        coalesce(activity.month_end_active_onboarded_users, 0)
            as month_end_active_onboarded_users,
        coalesce(activity.events_unassigned_site, 0) as events_unassigned_site,
        coalesce(activity.events_before_registration, 0) as events_before_registration,

        coalesce(storage.storage_days, 0) as storage_days,
        storage.storage_bytes_avg,
        storage.storage_bytes_max,
        storage.storage_bytes_month_end,
        storage.storage_bytes_avg / {{ 1024 ** 3 }} as storage_gib_avg,

        {%- for job_type in var('background_job_types') %}
        coalesce(jobs.job_minutes_{{ category_suffix(job_type) }}, 0)
            as job_minutes_{{ category_suffix(job_type) }},
        coalesce(jobs.job_runs_{{ category_suffix(job_type) }}, 0)
            as job_runs_{{ category_suffix(job_type) }},
        {%- endfor %}
        coalesce(jobs.job_runs, 0) as job_runs,
        coalesce(jobs.job_minutes_total, 0) as job_minutes_total

    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    inner join users
        on
            spine.site_id = users.site_id
            and spine.month_start = users.month_start
    left join activity
        on
            spine.site_id = activity.site_id
            and spine.month_start = activity.month_start
    left join storage
        on
            spine.site_id = storage.site_id
            and spine.month_start = storage.month_start
    left join jobs
        on
            spine.site_id = jobs.site_id
            and spine.month_start = jobs.month_start

),
{%- if is_incremental() %}

changed_months as (

    {{ months_with_changed_rows('joined', ['site_id', 'month_start']) }}

),
{%- endif %}

final as (

    select joined.*
    from joined
    {% if is_incremental() -%}
    inner join changed_months
        on joined.month_start = changed_months.month_start
    {%- endif %}

)

select * from final
