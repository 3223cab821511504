-- Each segment mart partitions the (non-internal) fact: per month, the sums
-- of events, job minutes and sites over its segments equal the fact's.
{%- set segments = ['account_tier', 'region', 'industry'] %}

with

fact as (
    select
        month_start,
        sum(events_total) as events_total,
        sum(job_minutes_total) as job_minutes_total,
        count(*) as sites
    from {{ ref('fct_site_months') }}
    {%- if not var('segment_include_internal') %}
    where not is_internal
    {%- endif %}
    group by month_start
),

segments as (
    {%- for segment in segments %}
    select
        '{{ segment }}' as segment_type,
        month_start,
        sum(events_total) as events_total,
        sum(job_minutes_total) as job_minutes_total,
        sum(sites) as sites
    from {{ ref('seg_' ~ segment ~ '_months') }}
    group by month_start
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

mismatches as (
    select
        segments.*,
        fact.events_total as fact_events_total,
        fact.job_minutes_total as fact_job_minutes_total,
        fact.sites as fact_sites
    from segments
    left join fact on segments.month_start = fact.month_start
    where
        coalesce(fact.events_total, 0) <> segments.events_total
        or coalesce(fact.job_minutes_total, 0) <> segments.job_minutes_total
        or coalesce(fact.sites, 0) <> segments.sites
)

select * from mismatches
