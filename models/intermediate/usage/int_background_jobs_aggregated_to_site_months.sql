{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('month_start', 'month', cluster_by=['customer_id', 'site_id'], incremental=true)
) }}
{#- One row per site and month with any clean background-job run: runs and
    minutes, in total and by job type, and the first and last day with a run.

    Incremental by month: a run rebuilds the months holding runs loaded
    since its last run (partitions_to_rebuild). -#}
{%- set months_to_rebuild = partitions_to_rebuild(ref('int_background_jobs_checked')) -%}

with

jobs as (

    select
        *,
        {{ month_start('job_date') }} as month_start
    from {{ ref('int_background_jobs_checked') }}
    where dq_reason_code is null and {{ months_to_rebuild }}

),

aggregated as (

    select
        site_id,
        month_start,
        min(customer_id) as customer_id,
        cast(count(*) as {{ dbt.type_bigint() }}) as job_runs,
        {{ sum_int('job_minutes') }} as job_minutes_total,
        {{ pivot_sum(
            'background_job_type', var('background_job_types'), 'job_minutes', 'job_minutes'
        ) }},
        {{ pivot_sum('background_job_type', var('background_job_types'), '1', 'job_runs') }},
        min(job_date) as first_job_date,
        max(job_date) as last_job_date,
        max(dbt_loaded_at) as dbt_loaded_at
    from jobs
    group by site_id, month_start

)

select * from aggregated
