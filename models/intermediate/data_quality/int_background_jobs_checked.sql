{#- Every staged background-job run with the first data-quality rule it
    breaks. Runs have no natural key: two runs of one type on one site and day
    with equal minutes are legitimate, so identical rows are kept, not
    quarantined as duplicates. -#}
{%- set rules = [
    {'code': 'missing_key', 'fails': 'customer_id is null or site_id is null',
     'message': "'customer_id or site_id is missing'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('customer_id', var('customer_id_pattern')),
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not 10 digits'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('site_id', var('site_id_pattern')),
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not A followed by 11 digits'"},
    {'code': 'invalid_date', 'fails': 'job_date is null',
     'message': "'date ' || " ~ dq_show('job_date_text') ~ " || ' is not a YYYY-MM-DD date'"},
    {'code': 'invalid_number', 'fails': 'job_minutes is null',
     'message': "'background_job_min ' || " ~ dq_show('job_minutes_text') ~ " || ' is not a whole number'"},
    {'code': 'negative_number', 'fails': 'job_minutes < 0',
     'message': "'background_job_min ' || " ~ dq_show('job_minutes_text') ~ " || ' is negative'"},
    {'code': 'unknown_category',
     'fails': 'not coalesce(' ~ in_values('background_job_type', var('background_job_types')) ~ ', false)',
     'message': "'background_job_type ' || " ~ dq_show('background_job_type') ~ " || ' is not a known job type'"},
    {'code': 'orphan_site', 'fails': 'site_customer_id is null',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not a valid site'"},
    {'code': 'site_customer_mismatch', 'fails': 'site_customer_id <> customer_id',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' belongs to customer ' || site_customer_id"},
] -%}
{%- set columns = ['site_id', 'customer_id', 'job_date', 'background_job_type', 'job_minutes',
                   'job_date_text', 'job_minutes_text'] -%}
{#- Incremental (config in dbt_project.yml): days are rebuilt whole, see
    dq_incremental_scope. Stored days whose rows were checked against a site
    that has changed since are re-checked: -#}
{%- set lookups_changed -%}
    select distinct checked.partition_date
    from {{ this }} as checked
    left join {{ ref('int_sites_cleaned') }} as sites
        on checked.site_id = sites.site_id
    where checked.site_customer_id is distinct from sites.customer_id
{%- endset -%}

with

jobs as (

    {{ dq_incremental_input(
        ref('stg_saas__background_jobs'), columns, 'job_date', lookups_changed,
        source('saas', 'saas_background_jobs'), 'date'
    ) }}

),

sites as (

    select
        site_id,
        customer_id
    from {{ ref('int_sites_cleaned') }}

),

joined as (

    select
        jobs.*,
        sites.customer_id as site_customer_id
    from jobs
    left join sites
        on jobs.site_id = sites.site_id

),

final as (

    select
        raw_row_id,
        site_id,
        customer_id,
        job_date,
        background_job_type,
        job_minutes,
        job_date_text,
        job_minutes_text,
        site_customer_id,
        {{ dq_reason_code(rules) }} as dq_reason_code,
        {{ dq_reason_message(rules) }} as dq_reason_message,
        coalesce(job_date, {{ incremental_undated_partition() }}) as partition_date
    from joined
    {{ order_by_partition('partition_date') }}

)

select * from final
