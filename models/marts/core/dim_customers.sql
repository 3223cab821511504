{#- One row per clean customer: segment attributes, the internal flag, the
    contact's email domain (never the email), sites and users, and the first
    and last activity on any of its sites. -#}
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
        coalesce(sites.sites, 0) as sites,
        coalesce(sites.live_sites, 0) as live_sites,
        coalesce(users.users, 0) as users,
        {%- for license in var('license_types') %}
        coalesce(users.users_{{ category_suffix(license) }}, 0)
            as users_{{ category_suffix(license) }},
        {%- endfor %}
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
