with

source as (

    select * from {{ source('saas', 'saas_user_activity') }}

),

renamed as (

    select
        -- ids
        {{ user_key(clean_text('customer_id'), clean_text('user_email')) }} as user_key,
        {{ clean_text('customer_id') }} as customer_id,
        upper({{ clean_text('site_id') }}) as site_id,

        -- strings
        lower({{ clean_text('user_email') }}) as user_email,
        {{ canonical_category('activity_type', var('activity_types')) }} as activity_type,

        -- numerics, with the raw text for data-quality messages
        {{ parse_integer(clean_text('event_count')) }} as event_count,
        cast(event_count as {{ dbt.type_string() }}) as event_count_text,

        -- dates, with the raw text (incremental runs select days by it)
        {{ parse_iso_date(clean_text('date')) }} as activity_date,
        cast(date as {{ dbt.type_string() }}) as activity_date_text

    from source

)

select * from renamed
