{{ config(severity='warn') }}
-- Quarantine is visible in every run: warns with one row per raw table that
-- has quarantined rows, and logs how many and why, e.g.
--   quarantine saas_storage: 25 of 2276 raw rows quarantined (1.10%):
--   invalid_date 20, negative_number 5
{{ quarantine_by_table(log_label='quarantine') }}
