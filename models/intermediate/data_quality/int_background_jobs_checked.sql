{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['customer_id', 'site_id']},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'format', 'column': 'site_id', 'pattern': 'site_id_pattern'},
    {'check': 'date', 'column': 'job_date'},
    {'check': 'date_in_range', 'column': 'job_date'},
    {'check': 'whole_number', 'column': 'job_minutes'},
    {'check': 'non_negative', 'column': 'job_minutes'},
    {'check': 'at_most', 'column': 'job_minutes'},
    {'check': 'one_of', 'column': 'background_job_type', 'values': 'background_job_types'},
    {'check': 'known_site'},
    {'check': 'site_of_customer'},
] -%}
{{ config(
    meta={'quarantine_rules': quarantine_rules},
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('partition_date', 'day', cluster_by=['customer_id', 'site_id'], incremental=true)
) }}
{#- Every staged background-job run with its data-quality verdict: the first
    rule it breaks (quarantine_rules above). Runs have no natural key:
    two identical runs on one day are two runs, never duplicates.

    Incremental by day, like int_user_activity_checked. -#}
{%- set days_to_rebuild = incremental_days_condition(
    ref('stg_saas__background_jobs'), 'job_date',
    recheck_reasons=['orphan_site', 'site_customer_mismatch']
) -%}
{#- a row on a clean site of its customer has well-formed keys -#}
{%- set keys_valid_when = 'site_customer_id = customer_id' -%}

with

jobs as (

    select * from {{ ref('stg_saas__background_jobs') }}
    {%- if days_to_rebuild %}
    where {{ days_to_rebuild }}
    {%- endif %}

),

row_checked as (

    -- the rows, left-joined to the clean sites (int_sites_checked) the site rules read
    {{ dq_checked_rows('jobs', quarantine_rules, keys_valid_when=keys_valid_when) }}

),

final as (

    select
        -- no date, or one out of range (quarantined): the 1900-01-01 partition
        {{ day_partition('job_date') }} as partition_date,
        customer_id,
        site_id,
        job_date,
        background_job_type,
        job_minutes,
        row_reason_code as dq_reason_code,
        row_reason_message as dq_reason_message,
        job_date_text,
        job_minutes_text,
        {{ loaded_at() }} as dbt_loaded_at
    from row_checked

)

select * from final
