{{ depends_on_seed('saas_sites') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = ['site_id', 'customer_id'] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_sites'), raw_columns) }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id(raw_columns) }} as raw_row_id,
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id

    from source

)

select * from renamed
