{% macro license_rank(license_type) -%}
    case {{ license_type }}
        {%- for value in var('license_types') %}
        when '{{ value }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro sum_of_event_columns(activity_types, qualifier='') -%}
    {%- set columns = [] -%}
    {%- for activity_type in activity_types -%}
        {%- do columns.append(qualifier ~ 'events_' ~ category_suffix(activity_type)) -%}
    {%- endfor -%}
    ({{ columns | join(' + ') if columns else '0' }})
{%- endmacro %}

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
