{{ config(materialized='table') }}
{#- Every staged user-site assignment with the first data-quality rule it
    breaks. Assignments that disagree on registration date or licence across
    a user's sites are not errors: int_users_deduplicated resolves and flags
    them. -#}
{%- set rules = [
    {'code': 'missing_key',
     'fails': 'customer_id is null or site_id is null or user_email is null',
     'message': "'customer_id, site_id or user_email is missing'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('customer_id', var('customer_id_pattern')),
     'message': "'customer_id ' || " ~ dq_show('customer_id') ~ " || ' is not 10 digits'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('site_id', var('site_id_pattern')),
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not A followed by 11 digits'"},
    {'code': 'malformed_key',
     'fails': 'not ' ~ regexp_full_match('user_email', var('email_pattern')),
     'message': "'user_email is not a valid email address'"},
    {'code': 'invalid_date', 'fails': 'registration_date is null',
     'message': "'registration_date ' || " ~ dq_show('registration_date_text') ~ " || ' is not a YYYY-MM-DD date'"},
    {'code': 'unknown_category',
     'fails': 'not coalesce(' ~ in_values('license_type', var('license_types')) ~ ', false)',
     'message': "'license_type ' || " ~ dq_show('license_type') ~ " || ' is not a known licence'"},
    {'code': 'orphan_site', 'fails': 'site_customer_id is null',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not a valid site'"},
    {'code': 'site_customer_mismatch', 'fails': 'site_customer_id <> customer_id',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' belongs to customer ' || site_customer_id"},
] -%}
{%- set columns = ['user_key', 'customer_id', 'site_id', 'user_email',
                   'license_type', 'registration_date', 'registration_date_text'] -%}

with

users as (

    select * from {{ ref('stg_saas__users') }}

),

sites as (

    select
        site_id,
        customer_id
    from {{ ref('int_sites_cleaned') }}

),

joined as (

    select
        users.*,
        sites.customer_id as site_customer_id
    from users
    left join sites
        on users.site_id = sites.site_id

),

row_checked as (

    select
        *,
        {{ dq_reason_code(rules) }} as row_reason_code,
        {{ dq_reason_message(rules) }} as row_reason_message
    from joined

),

{{ dq_rank_duplicates('row_checked', ['customer_id', 'site_id', 'user_email'], columns) }},

final as (

    select
        raw_row_id,
        {{ columns | join(',\n        ') }},
        {{ dq_final_reason('customer_id, site_id and user_email') }}
    from ranked

)

select * from final
