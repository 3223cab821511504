{{ config(
    materialized='table',
    **partition_config('month_start', 'month', cluster_by=['customer_id'])
) }}
{#- One row per customer, month and licence type (every licence type present
    for every month from the customer's first licensed user): licensed and
    active users, utilisation, and the licence-fit candidates. -#}
with

user_months as (

    select * from {{ ref('fct_user_months') }}

),

customers as (

    select * from {{ ref('int_customers_classified') }}

),

customer_months as (

    select distinct
        customer_id,
        month_start
    from user_months

),

license_types as (

    {%- for license in var('license_types') %}
    select
        '{{ license }}' as license_type,
        cast({{ loop.index }} as {{ dbt.type_bigint() }}) as license_rank
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

spine as (

    select
        customer_months.customer_id,
        customer_months.month_start,
        license_types.license_type,
        license_types.license_rank
    from customer_months
    cross join license_types

),

aggregated as (

    select
        customer_id,
        month_start,
        license_type,
        {{ sum_int('case when is_licensed then 1 else 0 end') }} as licensed_users,
        {{ sum_int('case when is_active then 1 else 0 end') }} as active_users,
        {{ sum_int('case when is_licensed and is_active then 1 else 0 end') }}
            as active_licensed_users,
        {{ sum_int('events_total') }} as events_total,
        {{ sum_int(
            "case when is_licensed and license_type = '" ~ var('license_types')[-1]
            ~ "' and events_creation = 0 then 1 else 0 end"
        ) }} as downgrade_candidates,
        {{ sum_int('case when events_beyond_license > 0 then 1 else 0 end') }}
            as upgrade_candidates,
        {{ sum_int('events_beyond_license') }} as events_beyond_license
    from user_months
    group by customer_id, month_start, license_type

),

joined as (

    select
        spine.customer_id,
        spine.month_start,
        spine.license_type,
        spine.license_rank,
        customers.account_tier,
        customers.region,
        customers.industry,
        customers.is_internal,
        {{ zero_if_missing('aggregated', ['licensed_users', 'active_users']) }},
        {{ safe_divide('aggregated.active_licensed_users', 'aggregated.licensed_users') }}
            as licence_utilisation,
        {{ zero_if_missing('aggregated', [
            'events_total', 'downgrade_candidates', 'upgrade_candidates', 'events_beyond_license'
        ]) }}
    from spine
    inner join customers
        on spine.customer_id = customers.customer_id
    left join aggregated
        on
            spine.customer_id = aggregated.customer_id
            and spine.month_start = aggregated.month_start
            and spine.license_type = aggregated.license_type

)

select * from joined
