with

source as (

    select * from {{ source('saas', 'saas_sites') }}

),

renamed as (

    select
        -- ids
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id

    from source

)

select * from renamed
