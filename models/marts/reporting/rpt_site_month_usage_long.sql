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
{%- set usage_values = {
    'Storage': 'storage_gib_avg',
    'Activity': 'cast(events_after_onboarding as ' ~ dbt.type_float() ~ ')',
    'Active User': 'cast(month_end_active_onboarded_users as ' ~ dbt.type_float() ~ ')',
    'Background Job': safe_divide(minutes_included, runs_included),
} -%}

with

site_months as (

    select * from {{ ref('fct_site_months') }}

),

unpivoted as (

    {%- for usage_type, usage_value in usage_values.items() %}
    select
        month_start,
        customer_id,
        site_id,
        '{{ usage_type }}' as usage_type,
        {{ usage_value }} as usage_value
    from site_months
    {{ 'union all' if not loop.last }}
    {%- endfor %}

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
