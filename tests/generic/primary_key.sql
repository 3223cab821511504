{#- The column is a primary key: never null and never repeated. One scan
    instead of the two that `unique` + `not_null` take (it matters on views
    over large feeds). -#}
{% test primary_key(model, column_name) %}

select
    {{ column_name }} as key_value,
    count(*) as n_rows
from {{ model }}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null

{% endtest %}
