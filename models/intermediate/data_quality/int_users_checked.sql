{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['customer_id', 'site_id', 'user_email']},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'format', 'column': 'site_id', 'pattern': 'site_id_pattern'},
    {'check': 'format', 'column': 'user_email', 'pattern': 'email_pattern', 'pii': true},
    {'check': 'date', 'column': 'registration_date'},
    {'check': 'one_of', 'column': 'license_type', 'values': 'license_types'},
    {'check': 'known_site'},
    {'check': 'site_of_customer'},
] -%}
{{ config(materialized='table') }}
{#- Every staged user-site assignment with its data-quality verdict: the
    first rule it breaks (quarantine_rules above; its site must be a
    clean site of its customer), else a duplicate of another clean row's
    customer, site and email. Assignments of one user that disagree on
    registration date or licence are not errors: int_users_deduplicated
    resolves and flags them. A table: several models read it. -#}
{%- set columns = ['user_key', 'customer_id', 'site_id', 'user_email', 'license_type',
                   'registration_date', 'registration_date_text'] -%}

with

users as (

    select * from {{ ref('stg_saas__users') }}

),

row_checked as (

    -- the rows, left-joined to the clean sites (int_sites_checked) the site rules read
    {{ dq_checked_rows('users', quarantine_rules) }}

),

ranked as (

    select
        *,
        {{ dq_duplicate_ranks(['customer_id', 'site_id', 'user_email'], columns) }}
    from row_checked

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['customer_id', 'site_id', 'user_email']) }}
    from ranked

)

select * from final
