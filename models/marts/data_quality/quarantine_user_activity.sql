{#- The rows of the raw user_activity feed that broke a data-quality rule, with the
    reason; one row per quarantined raw row. The email is left out (PII never
    reaches a mart): user_key identifies the user. -#}
with

checked as (

    select * from {{ ref('int_user_activity_checked') }}

),

quarantined as (

    select
        * {{ exclude_columns(['user_email', 'site_customer_id', 'partition_date']) }}
    from checked
    where dq_reason_code is not null

)

select * from quarantined
