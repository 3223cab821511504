{#- The rows of int_background_jobs_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_background_jobs_checked') }}

),

cleaned as (

    select
        raw_row_id,
        site_id,
        customer_id,
        job_date,
        background_job_type,
        job_minutes
    from checked
    where dq_reason_code is null

)

select * from cleaned
