{#- The body of the quarantine_rate tests (tests/generic/quarantine_rate.sql):
    one row per reason code of the quarantine model `model`, with its rows,
    an example message, the table's quarantined total, the raw table's rows
    (`raw_model`, the staging model of the raw table) and the quarantined
    share. With `max_share`, rows come back only when the share exceeds it.

    When the test runs (dbt build / test), the same breakdown is also written
    to the log, so the run's output says how many rows were quarantined and
    why, not only that the test warned or failed. -#}
{% macro quarantine_breakdown(model, raw_model, max_share=none) %}

{%- set breakdown_sql -%}
with

quarantined as (

    select
        dq_reason_code,
        count(*) as reason_rows,
        min(dq_reason_message) as example_message
    from {{ model }}
    group by dq_reason_code

),

raw_table as (

    select count(*) as raw_rows from {{ raw_model }}

),

breakdown as (

    select
        '{{ model.identifier }}' as quarantine_table,
        quarantined.dq_reason_code,
        quarantined.reason_rows as quarantined_rows,
        quarantined.example_message,
        sum(quarantined.reason_rows) over () as table_quarantined_rows,
        raw_table.raw_rows,
        {{ saas_usage.safe_divide('sum(quarantined.reason_rows) over ()', 'raw_table.raw_rows') }}
            as quarantined_share
    from quarantined
    cross join raw_table

)

select * from breakdown
{%- endset -%}

{%- if execute and flags.WHICH in ['build', 'test', 'retry'] %}
    {%- set relation = adapter.get_relation(model.database, model.schema, model.identifier) %}
    {%- if relation is not none %}
        {%- set result = run_query(breakdown_sql ~ '\norder by quarantined_rows desc, dq_reason_code') %}
        {%- if result.rows | length > 0 %}
            {%- set first = result.rows[0] %}
            {%- set share = first['quarantined_share'] %}
            {%- set reasons = [] %}
            {%- for row in result.rows %}
                {%- do reasons.append(row['dq_reason_code'] ~ ' ' ~ row['quarantined_rows']) %}
            {%- endfor %}
            {%- set over_limit = max_share is not none and share is not none and share > max_share | float %}
            {%- if max_share is none or over_limit %}
                {%- do log(
                    model.identifier ~ ': ' ~ first['table_quarantined_rows'] ~ ' of '
                    ~ first['raw_rows'] ~ ' raw rows quarantined ('
                    ~ ('%.2f' | format((share or 0) * 100)) ~ '%'
                    ~ (', above the quarantine_max_share limit of ' ~ ('%.2f' | format(max_share | float * 100)) ~ '%'
                       if over_limit else '')
                    ~ '): ' ~ reasons | join(', '),
                    info=true
                ) %}
            {%- endif %}
        {%- endif %}
    {%- endif %}
{%- endif %}

{{ breakdown_sql }}
{%- if max_share is not none %}
where quarantined_share > {{ max_share }}
{%- endif %}

{% endmacro %}
