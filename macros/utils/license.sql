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

{#- True when `activity_type` is within what `license_type` entitles
    (the `license_entitled_activity_types` var). -#}
{% macro is_entitled_activity(license_type, activity_type) -%}
    case
        {%- for license, activities in var('license_entitled_activity_types').items() %}
        when {{ license_type }} = '{{ license }}'
            then {{ in_values(activity_type, activities) }}
        {%- endfor %}
        else false
    end
{%- endmacro %}
