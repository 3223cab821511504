{#- Quarantine visibility, applied to every quarantine_* model with a model
    holding one row per raw row of its table (its int_*_checked table) as
    `raw_model`. Both tests return one row
    per reason code (rows, an example message, the table's total and its
    share of the raw rows); their failure count is the number of quarantined
    rows (`fail_calc`), and the log shows the breakdown by reason, e.g.
      quarantine_storage: 37 of 2251 raw rows quarantined (1.64%, limit
      1.00%): invalid_date 20, negative_number 17

    * quarantine_rate (severity warn): any quarantined row warns, so a few bad
      rows are visible in every run without stopping it.
    * quarantine_rate_within_limit (severity error): fails when the
      quarantined share of the raw table exceeds `max_share` (default: the
      `quarantine_max_share` var), so a scheduled job fails loudly when a feed
      goes bad. An empty raw table never fails it. -#}

{% test quarantine_rate(model, raw_model) %}
    {{ config(severity='warn', fail_calc='coalesce(sum(quarantined_rows), 0)') }}
    {{ saas_usage.quarantine_breakdown(model, raw_model, max_share=none) }}
{% endtest %}

{% test quarantine_rate_within_limit(model, raw_model, max_share=none) %}
    {{ config(severity='error', fail_calc='coalesce(sum(quarantined_rows), 0)') }}
    {{ saas_usage.quarantine_breakdown(
        model, raw_model,
        max_share=var('quarantine_max_share') if max_share is none else max_share
    ) }}
{% endtest %}
