-- Nothing is lost between staging and the marts: for every raw table, the
-- staged rows equal the cleaned rows plus the quarantined rows, and the
-- staged event / minute totals equal the cleaned plus quarantined totals.
-- Returns one row per table whose books do not balance. Each relation is read
-- once (count and total together): staging is a view, recomputed per read.
{%- set tables = [
    ('customers', 'stg_saas__customers', none),
    ('sites', 'stg_saas__sites', none),
    ('users', 'stg_saas__users', none),
    ('user_activity', 'stg_saas__user_activity', 'event_count'),
    ('storage', 'stg_saas__storage', 'storage_bytes'),
    ('background_jobs', 'stg_saas__background_jobs', 'job_minutes'),
] %}
with
{% for name, staging, measure in tables %}
{%- set total = 'coalesce(sum(' ~ measure ~ '), 0)' if measure else '0' %}
{%- for relation, part in [
    (ref(staging), 'staged'),
    (ref('int_' ~ name ~ '_cleaned'), 'cleaned'),
    (ref('quarantine_' ~ name), 'quarantined'),
] %}
{{ name }}_{{ part }} as (
    select
        count(*) as row_count,
        {{ total }} as total
    from {{ relation }}
),
{% endfor %}
{%- endfor %}
books as (
    {%- for name, staging, measure in tables %}
    select
        '{{ name }}' as raw_table,
        {{ name }}_staged.row_count as staged_rows,
        {{ name }}_cleaned.row_count as cleaned_rows,
        {{ name }}_quarantined.row_count as quarantined_rows,
        {{ name }}_staged.total as staged_total,
        {{ name }}_cleaned.total + {{ name }}_quarantined.total as accounted_total
    from {{ name }}_staged
    cross join {{ name }}_cleaned
    cross join {{ name }}_quarantined
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
