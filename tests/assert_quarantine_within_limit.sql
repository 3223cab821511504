-- A feed gone bad stops the build: fails for each raw table whose
-- quarantined share of its rows exceeds the `quarantine_max_share` var
-- (default 1%). A few bad rows only show in assert_quarantine_visible.
with

rows_per_table as (
    select
        raw_table,
        count(*) as quarantined_rows
    from {{ ref('fct_quarantined_rows') }}
    group by raw_table
),

raw_rows as (
    {%- for raw_table, staging in [
        ('saas_customer_info', 'stg_saas__customers'), ('saas_sites', 'stg_saas__sites'),
        ('saas_users', 'stg_saas__users'), ('saas_user_activity', 'stg_saas__user_activity'),
        ('saas_storage', 'stg_saas__storage'), ('saas_background_jobs', 'stg_saas__background_jobs'),
    ] %}
    select '{{ raw_table }}' as raw_table, count(*) as raw_rows from {{ ref(staging) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

shares as (
    select
        rows_per_table.raw_table,
        rows_per_table.quarantined_rows,
        raw_rows.raw_rows,
        {{ safe_divide('rows_per_table.quarantined_rows', 'raw_rows.raw_rows') }} as quarantined_share
    from rows_per_table
    inner join raw_rows
        on rows_per_table.raw_table = raw_rows.raw_table
)

select * from shares
where quarantined_share > {{ var('quarantine_max_share') }}
