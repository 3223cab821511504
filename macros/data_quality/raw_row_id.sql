{#- A deterministic id for a raw row: the hash of all its raw values and of
    its occurrence number among identical rows. It does not depend on load
    order (identical rows are interchangeable), survives re-loads, and lets
    staging, the data-quality models and the quarantine tables have a primary
    key even when the feed itself has duplicates. -#}
{% macro raw_row_id(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
        {%- do parts.append("'|'") -%}
    {%- endfor -%}
    {%- do parts.append(
        "cast(row_number() over (partition by " ~ columns | join(', ') ~ ") as "
        ~ dbt.type_string() ~ ")"
    ) -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
