{#- Stops a run before anything is built when a raw table a selected node reads
    is missing, in one line that says how to create it (generate the data when
    its seed file is missing too, else `dbt seed`). Run by `on-run-start`; a
    no-op for other commands and for external (Parquet) sources. -#}
{% macro check_raw_tables() -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'retry'] -%}
        {%- set missing, not_generated = [], [] -%}
        {%- for unique_id in selected_resources if unique_id in graph.nodes -%}
            {%- for parent in graph.nodes[unique_id].depends_on.nodes if parent in graph.sources -%}
                {%- set raw = graph.sources[parent] -%}
                {%- set name = raw.schema ~ '.' ~ raw.identifier -%}
                {%- if name not in missing and not raw.meta.get('external_location')
                      and adapter.get_relation(raw.database, raw.schema, raw.identifier) is none -%}
                    {%- do missing.append(name) -%}
                    {%- if ('seed.' ~ project_name ~ '.' ~ raw.name) not in graph.nodes -%}
                        {%- do not_generated.append(name) -%}
                    {%- endif -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not_generated -%}
            {%- do exceptions.raise_compiler_error(
                "raw data not generated (" ~ (not_generated | sort | join(', ')) ~ " missing):"
                ~ " create it with `python scripts/generate_saas_data.py` (or `make data`),"
                ~ " then load it with `dbt seed`") -%}
        {%- elif missing -%}
            {%- do exceptions.raise_compiler_error(
                "raw tables not loaded (" ~ (missing | sort | join(', ')) ~ " missing):"
                ~ " run `dbt seed` first") -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
