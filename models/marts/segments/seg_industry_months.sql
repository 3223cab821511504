{#- One row per industry per month; see the segment_months macro. -#}
{{ segment_months('industry') }}
