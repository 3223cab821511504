{#- The model's grain: `columns` (or the column the test is attached to)
    are never null and never repeated. One scan, where `unique` + `not_null`
    take two per column. -#}
{% test primary_key(model, column_name=none, columns=none) %}
{%- set key = columns or [column_name] %}

select
    {{ key | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ key | join(', ') }}
having
    count(*) > 1
    {%- for column in key %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
