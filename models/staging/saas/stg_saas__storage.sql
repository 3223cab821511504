{{ depends_on_seed('saas_storage') }}
with

source as (

    select * from {{ source('saas', 'saas_storage') }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id([
            'customer_id',
            'site_id',
            'date',
            'storage_bytes',
        ]) }} as raw_row_id,
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
