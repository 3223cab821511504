with

source as (

    select * from {{ source('saas', 'saas_background_jobs') }}

),

renamed as (

    select
        -- ids
        upper({{ clean_text('site_id') }}) as site_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ canonical_category('background_job_type', var('background_job_types')) }}
            as background_job_type,

        -- numerics, with the raw text for data-quality messages
        {{ parse_integer(clean_text('background_job_min')) }} as job_minutes,
        cast(background_job_min as {{ dbt.type_string() }}) as job_minutes_text,

        -- dates, with the raw text (incremental runs select days by it)
        {{ parse_iso_date(clean_text('date')) }} as job_date,
        cast(date as {{ dbt.type_string() }}) as job_date_text

    from source

)

select * from renamed
