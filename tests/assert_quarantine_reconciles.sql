-- Nothing is lost between staging and the marts: for every raw table, the
-- staged rows equal the cleaned rows plus the quarantined rows, and the
-- staged event / minute totals equal the cleaned plus quarantined totals.
-- Returns one row per table whose books do not balance.
{%- set tables = [
    ('customers', 'stg_saas__customers', none),
    ('sites', 'stg_saas__sites', none),
    ('users', 'stg_saas__users', none),
    ('user_activity', 'stg_saas__user_activity', 'event_count'),
    ('storage', 'stg_saas__storage', 'storage_bytes'),
    ('background_jobs', 'stg_saas__background_jobs', 'job_minutes'),
] %}

with

books as (
    {%- for name, staging, measure in tables %}
    select
        '{{ name }}' as raw_table,
        (select count(*) from {{ ref(staging) }}) as staged_rows,
        (select count(*) from {{ ref('int_' ~ name ~ '_cleaned') }}) as cleaned_rows,
        (select count(*) from {{ ref('quarantine_' ~ name) }}) as quarantined_rows,
        {%- if measure %}
        (select coalesce(sum({{ measure }}), 0) from {{ ref(staging) }}) as staged_total,
        (select coalesce(sum({{ measure }}), 0) from {{ ref('int_' ~ name ~ '_cleaned') }})
        + (select coalesce(sum({{ measure }}), 0) from {{ ref('quarantine_' ~ name) }})
            as accounted_total
        {%- else %}
        0 as staged_total,
        0 as accounted_total
        {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

unbalanced as (
    select * from books
    where
        staged_rows <> cleaned_rows + quarantined_rows
        or staged_total <> accounted_total
)

select * from unbalanced
