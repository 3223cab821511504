{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('month_start', 'month', cluster_by=['customer_id'], incremental=true)
) }}
{#- One row per user and month, from the user's registration month (or an
    earlier month with activity, which real feeds can have), clamped to the
    data set's first month, through its last month. Distinct-user counts
    above site level (customer, segment, licence type; the semantic layer's
    active and licensed users) are counts of these rows.

    Incremental by month: a run rebuilds every month from the earliest one a
    change reaches (the largest mart; a full rebuild each day cost a quarter
    of the daily run at 100M activity rows). A change is activity aggregated
    since this model's last run (dbt_loaded_at), a user added, removed or
    with another customer, licence or registration date (from the user's
    first month here: the licence is on every row), or a month new to the
    data set. Every later month is rebuilt too, since a user's first month
    can move earlier. -#}
{%- set rebuild_from = none -%}
{%- if execute and is_incremental() -%}
    {%- set rebuild_from_sql -%}
        with

        stored_users as (
            select user_key, customer_id, license_type, registration_date
            from {{ this }}
            where month_start = (select max(month_start) from {{ this }})
        ),

        changed_users as (
            select
                coalesce(users.user_key, stored_users.user_key) as user_key,
                users.registration_date
            from {{ ref('int_users_deduplicated') }} as users
            full outer join stored_users
                on users.user_key = stored_users.user_key
            where
                users.user_key is null
                or stored_users.user_key is null
                or users.customer_id <> stored_users.customer_id
                or users.license_type <> stored_users.license_type
                or users.registration_date <> stored_users.registration_date
        ),

        changes as (
            select month_start
            from {{ ref('int_activity_aggregated_to_user_site_months') }}
            where dbt_loaded_at > (
                -- no activity stored yet: every month of activity is new
                select coalesce(
                    max(dbt_loaded_at),
                    cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
                )
                from {{ this }}
            )
            union all
            select month_start
            from {{ this }}
            where user_key in (select user_key from changed_users)
            union all
            select {{ month_start('registration_date') }} as month_start
            from changed_users
            union all
            select month_start
            from {{ ref('int_data_months') }}
            where
                month_start > (select max(month_start) from {{ this }})
                or month_start < (select min(month_start) from {{ this }})
                or not exists (select 1 from {{ this }})
        )

        select min(month_start) from changes
    {%- endset -%}
    {%- set rebuild_from = run_query(rebuild_from_sql).columns[0].values()[0] -%}
    {{ log(this.identifier ~ ': rebuilding the months from ' ~ rebuild_from, info=true) }}
{%- endif -%}
{%- set in_scope = 'true' if not (execute and is_incremental())
    else ("month_start >= cast('" ~ rebuild_from ~ "' as date)" if rebuild_from else 'false') -%}

with

users as (

    select * from {{ ref('int_users_deduplicated') }}

),

months as (

    select * from {{ ref('int_data_months') }}
    where {{ in_scope }}

),

user_site_months as (

    select * from {{ ref('int_activity_aggregated_to_user_site_months') }}

),

-- the first month with activity, for the users' first months (from the
-- users' spans on their sites: 0.6M rows, not every user-site-month)
first_activity_months as (

    select
        user_key,
        {{ month_start('min(first_row_date)') }} as first_activity_month
    from {{ ref('int_activity_aggregated_to_user_sites') }}
    group by user_key

),

activity as (

    select
        user_key,
        month_start,
        {{ sum_int('events_total') }} as events_total,
        {%- for activity_type in var('activity_types') %}
        {{ sum_int('events_' ~ category_suffix(activity_type)) }}
            as events_{{ category_suffix(activity_type) }},
        {%- endfor %}
        {{ sum_int('case when events_total > 0 then 1 else 0 end') }} as active_sites,
        max(dbt_loaded_at) as dbt_loaded_at
    from user_site_months
    where {{ in_scope }}
    group by user_key, month_start

),

first_months as (

    select
        users.user_key,
        {{ earliest_date(
            [month_start('users.registration_date'), 'first_activity_months.first_activity_month']
        ) }} as first_month
    from users
    left join first_activity_months
        on users.user_key = first_activity_months.user_key

),

spine as (

    select
        users.user_key,
        users.customer_id,
        users.license_type,
        users.registration_date,
        months.month_start,
        months.month_end
    from users
    inner join first_months
        on users.user_key = first_months.user_key
    inner join months
        on first_months.first_month <= months.month_start

),

joined as (

    select
        spine.user_key,
        spine.customer_id,
        spine.month_start,
        spine.license_type,
        spine.registration_date,
        spine.registration_date <= spine.month_end as is_licensed,
        spine.registration_date between spine.month_start and spine.month_end as is_new_user,
        coalesce(activity.events_total, 0) > 0 as is_active,
        coalesce(activity.events_total, 0) as events_total,
        -- the events_<type> columns of activity (spine has none)
        coalesce({{ sum_of_event_columns(var('creation_activity_types')) }}, 0) as events_creation,
        coalesce({{ events_beyond_license('spine.license_type') }}, 0) as events_beyond_license,
        coalesce(activity.active_sites, 0) as active_sites,
        activity.dbt_loaded_at
    from spine
    left join activity
        on
            spine.user_key = activity.user_key
            and spine.month_start = activity.month_start

)

select * from joined
