{#- The model's grain: `columns` (or the column the test is attached to)
    are never null and never repeated. One scan, where `unique` + `not_null`
    take two per column.

    `latest_load_only`: for an incremental model whose key includes its
    partition (a day), check only the rows the latest run wrote
    (`dbt_loaded_at`): a rebuilt partition is written whole, and the others
    were checked when they were written. A full build writes every row, so
    it checks every row. -#}
{% test primary_key(model, column_name=none, columns=none, latest_load_only=false) %}
{%- set key = columns or [column_name] %}
{%- if latest_load_only and execute %}
    {#- the latest load time as a literal, so that the scan skips the rest -#}
    {%- set latest = run_query('select max(dbt_loaded_at) from ' ~ model).columns[0].values()[0] %}
{%- endif %}

select
    {{ key | join(', ') }},
    count(*) as n_rows
from {{ model }}
{%- if latest is defined and latest is not none %}
where dbt_loaded_at = cast('{{ latest }}' as {{ dbt.type_timestamp() }})
{%- endif %}
group by {{ key | join(', ') }}
having
    count(*) > 1
    {%- for column in key %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
