{#- Every non-null value is one of the canonical values listed in the dbt
    var `var_name` (the category lists live once, in dbt_project.yml). -#}
{% test accepted_values_var(model, column_name, var_name) %}

select
    {{ column_name }} as unexpected_value,
    count(*) as n_rows
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ saas_usage.in_values(column_name, var(var_name)) }}
group by {{ column_name }}

{% endtest %}
