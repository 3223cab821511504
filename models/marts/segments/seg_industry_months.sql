{#- One row per industry per month; see seg_months. -#}
select
    segment_value as industry,
    * {{ exclude_columns(['segment_type', 'segment_value']) }}
from {{ ref('seg_months') }}
where segment_type = 'industry'
