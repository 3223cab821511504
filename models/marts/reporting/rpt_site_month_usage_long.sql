{#- The original analysis's output, one row per site, month and usage type
    (Storage, Activity, Active User, Background Job), with its defects fixed:
    events counted per user-site (no fan-out on email), background jobs from
    the site itself, storage unrounded, and the 30-day rule applied to
    registration only. `value` is null where the measure is undefined (no
    storage snapshot, no qualifying job run). -#}
{%- set excluded = var('report_excluded_job_types') -%}
{%- set included = [] -%}
{%- for job_type in var('background_job_types') if job_type not in excluded -%}
{%- do included.append(category_suffix(job_type)) -%}
{%- endfor -%}
{%- set minutes_included = '(job_minutes_' ~ included | join(' + job_minutes_') ~ ')' -%}
{%- set runs_included = '(job_runs_' ~ included | join(' + job_runs_') ~ ')' -%}

with

site_months as (

    select * from {{ ref('fct_site_months') }}

),

unpivoted as (

    select
        month_start,
        customer_id,
        site_id,
        'Storage' as usage_type,
        storage_gib_avg as usage_value
    from site_months

    union all

    select
        month_start,
        customer_id,
        site_id,
        'Activity' as usage_type,
        cast(events_after_onboarding as {{ dbt.type_float() }}) as usage_value
    from site_months

    union all

    select
        month_start,
        customer_id,
        site_id,
        'Active User' as usage_type,
        cast(month_end_active_onboarded_users as {{ dbt.type_float() }}) as usage_value
    from site_months

    union all

    select
        month_start,
        customer_id,
        site_id,
        'Background Job' as usage_type,
        {{ safe_divide(minutes_included, runs_included) }} as usage_value
    from site_months

),

final as (

    select
        month_start,
        customer_id,
        site_id,
        usage_type,
        usage_value as value
    from unpivoted

)

select * from final
