{{ config(
    materialized='table',
    **partition_config('month_start', 'month', cluster_by=['customer_id', 'site_id'])
) }}
{#- One row per site per month, from the site's first month with any data
    (clamped to the data set's first month) through the data set's last
    month. Months without activity are present with zeros; storage columns
    are null in months without a storage snapshot. Its inputs are month
    aggregates, so the daily job rebuilds it whole. -#}
{%- set licence_counts = [('registered_users', 'licensed_users')] -%}
{%- for license in var('license_types') -%}
    {%- do licence_counts.append(
        ('registered_' ~ category_suffix(license) ~ 's', 'licensed_' ~ category_suffix(license) ~ 's')
    ) -%}
{%- endfor -%}
{%- set activity_counts = ['active_users', 'events_total'] -%}
{%- for activity_type in var('activity_types') -%}
{%- do activity_counts.append('events_' ~ category_suffix(activity_type)) -%}
{%- endfor -%}
{%- do activity_counts.extend(['events_after_onboarding', 'month_end_active_onboarded_users',
                              'events_unassigned_site', 'events_before_registration']) -%}
{%- set job_counts = [] -%}
{%- for job_type in var('background_job_types') -%}
{%- do job_counts.extend(['job_minutes_' ~ category_suffix(job_type),
                         'job_runs_' ~ category_suffix(job_type)]) -%}
{%- endfor -%}
{%- do job_counts.extend(['job_runs', 'job_minutes_total']) %}
with

sites as (

    select * from {{ ref('int_sites_lifecycle') }}
    where go_live_date is not null

),

months as (

    select * from {{ ref('int_data_months') }}

),

first_month as (

    select min(month_start) as data_start_month
    from months

),

spine as (

    select
        sites.site_id,
        sites.customer_id,
        sites.account_tier,
        sites.region,
        sites.industry,
        sites.is_internal,
        months.month_start,
        months.month_end
    from sites
    inner join months
        on months.month_start >= {{ month_start('sites.go_live_date') }}

),

-- Licensed users as of month end: the site's assignments counted by
-- registration month (those registered before the series starts in its
-- first month), summed over the months so far. New users: registered in the
-- month itself.
registrations as (

    select
        assignments.site_id,
        greatest({{ month_start('assignments.registration_date') }}, first_month.data_start_month)
            as month_start,
        {{ sum_int(
            'case when assignments.registration_date >= first_month.data_start_month'
            ~ ' then 1 else 0 end'
        ) }} as new_users,
        {{ sum_int('1') }} as registered_users,
        {{ pivot_sum(
            'assignments.license_type', var('license_types'), '1', 'registered', suffix='s'
        ) }}
    from {{ ref('int_user_site_assignments') }} as assignments
    cross join first_month
    group by
        assignments.site_id,
        greatest({{ month_start('assignments.registration_date') }}, first_month.data_start_month)

),

-- the spine with each site-month's licences
licences as (

    select
        spine.*,
        {%- for registered, licensed in licence_counts %}
        cast(sum(coalesce(registrations.{{ registered }}, 0)) over (
            partition by spine.site_id
            order by spine.month_start
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as {{ licensed }},
        {%- endfor %}
        coalesce(registrations.new_users, 0) as new_users
    from spine
    left join registrations
        on
            spine.site_id = registrations.site_id
            and spine.month_start = registrations.month_start

),

activity as (

    select
        site_id,
        month_start,
        {{ sum_int('case when events_total > 0 then 1 else 0 end') }} as active_users,
        {{ sum_int('events_total') }} as events_total,
        {%- for activity_type in var('activity_types') %}
        {{ sum_int('events_' ~ category_suffix(activity_type)) }}
            as events_{{ category_suffix(activity_type) }},
        {%- endfor %}
        {{ sum_int('events_after_onboarding') }} as events_after_onboarding,
        {{ sum_int('case when is_active_onboarded_at_month_end then 1 else 0 end') }}
            as month_end_active_onboarded_users,
        {{ sum_int('events_unassigned_site') }} as events_unassigned_site,
        {{ sum_int('events_before_registration') }} as events_before_registration
    from {{ ref('int_activity_aggregated_to_user_site_months') }}
    group by site_id, month_start

),

storage as (

    select * from {{ ref('int_storage_aggregated_to_site_months') }}

),

jobs as (

    select * from {{ ref('int_background_jobs_aggregated_to_site_months') }}

),

joined as (

    select
        licences.site_id,
        licences.customer_id,
        licences.month_start,
        licences.account_tier,
        licences.region,
        licences.industry,
        licences.is_internal,

        licences.licensed_users,
        {%- for license in var('license_types') %}
        licences.licensed_{{ category_suffix(license) }}s,
        {%- endfor %}
        licences.new_users,

        {{ zero_if_missing('activity', activity_counts) }},

        {{ zero_if_missing('storage', ['storage_days']) }},
        storage.storage_bytes_avg,
        storage.storage_bytes_max,
        storage.storage_bytes_month_end,
        storage.storage_bytes_avg / {{ 1024 ** 3 }} as storage_gib_avg,

        {{ zero_if_missing('jobs', job_counts) }}

    from licences
    left join activity
        on
            licences.site_id = activity.site_id
            and licences.month_start = activity.month_start
    left join storage
        on
            licences.site_id = storage.site_id
            and licences.month_start = storage.month_start
    left join jobs
        on
            licences.site_id = jobs.site_id
            and licences.month_start = jobs.month_start

)

select * from joined
