-- Nothing is lost between staging and the marts: for every raw table, each
-- staged row has exactly one verdict in its int_*_checked model, and the
-- rows with a reason are exactly the table's rows in fct_quarantined_rows.
-- Returns one row per raw table whose books do not balance.
{%- set tables = [
    ('saas_customer_info', 'stg_saas__customers', 'int_customers_checked'),
    ('saas_sites', 'stg_saas__sites', 'int_sites_checked'),
    ('saas_users', 'stg_saas__users', 'int_users_checked'),
    ('saas_user_activity', 'stg_saas__user_activity', 'int_user_activity_checked'),
    ('saas_storage', 'stg_saas__storage', 'int_storage_checked'),
    ('saas_background_jobs', 'stg_saas__background_jobs', 'int_background_jobs_checked'),
] %}

with

quarantined as (
    select
        raw_table,
        count(*) as quarantined_rows
    from {{ ref('fct_quarantined_rows') }}
    group by raw_table
),

books as (
    {%- for raw_table, staging, checked in tables %}
    select
        '{{ raw_table }}' as raw_table,
        (select count(*) from {{ ref(staging) }}) as staged_rows,
        (select count(*) from {{ ref(checked) }}) as checked_rows,
        (
            select count(*) from {{ ref(checked) }}
            where dq_reason_code is not null
        ) as failed_rows
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

unbalanced as (
    select
        books.*,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows
    from books
    left join quarantined
        on books.raw_table = quarantined.raw_table
    where
        books.staged_rows <> books.checked_rows
        or books.failed_rows <> coalesce(quarantined.quarantined_rows, 0)
)

select * from unbalanced
