{{ depends_on_seed('saas_users') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = [
    'customer_id',
    'site_id',
    'user_email',
    'registration_date',
    'license_type',
] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_users'), raw_columns) }}

),

renamed as (

    select
        -- ids
        {{ raw_row_id(raw_columns) }} as raw_row_id,
        {{ user_key(clean_text('customer_id'), clean_text('user_email')) }} as user_key,
        {{ clean_text('customer_id') }} as customer_id,
        upper({{ clean_text('site_id') }}) as site_id,

        -- strings
        lower({{ clean_text('user_email') }}) as user_email,
        {{ canonical_category('license_type', var('license_types')) }} as license_type,

        -- dates
        {{ parse_iso_date(clean_text('registration_date')) }} as registration_date,

        -- raw text of the typed columns, for data-quality messages
        registration_date as registration_date_text

    from source

)

select * from renamed
