{{ depends_on_seed('saas_user_activity') }}
{# the raw (text) columns, in the file's order: raw_row_id hashes them #}
{% set raw_columns = [
    'customer_id',
    'user_email',
    'site_id',
    'date',
    'activity_type',
    'event_count',
] %}
with

source as (

    {{ raw_rows(source('saas', 'saas_user_activity'), raw_columns) }}

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
        {{ canonical_category('activity_type', var('activity_types')) }} as activity_type,

        -- numerics
        {{ parse_integer(clean_text('event_count')) }} as event_count,

        -- dates
        {{ parse_iso_date(clean_text('date')) }} as activity_date,

        -- raw text of the typed columns, for data-quality messages
        event_count as event_count_text,
        date as activity_date_text

    from source

)

select * from renamed
