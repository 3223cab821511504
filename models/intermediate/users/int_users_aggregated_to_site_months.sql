{#- One row per site-month of the spine: users assigned to the site and
    registered on or before the month's last day (licensed users, by the
    user's deduplicated licence) and users registered in the month. -#}
with

spine as (

    select * from {{ ref('int_site_months_spine') }}

),

assignments as (

    select * from {{ ref('int_user_site_assignments') }}

),

aggregated as (

    select
        spine.site_id,
        spine.month_start,
        cast(count(assignments.user_key) as {{ dbt.type_bigint() }}) as licensed_users,
        {{ pivot_sum(
            'assignments.license_type', var('license_types'), '1', 'licensed', suffix='s'
        ) }},
        {{ sum_int(
            'case when assignments.registration_date >= spine.month_start then 1 else 0 end'
        ) }} as new_users
    from spine
    left join assignments
        on
            spine.site_id = assignments.site_id
            and spine.month_end >= assignments.registration_date
    group by spine.site_id, spine.month_start

)

select * from aggregated
