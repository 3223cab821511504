-- A feed gone bad stops the build: fails for each raw table whose share of
-- quarantined rows exceeds the `quarantine_max_share` var (default 1%), and
-- logs it. A few bad rows only warn (assert_quarantine_visible).
{%- set limit = var('quarantine_max_share') %}
with

shares as (
    {{ quarantine_by_table() }}
),

over_limit as (
    select * from shares
    where quarantined_share > {{ limit }}
)

select * from over_limit
{%- if execute and flags.WHICH in ['build', 'test', 'retry'] %}
{%- for row in run_query(quarantine_by_table() ~ ' order by 1').rows if row[3] > limit %}
{{- log('quarantine over the limit ' ~ row[0] ~ ': ' ~ row[2] ~ ' of ' ~ row[1]
        ~ ' raw rows quarantined (' ~ '%.2f' | format(100 * row[3])
        ~ '%, above the quarantine_max_share limit of ' ~ '%.2f' | format(100 * limit) ~ '%): '
        ~ row[4], info=true) }}
{%- endfor %}
{%- endif %}
