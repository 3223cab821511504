{#- Every staged activity row with the first data-quality rule it breaks and
    two soft flags. Soft anomalies are plausible in real data and stay in the
    clean data, flagged: activity on a site of the customer the user is not
    assigned to (`is_unassigned_site`) and activity dated before the user's
    registration (`is_before_registration`). -#}
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
    {'code': 'invalid_date', 'fails': 'activity_date is null',
     'message': "'date ' || " ~ dq_show('activity_date_text') ~ " || ' is not a YYYY-MM-DD date'"},
    {'code': 'invalid_number', 'fails': 'event_count is null',
     'message': "'event_count ' || " ~ dq_show('event_count_text') ~ " || ' is not a whole number'"},
    {'code': 'negative_number', 'fails': 'event_count < 0',
     'message': "'event_count ' || " ~ dq_show('event_count_text') ~ " || ' is negative'"},
    {'code': 'unknown_category',
     'fails': 'not coalesce(' ~ in_values('activity_type', var('activity_types')) ~ ', false)',
     'message': "'activity_type ' || " ~ dq_show('activity_type') ~ " || ' is not a known activity type'"},
    {'code': 'orphan_site', 'fails': 'site_customer_id is null',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' is not a valid site'"},
    {'code': 'site_customer_mismatch', 'fails': 'site_customer_id <> customer_id',
     'message': "'site_id ' || " ~ dq_show('site_id') ~ " || ' belongs to customer ' || site_customer_id"},
    {'code': 'unknown_user', 'fails': 'user_registration_date is null',
     'message': "'user_email is not a valid user of customer ' || customer_id"},
] -%}
{%- set columns = ['user_key', 'customer_id', 'site_id', 'user_email', 'activity_date',
                   'activity_type', 'event_count', 'activity_date_text', 'event_count_text'] -%}
{#- Incremental (config in dbt_project.yml): days are rebuilt whole, see
    dq_incremental_scope. Stored days whose rows were checked against a site,
    user or assignment that has changed since are re-checked: -#}
{%- set lookups_changed -%}
    select distinct checked.partition_date
    from {{ this }} as checked
    left join {{ ref('int_sites_cleaned') }} as sites
        on checked.site_id = sites.site_id
    left join {{ ref('int_users_deduplicated') }} as users
        on checked.user_key = users.user_key
    left join {{ ref('int_user_site_assignments') }} as assignments
        on
            checked.user_key = assignments.user_key
            and checked.site_id = assignments.site_id
    where
        checked.site_customer_id is distinct from sites.customer_id
        or checked.user_registration_date is distinct from users.registration_date
        or checked.is_unassigned_site <> (assignments.user_key is null)
{%- endset -%}

{#- The checked rows are built twice from the same input: all rows, and the
    few rows whose duplicate key may repeat, which alone are ranked for
    duplicates (see dq_duplicate_candidates). On a full build each reads the
    input streaming (100M+ rows: nothing is held aside). On an incremental
    run the input is a few days, read once into the `activity` CTE and reused:
    each read of staging pays its duplicate-row check (raw_rows) over the
    whole raw table. -#}
{%- set input_sql = dq_incremental_input(
    ref('stg_saas__user_activity'), columns, 'activity_date', lookups_changed,
    source('saas', 'saas_user_activity'), 'date'
) -%}
{#- staged columns that determine the duplicate key (user_key is the hash of
    customer_id and user_email) -#}
{%- set candidate_columns = [
    'customer_id', 'user_email', 'site_id', 'activity_date', 'activity_type'
] -%}
{%- set reread_sql = 'select * from activity' if is_incremental_run() else input_sql -%}

with

activity as (

    {{ input_sql }}

),

duplicate_candidates as (

    {{ dq_duplicate_candidates(reread_sql, candidate_columns) }}

),

candidate_activity as (

    select *
    from ({{ reread_sql }}) as input_rows
    where {{ dq_duplicate_candidate_filter(candidate_columns) }}

),

sites as (

    select
        site_id,
        customer_id
    from {{ ref('int_sites_cleaned') }}

),

users as (

    select
        user_key,
        registration_date
    from {{ ref('int_users_deduplicated') }}

),

assignments as (

    select
        user_key,
        site_id
    from {{ ref('int_user_site_assignments') }}

),
{% for prefix in ['', 'candidate_'] %}
{{ prefix }}joined as (

    select
        activity.*,
        sites.customer_id as site_customer_id,
        users.registration_date as user_registration_date,
        assignments.user_key is null as is_unassigned_site,
        activity.activity_date < users.registration_date as is_before_registration
    from {{ prefix }}activity as activity
    left join sites
        on activity.site_id = sites.site_id
    left join users
        on activity.user_key = users.user_key
    left join assignments
        on
            activity.user_key = assignments.user_key
            and activity.site_id = assignments.site_id

),

{{ prefix }}row_checked as (

    select
        *,
        {{ dq_reason_code(rules) }} as row_reason_code,
        {{ dq_reason_message(rules) }} as row_reason_message
    from {{ prefix }}joined

),
{% endfor %}
duplicate_ranks as (

    {{ dq_duplicate_ranks(
        'candidate_row_checked', ['user_key', 'site_id', 'activity_date', 'activity_type'], columns
    ) }}

),

ranked as (

    select
        row_checked.*,
        coalesce(duplicate_ranks.key_rank, 1) as key_rank,
        coalesce(duplicate_ranks.row_rank, 1) as row_rank
    from row_checked
    left join duplicate_ranks
        on row_checked.raw_row_id = duplicate_ranks.raw_row_id

),

final as (

    select
        raw_row_id,
        {{ columns | join(',\n        ') }},
        site_customer_id,
        user_registration_date,
        coalesce(is_unassigned_site, false) as is_unassigned_site,
        coalesce(is_before_registration, false) as is_before_registration,
        {{ dq_final_reason('user, site, date and activity_type') }},
        coalesce(activity_date, {{ incremental_undated_partition() }}) as partition_date
    from ranked
    {{ order_by_partition('partition_date') }}

)

select * from final
