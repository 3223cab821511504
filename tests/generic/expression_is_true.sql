{#- A boolean SQL expression that must hold on every row (optionally only
    on the rows matching `where`, via the standard `config: where:`). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
