{#- One row per site and month with any valid background-job run: runs and
    minutes, in total and by job type, and the first and last day with a run.

    Incremental by month (config in dbt_project.yml): a run rebuilds the
    months whose source rows changed (see changed_months). -#}
{%- set current_checksums %}
    select site_id, month_start, {{ source_checksum(['raw_row_id']) }} as source_checksum
    from (
        select site_id, raw_row_id, {{ month_start('job_date') }} as month_start
        from {{ ref('int_background_jobs_cleaned') }}
    ) as jobs
    group by site_id, month_start
{%- endset -%}
{%- set months = changed_months(current_checksums, ['site_id']) -%}

with

jobs as (

    select
        *,
        {{ month_start('job_date') }} as month_start
    from {{ ref('int_background_jobs_cleaned') }}
    {%- if months is not none %}
    where {{ in_months('job_date', months) }}
    {%- endif %}

),

aggregated as (

    select
        site_id,
        month_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as job_runs,
        {{ sum_int('job_minutes') }} as job_minutes_total,
        {{ pivot_sum(
            'background_job_type', var('background_job_types'), 'job_minutes', 'job_minutes'
        ) }},
        {{ pivot_sum('background_job_type', var('background_job_types'), '1', 'job_runs') }},
        min(job_date) as first_job_date,
        max(job_date) as last_job_date,
        {{ source_checksum(['raw_row_id']) }} as source_checksum
    from jobs
    group by site_id, month_start

)

select * from aggregated
