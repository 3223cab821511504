{{ depends_on_seed('saas_storage') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = ['customer_id', 'site_id', 'date', 'storage_bytes'] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_storage'), raw_columns) }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id(raw_columns) }} as raw_row_id,
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- numerics
        {{ parse_integer(clean_text('storage_bytes')) }} as storage_bytes,

        -- dates
        {{ parse_iso_date(clean_text('date')) }} as storage_date,

        -- raw text of the typed columns, for data-quality messages
        storage_bytes as storage_bytes_text,
        date as storage_date_text

    from source

)

select * from renamed
