{{ config(
    materialized='incremental',
    on_schema_change='fail',
    **partition_config('month_start', 'month', cluster_by=['customer_id', 'site_id'], incremental=true)
) }}
{#- One row per site and month with at least one clean storage snapshot:
    mean and peak over the days with a snapshot, the value on the latest such
    day, and the first and last day with a snapshot. Months without snapshots
    have no row here, so the fact table shows null storage for them (null =
    not measured, 0 = measured empty).

    Incremental by month: a run rebuilds the months holding snapshots loaded
    since its last run (partitions_to_rebuild). -#}
{%- set months_to_rebuild = partitions_to_rebuild(ref('int_storage_checked')) -%}

with

storage as (

    select
        *,
        {{ month_start('storage_date') }} as month_start,
        max(storage_date) over (
            partition by site_id, {{ month_start('storage_date') }}
        ) as month_last_storage_date
    from {{ ref('int_storage_checked') }}
    where dq_reason_code is null and {{ months_to_rebuild }}

),

aggregated as (

    select
        site_id,
        month_start,
        min(customer_id) as customer_id,
        count(*) as storage_days,
        avg(storage_bytes) as storage_bytes_avg,
        max(storage_bytes) as storage_bytes_max,
        max(case when storage_date = month_last_storage_date then storage_bytes end)
            as storage_bytes_month_end,
        min(storage_date) as first_storage_date,
        max(storage_date) as last_storage_date,
        max(dbt_loaded_at) as dbt_loaded_at
    from storage
    group by site_id, month_start

)

select * from aggregated
