with

source as (

    select * from {{ source('saas', 'saas_customer_info') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ canonical_category('industry', var('industries')) }} as industry,
        {{ canonical_category('region', var('regions')) }} as region,
        {{ canonical_category('account_tier', var('account_tiers')) }} as account_tier,
        lower({{ clean_text('contact_email') }}) as contact_email

    from source

)

select * from renamed
