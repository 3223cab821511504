{#- The model's grain and its row rules, in one test node: `columns` (or
    the column the test is attached to) are never null and never repeated,
    and every row keeps the model's `rules`. One node, not two: dbt spends
    about 30 ms on a test node before any SQL, and 18 models have both.

    `rules` maps a rule's name to a boolean SQL expression that must hold on
    every row (a null result passes, as with dbt's own tests), or to
    `{column: c, in_var: v}`: the column's non-null values are among the
    values of the dbt var `v`. A failure comes back as its key, what it
    breaks (`repeated key`, `null key`, or the first rule its row breaks)
    and how many rows.

    Repeats are looked for as 64-bit hashes of the key first, and only the
    rows of a repeated hash are grouped by the key itself: exact, and one
    narrow aggregate over a large table instead of a group by of several
    text columns.

    `latest_load_only`: for an incremental model whose key includes its
    partition (a day), check only the rows the latest run wrote
    (`dbt_loaded_at`): a rebuilt partition is written whole, and the others
    were checked when they were written. A full build writes every row, so
    it checks every row.

    `keyed` is read twice; left to itself, DuckDB stores it (every key of the
    table) for both readers. Recomputed where read (`inlined_cte`), the
    activity key test at 108M rows took 13-15 s against 41-47 s. -#}
{% test primary_key(model, column_name=none, columns=none, latest_load_only=false, rules={}) %}
{%- set key = columns or [column_name] %}
{%- set latest = '(select max(dbt_loaded_at) from ' ~ model ~ ')' %}
{%- if latest_load_only and execute and flags.WHICH in ['build', 'test', 'retry'] %}
    {#- the latest load time as a literal, so that the scan skips the rest
        (compile and docs generate keep the subquery: the table may not exist) -#}
    {%- set loaded = run_query('select max(dbt_loaded_at) from ' ~ model).columns[0].values()[0] %}
    {%- set latest = "cast('" ~ loaded ~ "' as " ~ dbt.type_timestamp() ~ ")" if loaded is not none else latest %}
{%- endif %}
{%- set rows_checked = 'where dbt_loaded_at = ' ~ latest if latest_load_only else '' %}

with

keyed as {{ saas_usage.inlined_cte() }} (
    select
        {{ key | join(', ') }},
        {{ saas_usage.row_hash(key) }} as key_hash
    from {{ model }}
    {{ rows_checked }}
),

repeated_hashes as (
    select key_hash
    from keyed
    group by key_hash
    having count(*) > 1
),

key_failures as (
    select
        {{ key | join(', ') }},
        case
            when {{ key | join(' is null or ') }} is null then 'null key' else 'repeated key'
        end as failure,
        count(*) as n_rows
    from keyed
    where
        key_hash in (select key_hash from repeated_hashes)
        or {{ key | join(' is null or ') }} is null
    group by {{ key | join(', ') }}
    having count(*) > 1 or {{ key | join(' is null or ') }} is null
)
{%- if rules %},

rule_failures as (
    select
        {{ key | join(', ') }},
        case
            {%- for name, rule in rules.items() %}
            {%- set expression = rule if rule is string
                else saas_usage.in_values(rule.column, var(rule.in_var)) %}
            when not ({{ expression }}) then '{{ name }}'
            {%- endfor %}
        end as failure,
        1 as n_rows
    from {{ model }}
    {{ rows_checked }}
)
{%- endif %}

select * from key_failures
{%- if rules %}
union all
select * from rule_failures
where failure is not null
{%- endif %}

{% endtest %}
