{#- Every staged storage snapshot with the first data-quality rule it
    breaks. -#}
{%- set rules = [
    {'code': 'missing_key', 'fails': 'customer_id is null or site_id is null',
     'message': "'customer_id or site_id is missing'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('customer_id', var('customer_id_pattern')),
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not 10 digits'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('site_id', var('site_id_pattern')),
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not A followed by 11 digits'"},
    {'code': 'invalid_date', 'fails': 'storage_date is null',
     'message': "'date ' || " ~ dq_show('storage_date_text') ~ " || ' is not a YYYY-MM-DD date'"},
    {'code': 'invalid_number', 'fails': 'storage_bytes is null',
     'message': "'storage_bytes ' || " ~ dq_show('storage_bytes_text') ~ " || ' is not a whole number'"},
    {'code': 'negative_number', 'fails': 'storage_bytes < 0',
     'message': "'storage_bytes ' || " ~ dq_show('storage_bytes_text') ~ " || ' is negative'"},
    {'code': 'orphan_site', 'fails': 'site_customer_id is null',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not a valid site'"},
    {'code': 'site_customer_mismatch', 'fails': 'site_customer_id <> customer_id',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' belongs to customer ' || site_customer_id"},
] -%}
{%- set columns = ['site_id', 'customer_id', 'storage_date', 'storage_bytes',
                   'storage_date_text', 'storage_bytes_text'] -%}
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

storage as (

    {{ dq_incremental_input(
        ref('stg_saas__storage'), columns, 'storage_date', lookups_changed,
        source('saas', 'saas_storage'), 'date'
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
        storage.*,
        sites.customer_id as site_customer_id
    from storage
    left join sites
        on storage.site_id = sites.site_id

),

row_checked as (

    select
        *,
        {{ dq_reason_code(rules) }} as row_reason_code,
        {{ dq_reason_message(rules) }} as row_reason_message
    from joined

),

{{ dq_rank_duplicates('row_checked', ['site_id', 'storage_date'], columns) }},

final as (

    select
        raw_row_id,
        {{ columns | join(',\n        ') }},
        site_customer_id,
        {{ dq_final_reason('site_id and date') }},
        coalesce(storage_date, {{ incremental_undated_partition() }}) as partition_date
    from ranked
    {{ order_by_partition('partition_date') }}

)

select * from final
