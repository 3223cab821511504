with

source as (

    select * from {{ source('saas', 'saas_users') }}

),

renamed as (

    select
        -- ids
        {{ user_key(clean_text('customer_id'), clean_text('user_email')) }} as user_key,
        {{ clean_text('customer_id') }} as customer_id,
        upper({{ clean_text('site_id') }}) as site_id,

        -- strings
        lower({{ clean_text('user_email') }}) as user_email,
        {{ canonical_category('license_type', var('license_types')) }} as license_type,

        -- dates, with the raw text for data-quality messages
        {{ parse_iso_date(clean_text('registration_date')) }} as registration_date,
        cast(registration_date as {{ dbt.type_string() }}) as registration_date_text

    from source

)

select * from renamed
