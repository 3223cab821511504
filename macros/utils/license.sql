{#- Rank of a licence in the order of the `license_types` var (Viewer=1,
    Explorer=2, Creator=3): higher includes more capabilities. -#}
{% macro license_rank(license_type) -%}
    case {{ license_type }}
        {%- for value in var('license_types') %}
        when '{{ value }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The licence with a given rank (inverse of license_rank). -#}
{% macro license_of_rank(rank) -%}
    case {{ rank }}
        {%- for value in var('license_types') %}
        when {{ loop.index }} then '{{ value }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- The sum of the `events_<type>` columns (of the relation `qualifier`,
    e.g. 'days.') of the activity types in `activity_types` (0 for none). -#}
{% macro sum_of_event_columns(activity_types, qualifier='') -%}
    {%- set columns = [] -%}
    {%- for activity_type in activity_types -%}
        {%- do columns.append(qualifier ~ 'events_' ~ category_suffix(activity_type)) -%}
    {%- endfor -%}
    ({{ columns | join(' + ') if columns else '0' }})
{%- endmacro %}

{#- Events of the types the licence in `license_type` does not entitle
    (the `license_entitled_activity_types` var), from `events_<type>`
    columns. -#}
{% macro events_beyond_license(license_type) -%}
    case {{ license_type }}
        {%- for license, entitled in var('license_entitled_activity_types').items() %}
        {%- set beyond = [] -%}
        {%- for activity_type in var('activity_types') if activity_type not in entitled -%}
            {%- do beyond.append(activity_type) -%}
        {%- endfor %}
        when '{{ license }}' then {{ sum_of_event_columns(beyond) }}
        {%- endfor %}
        else 0
    end
{%- endmacro %}
