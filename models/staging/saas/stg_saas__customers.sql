{{ depends_on_seed('saas_customer_info') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = ['customer_id', 'industry', 'region', 'account_tier', 'contact_email'] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_customer_info'), raw_columns) }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id(raw_columns) }} as raw_row_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ canonical_category('industry', var('industries')) }} as industry,
        {{ canonical_category('region', var('regions')) }} as region,
        {{ canonical_category('account_tier', var('account_tiers')) }} as account_tier,
        lower({{ clean_text('contact_email') }}) as contact_email

    from source

)

select * from renamed
