{#- While the raw tables are loaded by `dbt seed` (the default), a staging
    model depends on its seed, so one `dbt build` on an empty warehouse loads
    each seed before the staging model reads it. Set the var
    `raw_loaded_by_seeds: false` when the raw tables come from elsewhere (a
    real loader, external Parquet files): staging then depends on its source
    alone. Setting `raw_parquet_path` (external Parquet sources, see
    _saas__sources.yml) implies it. -#}
{% macro depends_on_seed(seed_name) -%}
    {%- if var('raw_loaded_by_seeds', true) and not var('raw_parquet_path', none) -%}
        -- depends_on: {{ ref(seed_name) }}
    {%- endif -%}
{%- endmacro %}
