{{ config(severity='warn') }}
-- Quarantine is visible in every run: warns with one row per raw table and
-- reason that has quarantined rows (how many, and one example message).
select
    raw_table,
    dq_reason_code,
    count(*) as quarantined_rows,
    min(dq_reason_message) as example_message
from {{ ref('fct_quarantined_rows') }}
group by raw_table, dq_reason_code
