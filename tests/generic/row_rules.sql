{#- Row-level rules of a model, several in one scan: `rules` maps a rule's
    name to a boolean SQL expression that must hold on every row (a null
    result passes, as with dbt's own tests), or to `{column: c, in_var: v}`:
    the column's non-null values are among the values of the dbt var `v`.
    Each failing row comes back with the name of the first rule it breaks. -#}
{% test row_rules(model, rules) %}

with

judged as (

    select
        case
            {%- for name, rule in rules.items() %}
            {%- set expression = rule if rule is string
                else saas_usage.in_values(rule.column, var(rule.in_var)) %}
            when not ({{ expression }}) then '{{ name }}'
            {%- endfor %}
        end as broken_rule,
        *
    from {{ model }}

)

select * from judged
where broken_rule is not null

{% endtest %}
