-- Each segment mart partitions the (non-internal) fact: per month, the sums
-- of events, job minutes and sites over its segments equal the fact's, and
-- every month of the fact is in every segment mart.
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

segment_types as (
    {%- for segment in segments %}
    select '{{ segment }}' as segment_type {{ 'union all' if not loop.last }}
    {%- endfor %}
),

-- every month of the fact once per segment mart, so a month missing from a
-- mart is a mismatch too
expected as (
    select
        fact.*,
        segment_types.segment_type
    from fact
    cross join segment_types
),

mismatches as (
    select
        segments.events_total,
        segments.job_minutes_total,
        segments.sites,
        expected.events_total as fact_events_total,
        expected.job_minutes_total as fact_job_minutes_total,
        expected.sites as fact_sites,
        coalesce(expected.segment_type, segments.segment_type) as segment_type,
        coalesce(expected.month_start, segments.month_start) as month_start
    from expected
    full outer join segments
        on
            expected.segment_type = segments.segment_type
            and expected.month_start = segments.month_start
    where
        coalesce(expected.events_total, 0) <> coalesce(segments.events_total, 0)
        or coalesce(expected.job_minutes_total, 0) <> coalesce(segments.job_minutes_total, 0)
        or coalesce(expected.sites, 0) <> coalesce(segments.sites, 0)
)

select * from mismatches
