{#- One row per account_tier per month; see the segment_months macro. -#}
{{ segment_months('account_tier') }}
