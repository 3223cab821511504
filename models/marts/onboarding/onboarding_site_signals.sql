{{ config(materialized='table', **partition_config(cluster_by=['customer_id', 'site_id'])) }}
{#- One row per site whose go-live falls inside the data (strictly after the
    data set's first day: a site with data on day one may have been live
    before it). Measures the site's first `onboarding_window_days` days and
    raises the onboarding signals; thresholds are dbt vars. Read from the
    site-day and user-site aggregates, not from the daily rows. -#}
{%- set window_days = var('onboarding_window_days') -%}
{%- set tail_days = var('signal_stalled_tail_days') -%}

with

date_range as (

    select * from {{ ref('int_data_date_range') }}

),

sites as (

    select
        lifecycle.site_id,
        lifecycle.customer_id,
        lifecycle.go_live_date,
        {{ add_days('lifecycle.go_live_date', window_days - 1) }} as window_end_date,
        {{ add_days('lifecycle.go_live_date', window_days - tail_days) }} as tail_start_date,
        date_range.data_end_date
    from {{ ref('int_sites_lifecycle') }} as lifecycle
    cross join date_range
    where lifecycle.go_live_date > date_range.data_start_date

),

activity as (

    select
        sites.site_id,
        {{ sum_int('days.events_total') }} as events_in_window,
        {{ sum_int(
            'case when days.activity_date >= sites.tail_start_date then days.events_total else 0 end'
        ) }} as events_in_window_tail,
        {{ sum_int(sum_of_event_columns(var('creation_activity_types'), 'days.')) }}
            as creation_events_in_window
    from sites
    inner join {{ ref('int_activity_aggregated_to_site_days') }} as days
        on
            sites.site_id = days.site_id
            and days.activity_date between sites.go_live_date and sites.window_end_date
    group by sites.site_id

),

-- The site's users and the day each joined it: as an active user, their
-- first event on the site (no event of the site predates its go-live); as a
-- licensed user, their registration.
user_dates as (

    select
        site_id,
        first_activity_date as since_date,
        true as is_active
    from {{ ref('int_activity_aggregated_to_user_sites') }}

    union all

    select
        site_id,
        registration_date as since_date,
        false as is_active
    from {{ ref('int_user_site_assignments') }}

),

users as (

    select
        sites.site_id,
        {{ sum_int('case when user_dates.is_active then 1 else 0 end') }} as active_users_in_window,
        {{ sum_int('case when user_dates.is_active then 0 else 1 end') }}
            as licensed_users_in_window
    from sites
    inner join user_dates
        on
            sites.site_id = user_dates.site_id
            and sites.window_end_date >= user_dates.since_date
    group by sites.site_id

),

storage as (

    select
        sites.site_id,
        max(storage.storage_bytes) as storage_bytes_peak_in_window
    from sites
    inner join {{ ref('int_storage_checked') }} as storage
        on
            sites.site_id = storage.site_id
            and storage.storage_date between sites.go_live_date and sites.window_end_date
    where storage.dq_reason_code is null
    group by sites.site_id

),

measured as (

    select
        sites.site_id,
        sites.customer_id,
        sites.go_live_date,
        sites.window_end_date,
        cast({{ window_days }} as {{ dbt.type_bigint() }}) as onboarding_window_days,
        least(
            {{ days_between('sites.go_live_date', 'sites.data_end_date') }} + 1,
            {{ window_days }}
        ) as window_days_observed,
        sites.window_end_date <= sites.data_end_date as is_window_complete,
        {{ zero_if_missing('activity', [
            'events_in_window', 'events_in_window_tail', 'creation_events_in_window'
        ]) }},
        {{ zero_if_missing('users', ['active_users_in_window', 'licensed_users_in_window']) }},
        storage.storage_bytes_peak_in_window
    from sites
    left join activity
        on sites.site_id = activity.site_id
    left join storage
        on sites.site_id = storage.site_id
    left join users
        on sites.site_id = users.site_id

),

signals as (

    select
        *,
        {{ safe_divide('active_users_in_window', 'licensed_users_in_window') }}
            as activation_rate,
        events_in_window >= {{ var('signal_high_activity_min_events') }}
        and coalesce(storage_bytes_peak_in_window, 0) <= {{ var('signal_no_storage_max_bytes') }}
            as is_high_activity_no_storage,
        is_window_complete
        and licensed_users_in_window > 0
        and events_in_window_tail = 0
            as is_stalled
    from measured

),

final as (

    select
        *,
        is_window_complete
        and not is_stalled
        and coalesce(activation_rate, 0) < {{ var('signal_slow_ramp_max_activation_rate') }}
            as is_slow_ramp,
        events_in_window > 0 and creation_events_in_window = 0 as is_no_content_created
    from signals

)

select * from final
