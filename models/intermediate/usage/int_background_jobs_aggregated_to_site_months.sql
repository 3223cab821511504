{#- One row per site and month with any valid background-job run: runs and
    minutes, in total and by job type. -#}
with

jobs as (

    select
        *,
        {{ month_start('job_date') }} as month_start
    from {{ ref('int_background_jobs_cleaned') }}

),

aggregated as (

    select
        site_id,
        month_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as job_runs,
        {{ sum_int('job_minutes') }} as job_minutes_total,
        {{ pivot_sum('background_job_type', var('background_job_types'), 'job_minutes', 'job_minutes') }},
        {{ pivot_sum('background_job_type', var('background_job_types'), '1', 'job_runs') }}
    from jobs
    group by site_id, month_start

)

select * from aggregated
