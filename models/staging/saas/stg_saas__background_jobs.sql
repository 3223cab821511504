{{ depends_on_seed('saas_background_jobs') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = [
    'customer_id',
    'site_id',
    'date',
    'background_job_type',
    'background_job_min',
] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_background_jobs'), raw_columns) }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id(raw_columns) }} as raw_row_id,
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ canonical_category('background_job_type', var('background_job_types')) }}
            as background_job_type,

        -- numerics
        {{ parse_integer(clean_text('background_job_min')) }} as job_minutes,

        -- dates
        {{ parse_iso_date(clean_text('date')) }} as job_date,

        -- raw text of the typed columns, for data-quality messages
        background_job_min as job_minutes_text,
        date as job_date_text

    from source

)

select * from renamed
