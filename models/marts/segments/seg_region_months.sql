{#- One row per region per month; see the segment_months macro. -#}
{{ segment_months('region') }}
