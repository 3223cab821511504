{#- One row per region per month; see seg_months. -#}
select
    segment_value as region,
    * {{ exclude_columns(['segment_type', 'segment_value']) }}
from {{ ref('seg_months') }}
where segment_type = 'region'
