{{ config(materialized='table', **partition_config(cluster_by=['raw_table', 'dq_reason_code'])) }}
{#- One row per raw row that broke a data-quality rule, from every raw table,
    with the reason. Each int_*_checked model gives the verdicts; this table
    collects the rows that failed, in one shape: the keys the row names, its
    date, and its other values as text (`raw_values`). Personal data stays
    behind: emails are replaced by user_key, contact emails dropped. -#}
{%- set no_text = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
{%- set tables = {
    'saas_customer_info': {'model': 'int_customers_checked', 'site_id': no_text,
        'user_key': no_text, 'date': 'cast(null as date)',
        'values': ['industry', 'region', 'account_tier']},
    'saas_sites': {'model': 'int_sites_checked', 'site_id': 'site_id',
        'user_key': no_text, 'date': 'cast(null as date)', 'values': []},
    'saas_users': {'model': 'int_users_checked', 'site_id': 'site_id',
        'user_key': 'user_key', 'date': 'registration_date',
        'values': ['license_type', 'registration_date_text']},
    'saas_user_activity': {'model': 'int_user_activity_checked', 'site_id': 'site_id',
        'user_key': 'user_key', 'date': 'activity_date',
        'values': ['activity_type', 'activity_date_text', 'event_count_text']},
    'saas_storage': {'model': 'int_storage_checked', 'site_id': 'site_id',
        'user_key': no_text, 'date': 'storage_date',
        'values': ['storage_date_text', 'storage_bytes_text']},
    'saas_background_jobs': {'model': 'int_background_jobs_checked', 'site_id': 'site_id',
        'user_key': no_text, 'date': 'job_date',
        'values': ['background_job_type', 'job_date_text', 'job_minutes_text']},
} -%}
{#- a row's other values as one text of name="value" pairs (<null> for a
    null), so rows of every raw table share one shape -#}
{%- set raw_values = {} -%}
{%- for raw_table, spec in tables.items() -%}
{%- set pairs = [] -%}
{%- for column in spec['values'] -%}
{%- do pairs.append("'" ~ column ~ "=' || coalesce('\"' || " ~ column ~ " || '\"', '<null>')") -%}
{%- endfor -%}
{%- do raw_values.update({raw_table: pairs | join(" || ', ' || ") or no_text}) -%}
{%- endfor -%}

with

{% for raw_table, spec in tables.items() %}
{{ raw_table }} as (

    select
        '{{ raw_table }}' as raw_table,
        customer_id,
        {{ spec.site_id }} as site_id,  -- noqa: AL09
        {{ spec.user_key }} as user_key,  -- noqa: AL09
        {{ spec.date }} as row_date,
        {{ raw_values[raw_table] }} as raw_values,
        dq_reason_code,
        dq_reason_message
    from {{ ref(spec.model) }}
    where dq_reason_code is not null

),

{% endfor -%}
unioned as (

    {%- for raw_table in tables %}
    select * from {{ raw_table }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

identified as (

    select
        {{ dbt.hash(dbt.concat([
            'raw_table', "'|'", "coalesce(customer_id, '')", "'|'", "coalesce(site_id, '')",
            "'|'", "coalesce(user_key, '')", "'|'", "coalesce(raw_values, '')", "'|'",
            'dq_reason_code', "'|'",
            'cast(row_number() over (partition by raw_table, customer_id, site_id, user_key,'
            ~ ' raw_values, dq_reason_code order by dq_reason_message) as ' ~ dbt.type_string() ~ ')'
        ])) }} as raw_row_id,
        *
    from unioned

)

select * from identified
