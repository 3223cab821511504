{#- The rows of int_storage_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_storage_checked') }}

),

cleaned as (

    select
        raw_row_id,
        site_id,
        customer_id,
        storage_date,
        storage_bytes
    from checked
    where dq_reason_code is null

)

select * from cleaned
