-- Quarantine is visible in every run and a feed gone bad stops the build.
-- Logs one line per raw table with quarantined rows, e.g.
--   quarantine saas_storage: 25 of 2276 raw rows quarantined (1.10%):
--   invalid_date 20, negative_number 5
-- and fails for each raw table whose quarantined share exceeds the
-- `quarantine_max_share` var (default 1%), logging it as over the limit.
-- Lines the CSV loader rejected (DuckDB seeds: <seed>__load_rejects, not
-- rows of any model) count as quarantined too, as `rejected_line`.
{%- set limit = var('quarantine_max_share') %}
{%- set staging = {
    'saas_customer_info': 'stg_saas__customers', 'saas_sites': 'stg_saas__sites',
    'saas_users': 'stg_saas__users', 'saas_user_activity': 'stg_saas__user_activity',
    'saas_storage': 'stg_saas__storage', 'saas_background_jobs': 'stg_saas__background_jobs',
} %}
{%- set load_rejects = {} %}
{%- for raw_table in staging %}
{%- set raw = source('saas', raw_table) %}
{#- (Parquet read in place: no load, whatever an earlier CSV load left) -#}
{%- set rejects = adapter.get_relation(
    raw.database, raw.schema, raw.identifier ~ '__load_rejects'
) if execute and not var('raw_parquet_path', none) else none %}
{%- if rejects is not none %}{% do load_rejects.update({raw_table: rejects}) %}{% endif %}
{%- endfor %}
-- The CTEs are set as text to be run again for the log below (sqlfluff
-- cannot place the indents of a set block).
-- noqa: disable=LT02
{%- set shares_sql %}
with

reasons as (
    select raw_table, dq_reason_code, count(*) as reason_rows
    from {{ ref('fct_quarantined_rows') }}
    group by raw_table, dq_reason_code
    {%- for raw_table, rejects in load_rejects.items() %}
    union all
    select '{{ raw_table }}', 'rejected_line', count(distinct line) from {{ rejects }}
    having count(*) > 0
    {%- endfor %}
),

raw_rows as (
    {%- for raw_table, model in staging.items() %}
    select
        '{{ raw_table }}' as raw_table,
        count(*)
        {%- if raw_table in load_rejects %}
        + (select count(distinct line) from {{ load_rejects[raw_table] }})
        {%- endif %} as raw_rows
    from {{ ref(model) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

shares as (
    select
        reasons.raw_table,
        min(raw_rows.raw_rows) as raw_rows,
        sum(reasons.reason_rows) as quarantined_rows,
        {{ safe_divide('sum(reasons.reason_rows)', 'min(raw_rows.raw_rows)') }} as quarantined_share,
        {%- set reason_rows = dbt.concat(['reasons.dq_reason_code', "' '",
            'cast(reasons.reason_rows as ' ~ dbt.type_string() ~ ')']) %}
        {{ dbt.listagg(reason_rows, "', '", 'order by reasons.dq_reason_code') }} as reasons
    from reasons
    inner join raw_rows
        on reasons.raw_table = raw_rows.raw_table
    group by reasons.raw_table
)
{%- endset %}
-- noqa: enable=LT02

{{ shares_sql }},

over_limit as (
    select * from shares
    where quarantined_share > {{ limit }}
)

select * from over_limit
{%- if execute and flags.WHICH in ['build', 'test', 'retry'] %}
{%- for row in run_query(shares_sql ~ ' select * from shares order by raw_table').rows %}
{%- set over = row[3] > limit %}
{{- log('quarantine ' ~ ('over the limit ' if over) ~ row[0] ~ ': ' ~ row[2] ~ ' of ' ~ row[1]
        ~ ' raw rows quarantined (' ~ '%.2f' | format(100 * row[3]) ~ '%'
        ~ (', above the quarantine_max_share limit of ' ~ '%.2f' | format(100 * limit) ~ '%'
           if over) ~ '): ' ~ row[4], info=true) }}
{%- endfor %}
{%- endif %}
