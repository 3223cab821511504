with

source as (

    select * from {{ source('saas', 'saas_storage') }}

),

renamed as (

    select
        -- ids
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- numerics, with the raw text for data-quality messages
        {{ parse_integer(clean_text('storage_bytes')) }} as storage_bytes,
        cast(storage_bytes as {{ dbt.type_string() }}) as storage_bytes_text,

        -- dates, with the raw text (incremental runs select days by it)
        {{ parse_iso_date(clean_text('date')) }} as storage_date,
        cast(date as {{ dbt.type_string() }}) as storage_date_text

    from source

)

select * from renamed
