{#- One row per site and month with at least one valid storage snapshot:
    mean and peak over the days with a snapshot, the value on the latest such
    day, and the first and last day with a snapshot. Months without snapshots
    have no row here, so the fact table shows null storage for them (null =
    not measured, 0 = measured empty).

    Incremental by month (config in dbt_project.yml): a run rebuilds the
    months whose source rows changed (see changed_months). -#}
{%- set current_checksums %}
    select site_id, month_start, {{ source_checksum(['raw_row_id']) }} as source_checksum
    from (
        select site_id, raw_row_id, {{ month_start('storage_date') }} as month_start
        from {{ ref('int_storage_cleaned') }}
    ) as storage
    group by site_id, month_start
{%- endset -%}
{%- set months = changed_months(current_checksums, ['site_id']) -%}

with

storage as (

    select
        raw_row_id,
        site_id,
        storage_date,
        storage_bytes,
        {{ month_start('storage_date') }} as month_start
    from {{ ref('int_storage_cleaned') }}
    {%- if months is not none %}
    where {{ in_months('storage_date', months) }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by site_id, month_start
            order by storage_date desc
        ) as recency_rank
    from storage

),

aggregated as (

    select
        site_id,
        month_start,
        count(*) as storage_days,
        avg(storage_bytes) as storage_bytes_avg,
        max(storage_bytes) as storage_bytes_max,
        max(case when recency_rank = 1 then storage_bytes end) as storage_bytes_month_end,
        min(storage_date) as first_storage_date,
        max(storage_date) as last_storage_date,
        {{ source_checksum(['raw_row_id']) }} as source_checksum
    from ranked
    group by site_id, month_start

)

select * from aggregated
