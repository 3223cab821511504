{{ config(materialized='table', **partition_config(cluster_by=['customer_id', 'site_id'])) }}
{#- One row per clean site: owner and its segment attributes, go-live, first
    and last activity, assigned users and whether the site has churned (no
    activity in the last `churn_inactive_days` days of the data). -#}
{%- set licence_counts = [] -%}
{%- for license in var('license_types') -%}
{%- do licence_counts.append('assigned_' ~ category_suffix(license) ~ 's') -%}
{%- endfor %}
with

sites as (

    select * from {{ ref('int_sites_lifecycle') }}

),

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

assignments as (

    select
        site_id,
        count(*) as assigned_users,
        {{ pivot_sum('license_type', var('license_types'), '1', 'assigned', suffix='s') }}
    from {{ ref('int_user_site_assignments') }}
    group by site_id

),

joined as (

    select
        sites.site_id,
        sites.customer_id,
        sites.account_tier,
        sites.region,
        sites.industry,
        sites.is_internal,
        sites.go_live_date,
        sites.go_live_date > date_range.data_start_date as is_go_live_in_data,
        sites.first_activity_date,
        sites.last_activity_date,
        sites.first_storage_date,
        sites.first_job_date,
        {{ zero_if_missing('assignments', ['assigned_users'] + licence_counts) }},
        {{ days_between('sites.last_activity_date', 'date_range.data_end_date') }}
            as days_since_last_activity,
        coalesce(
            {{ days_between('sites.last_activity_date', 'date_range.data_end_date') }}
            > {{ var('churn_inactive_days') }},
            false
        ) as is_churned
    from sites
    cross join date_range
    left join assignments
        on sites.site_id = assignments.site_id

)

select * from joined
