{#- The rows of the raw background_jobs feed that broke a data-quality rule, with the
    reason; one row per quarantined raw row. -#}
with

checked as (

    select * from {{ ref('int_background_jobs_checked') }}

),

quarantined as (

    select * {{ exclude_columns(['site_customer_id', 'partition_date']) }} from checked
    where dq_reason_code is not null

)

select * from quarantined
