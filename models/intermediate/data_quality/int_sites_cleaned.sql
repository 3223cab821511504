{#- The rows of int_sites_checked that passed every data-quality rule. -#}
with

checked as (

    select * from {{ ref('int_sites_checked') }}

),

cleaned as (

    select
        raw_row_id,
        site_id,
        customer_id
    from checked
    where dq_reason_code is null

)

select * from cleaned
