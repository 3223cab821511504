{#- One row per clean customer: segment attributes, the internal flag, the
    contact's email domain (never the email), sites and users, and the first
    and last activity on any of its sites. -#}
{%- set licence_counts = [] -%}
{%- for license in var('license_types') -%}
{%- do licence_counts.append('users_' ~ category_suffix(license)) -%}
{%- endfor %}
with

customers as (

    select * from {{ ref('int_customers_classified') }}

),

sites as (

    select
        customer_id,
        count(*) as sites,
        count(go_live_date) as live_sites,
        min(go_live_date) as first_go_live_date,
        min(first_activity_date) as first_activity_date,
        max(last_activity_date) as last_activity_date
    from {{ ref('int_sites_lifecycle') }}
    group by customer_id

),

users as (

    select
        customer_id,
        count(*) as users,
        {{ pivot_sum('license_type', var('license_types'), '1', 'users') }}
    from {{ ref('int_users_deduplicated') }}
    group by customer_id

),

joined as (

    select
        customers.customer_id,
        customers.account_tier,
        customers.region,
        customers.industry,
        customers.is_internal,
        customers.contact_email_domain,
        {{ zero_if_missing('sites', ['sites', 'live_sites']) }},
        {{ zero_if_missing('users', ['users'] + licence_counts) }},
        sites.first_go_live_date,
        sites.first_activity_date,
        sites.last_activity_date
    from customers
    left join sites
        on customers.customer_id = sites.customer_id
    left join users
        on customers.customer_id = users.customer_id

)

select * from joined
