{#- One row per account tier per month; see seg_months. -#}
select
    segment_value as account_tier,
    * {{ exclude_columns(['segment_type', 'segment_value']) }}
from {{ ref('seg_months') }}
where segment_type = 'account_tier'
