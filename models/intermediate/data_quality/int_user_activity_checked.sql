{%- set quarantine_rules = [
    {'check': 'present', 'columns': ['customer_id', 'site_id', 'user_email']},
    {'check': 'format', 'column': 'customer_id', 'pattern': 'customer_id_pattern'},
    {'check': 'format', 'column': 'site_id', 'pattern': 'site_id_pattern'},
    {'check': 'format', 'column': 'user_email', 'pattern': 'email_pattern', 'pii': true},
    {'check': 'date', 'column': 'activity_date'},
    {'check': 'date_in_range', 'column': 'activity_date'},
    {'check': 'whole_number', 'column': 'event_count'},
    {'check': 'non_negative', 'column': 'event_count'},
    {'check': 'at_most', 'column': 'event_count'},
    {'check': 'one_of', 'column': 'activity_type', 'values': 'activity_types'},
    {'check': 'known_site'},
    {'check': 'site_of_customer'},
    {'check': 'known_user'},
] -%}
{{ config(
    meta={'quarantine_rules': quarantine_rules},
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('partition_date', 'day', cluster_by=['customer_id', 'site_id'], incremental=true)
) }}
{#- Every staged activity row with its data-quality verdict: the first rule
    it breaks (quarantine_rules above), else a duplicate of another
    clean row's user, site, date and activity type. What depends on the
    user's registration and assignments (the 30-day rule, the soft
    anomalies) is worked out in the month aggregate, against the lookups of
    the day it is built.

    Incremental by day: a run rebuilds the days incremental_days_condition
    picks (the lookback window, days whose row count changed, days with rows
    quarantined for a site or user that may have arrived since, a backfill
    range, undated rows) and replaces those days whole. -#}
{%- set days_to_rebuild = incremental_days_condition(
    ref('stg_saas__user_activity'), 'activity_date',
    recheck_reasons=['orphan_site', 'site_customer_mismatch', 'unknown_user']
) -%}
{%- set key_columns = ['user_key', 'site_id', 'activity_date', 'activity_type'] -%}
{#- a row on a clean site of its customer by a clean user has well-formed keys -#}
{%- set keys_valid_when = 'site_customer_id = customer_id'
    ~ ' and user_registration_date is not null' -%}

with

-- The feed, activity to checked, is recomputed where it is read (macro
-- inlined_cte): the clean rows stream from the raw rows into the table, and
-- only the duplicate candidates, found by their key hash, are read again.
-- Left to itself, DuckDB stores the feed once for both ranking paths. Stored
-- (even as the narrow `checked`), at 10.5M rows the query took 1.7x as long
-- with 400 MB of memory (3 GB spilled; 4 GB is as tight at 100M rows), and
-- with 4 GB its buffers peaked at 2.3 GB against 0.5 GB. BigQuery takes no
-- such hint.
activity as {{ inlined_cte() }} (

    select
        customer_id,
        user_email,
        site_id,
        activity_date,
        activity_type,
        event_count,
        activity_date_text,
        event_count_text
    from {{ ref('stg_saas__user_activity') }}
    {%- if days_to_rebuild %}
    where {{ days_to_rebuild }}
    {%- endif %}

),

-- Duplicates are rare. The keys seen more than once are found first, as
-- 64-bit hashes of the staged key columns, by a second read of the same
-- rows: only their rows are ranked (a window over every row would sort the
-- whole feed). A hash collision only sends a row down the ranking path.
duplicate_candidates as (

    select
        {{ row_hash(['customer_id', 'user_email', 'site_id', 'activity_date', 'activity_type']) }}
            as candidate_hash
    from {{ ref('stg_saas__user_activity') }}
    {%- if days_to_rebuild %}
    where {{ days_to_rebuild }}
    {%- endif %}
    group by candidate_hash
    having count(*) > 1

),

flagged as {{ inlined_cte() }} (

    select
        activity.*,
        duplicate_candidates.candidate_hash is not null as is_duplicate_candidate
    from activity
    left join duplicate_candidates
        on
            {{ row_hash([
                'activity.customer_id', 'activity.user_email', 'activity.site_id',
                'activity.activity_date', 'activity.activity_type'
            ]) }} = duplicate_candidates.candidate_hash

),

row_checked as {{ inlined_cte() }} (

    -- the rows, left-joined to the clean sites (int_sites_checked) and users
    -- (int_users_deduplicated) the site and user rules read
    {{ dq_checked_rows('flagged', quarantine_rules, keys_valid_when=keys_valid_when) }}

),

-- The row's user (for an unknown email, its hash), and its raw texts only
-- where it may be quarantined.
checked as {{ inlined_cte() }} (

    select
        coalesce(
            clean_user_key,
            case when user_email is not null then {{ user_key('customer_id', 'user_email') }} end
        ) as user_key,
        customer_id,
        site_id,
        activity_date,
        activity_type,
        event_count,
        row_reason_code,
        row_reason_message,
        case
            when row_reason_code is not null or is_duplicate_candidate then activity_date_text
        end as activity_date_text,
        case
            when row_reason_code is not null or is_duplicate_candidate then event_count_text
        end as event_count_text,
        is_duplicate_candidate
    from row_checked

),

ranked as (

    {{ dq_ranked_rows(
        'checked', key_columns, key_columns + ['event_count'], candidates='is_duplicate_candidate'
    ) }}

),

judged as (

    select
        *,
        {{ dq_reason(key_columns) }}
    from ranked

),

final as (

    select
        -- no date, or one out of range (quarantined): the 1900-01-01 partition
        {{ day_partition('activity_date') }} as partition_date,
        user_key,
        customer_id,
        site_id,
        activity_date,
        activity_type,
        event_count,
        dq_reason_code,
        dq_reason_message,
        -- the raw texts are kept for quarantined rows only
        case when dq_reason_code is not null then activity_date_text end as activity_date_text,
        case when dq_reason_code is not null then event_count_text end as event_count_text,
        {{ loaded_at() }} as dbt_loaded_at
    from judged

)

select * from final
