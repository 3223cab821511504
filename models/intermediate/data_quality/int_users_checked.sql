{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['customer_id', 'site_id', 'user_email']},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'format', 'column': 'site_id', 'pattern': 'site_id_pattern'},
    {'check': 'format', 'column': 'user_email', 'pattern': 'email_pattern', 'pii': true},
    {'check': 'date', 'column': 'registration_date'},
    {'check': 'date_in_range', 'column': 'registration_date'},
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

-- Duplicates are rare: the keys seen more than once are found first, and
-- only their rows are ranked (a window over every user sorted them all:
-- 1.8 s -> 1.4 s for the model at 700k users), as in int_user_activity_checked.
duplicate_candidates as (

    select
        customer_id,
        site_id,
        user_email
    from users
    group by customer_id, site_id, user_email
    having count(*) > 1

),

flagged as (

    select
        users.*,
        duplicate_candidates.customer_id is not null as is_duplicate_candidate
    from users
    left join duplicate_candidates
        on
            users.customer_id = duplicate_candidates.customer_id
            and users.site_id = duplicate_candidates.site_id
            and users.user_email = duplicate_candidates.user_email

),

row_checked as (

    -- the rows, left-joined to the clean sites (int_sites_checked) the site rules read
    {{ dq_checked_rows('flagged', quarantine_rules) }}

),

ranked as (

    {{ dq_ranked_rows(
        'row_checked', ['customer_id', 'site_id', 'user_email'], columns,
        candidates='is_duplicate_candidate'
    ) }}

),

final as (

    select
        {{ columns | join(',\n        ') }},
        {{ dq_reason(['customer_id', 'site_id', 'user_email']) }}
    from ranked

)

select * from final
