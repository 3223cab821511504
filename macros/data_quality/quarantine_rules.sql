{#- Data-quality rules are declared as data at the top of each checked model
    (`quarantine_rules`, also its `meta`), in priority order: the first rule
    a row breaks names its reason. An entry names a check and the column it guards;
    dq_rule turns it into the reason code, the failing condition and the
    message, reading patterns and accepted values from the same vars as the
    check. A typed column `x` of staging carries its raw text as `x_text`.

      check             code                     fails when
      present           missing_key              a `columns` value is null
      format            malformed_key            `column` does not match var(`pattern`)
      date              invalid_date             `column` (a date) did not parse
      whole_number      invalid_number           `column` (an integer) did not parse
      non_negative      negative_number          `column` < 0
      one_of            unknown_category         `column` is not in var(`values`)
      known_customer    unknown_customer         no clean customer (joined as `is_known_customer`)
      known_site        orphan_site              no clean site (joined as `site_customer_id`)
      site_of_customer  site_customer_mismatch   the site belongs to another customer
      known_user        unknown_user             no clean user (joined as `user_registration_date`) -#}
{% macro dq_rule(rule) -%}
    {%- set column = rule.get('column') -%}
    {#- the value in the message, quoted; never a personal value (`pii: true`) -#}
    {%- set shown = "'(withheld)'" if rule.get('pii')
                    else "coalesce('\"' || " ~ column ~ " || '\"', '<null>')" -%}
    {%- set shown_text = "coalesce('\"' || " ~ column ~ "_text || '\"', '<null>')" -%}
    {%- if rule['check'] == 'present' -%}
        {%- set whens = [] -%}
        {%- for name in rule['columns'] -%}
            {%- do whens.append("when " ~ name ~ " is null then '" ~ name ~ " is missing'") -%}
        {%- endfor -%}
        {%- set result = ('missing_key', rule['columns'] | join(' is null or ') ~ ' is null',
                          'case ' ~ whens | join(' ') ~ ' end') -%}
    {%- elif rule['check'] == 'format' -%}
        {%- set result = ('malformed_key', 'not ' ~ regexp_full_match(column, var(rule['pattern'])),
                          "'" ~ column ~ " ' || " ~ shown ~ " || ' does not match "
                          ~ sql_text(var(rule['pattern'])) ~ "'") -%}
    {%- elif rule['check'] == 'date' -%}
        {%- set result = ('invalid_date', column ~ ' is null',
                          "'" ~ column ~ " ' || " ~ shown_text ~ " || ' is not a YYYY-MM-DD date'") -%}
    {%- elif rule['check'] == 'whole_number' -%}
        {%- set result = ('invalid_number', column ~ ' is null',
                          "'" ~ column ~ " ' || " ~ shown_text ~ " || ' is not a whole number'") -%}
    {%- elif rule['check'] == 'non_negative' -%}
        {%- set result = ('negative_number', column ~ ' < 0',
                          "'" ~ column ~ " ' || " ~ shown_text ~ " || ' is negative'") -%}
    {%- elif rule['check'] == 'one_of' -%}
        {%- set result = ('unknown_category',
                          'not coalesce(' ~ in_values(column, var(rule['values'])) ~ ', false)',
                          "'" ~ column ~ " ' || " ~ shown ~ " || ' is not one of "
                          ~ sql_text(var(rule['values']) | join(', ')) ~ "'") -%}
    {%- elif rule['check'] == 'known_customer' -%}
        {%- set result = ('unknown_customer', 'not is_known_customer',
                          "'customer_id \"' || customer_id || '\" is not a clean customer'") -%}
    {%- elif rule['check'] == 'known_site' -%}
        {%- set result = ('orphan_site', 'site_customer_id is null',
                          "'site_id \"' || site_id || '\" is not a clean site'") -%}
    {%- elif rule['check'] == 'site_of_customer' -%}
        {%- set result = ('site_customer_mismatch', 'site_customer_id <> customer_id',
                          "'site_id \"' || site_id || '\" belongs to customer ' || site_customer_id") -%}
    {%- elif rule['check'] == 'known_user' -%}
        {%- set result = ('unknown_user', 'user_registration_date is null',
                          "'user_email is not a clean user of customer ' || customer_id") -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "quarantine_rules of " ~ this ~ ": unknown check " ~ rule) }}
    {%- endif -%}
    {{ return({'code': result[0], 'fails': result[1], 'message': result[2]}) }}
{%- endmacro %}

{#- `row_reason_code` and `row_reason_message` of the first of `rules` (a
    model's quarantine_rules) a row breaks, null when it breaks none.
    `keys_valid_when`: a condition under which the row's keys are known to be
    present and well formed (it matched clean lookups by them), so that its
    key checks (present, format: regular expressions, the costliest checks
    over 100M+ rows) are only evaluated for the other rows. -#}
{% macro dq_row_reason(rules, keys_valid_when=none) -%}
    {%- set checks = [] -%}
    {%- for rule in rules -%}
        {%- set check = dq_rule(rule) -%}
        {%- if keys_valid_when and rule['check'] in ['present', 'format'] -%}
            {%- do check.update({'fails': 'not coalesce(' ~ keys_valid_when ~ ', false) and ('
                                 ~ check.fails ~ ')'}) -%}
        {%- endif -%}
        {%- do checks.append(check) -%}
    {%- endfor -%}
    case
        {%- for check in checks %}
        when {{ check.fails }} then '{{ check.code }}'
        {%- endfor %}
    end as row_reason_code,
    case
        {%- for check in checks %}
        when {{ check.fails }} then {{ check.message }}
        {%- endfor %}
    end as row_reason_message
{%- endmacro %}

{#- The final verdict of a row: its row-level reason, else a duplicate among
    the rows that passed every rule (`row_rank` > 1: an exact copy of an
    earlier row; `key_rank` > 1: another row has the same `key_columns`). -#}
{% macro dq_reason(key_columns) -%}
    case
        when row_reason_code is not null then row_reason_code
        when row_rank > 1 then 'duplicate_row'
        when key_rank > 1 then 'duplicate_key'
    end as dq_reason_code,
    case
        when row_reason_code is not null then row_reason_message
        when row_rank > 1 then 'exact duplicate of another row'
        when key_rank > 1
            then 'another row has the same {{ key_columns | join(", ") }} with other values'
    end as dq_reason_message
{%- endmacro %}

{#- Ranks for the duplicate check, among the rows that passed every rule
    (`row_reason_code` null):
    `key_rank`, the rank of the row's values among the rows of its key (the
    first in the order of all `columns`, nulls last, is 1), and `row_rank`,
    its number among identical rows. Identical rows share a dense_rank, so
    which copy comes first never turns a copy into a duplicate_key. -#}
{% macro dq_duplicate_ranks(key_columns, columns) -%}
    dense_rank() over (
        partition by row_reason_code is null, {{ key_columns | join(', ') }}
        order by
        {%- for column in columns %}
            {{ column }} is null, {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as key_rank,
    row_number() over (partition by row_reason_code is null, {{ columns | join(', ') }}) as row_rank
{%- endmacro %}

{#- A quarantined row's other values as one text, `name="value"` pairs
    (`<null>` for a null), so rows of every raw table share one shape. -#}
{% macro quarantined_values(columns) -%}
    {%- if columns | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {%- set parts = [] -%}
        {%- for column in columns -%}
            {%- do parts.append("'" ~ column ~ "='") -%}
            {%- do parts.append("coalesce('\"' || " ~ column ~ " || '\"', '<null>')") -%}
            {%- if not loop.last %}{% do parts.append("', '") %}{% endif -%}
        {%- endfor -%}
        {{ parts | join(' || ') }}
    {%- endif -%}
{%- endmacro %}

{#- A select of one row per raw table with quarantined rows: its raw rows
    (its staging model's rows), quarantined rows and share, and the rows per
    reason as text ("invalid_date 20, negative_number 5"). With `log_label`,
    the same rows are also written to the run's log when it executes, so the
    output says how many rows were quarantined and why. -#}
{% macro quarantine_by_table(log_label=none) %}
    {%- set staging = {
        'saas_customer_info': 'stg_saas__customers', 'saas_sites': 'stg_saas__sites',
        'saas_users': 'stg_saas__users', 'saas_user_activity': 'stg_saas__user_activity',
        'saas_storage': 'stg_saas__storage', 'saas_background_jobs': 'stg_saas__background_jobs',
    } -%}
    {%- set sql -%}
        with reasons as (
            select raw_table, dq_reason_code, count(*) as reason_rows
            from {{ ref('fct_quarantined_rows') }}
            group by raw_table, dq_reason_code
        ),
        raw_rows as (
            {%- for raw_table, model in staging.items() %}
            select '{{ raw_table }}' as raw_table, count(*) as raw_rows from {{ ref(model) }}
            {{ 'union all' if not loop.last }}
            {%- endfor %}
        )
        select
            reasons.raw_table,
            min(raw_rows.raw_rows) as raw_rows,
            sum(reasons.reason_rows) as quarantined_rows,
            {{ safe_divide('sum(reasons.reason_rows)', 'min(raw_rows.raw_rows)') }} as quarantined_share,
            {{ dbt.listagg(
                dbt.concat(['reasons.dq_reason_code', "' '", 'cast(reasons.reason_rows as ' ~ dbt.type_string() ~ ')']),
                "', '", 'order by reasons.dq_reason_code') }} as reasons
        from reasons
        inner join raw_rows
            on reasons.raw_table = raw_rows.raw_table
        group by reasons.raw_table
    {%- endset -%}
    {%- if log_label and execute and flags.WHICH in ['build', 'test', 'retry'] -%}
        {%- for row in run_query(sql ~ ' order by 1').rows -%}
            {{ log(log_label ~ ' ' ~ row[0] ~ ': ' ~ row[2] ~ ' of ' ~ row[1] ~ ' raw rows quarantined ('
                   ~ '%.2f' | format(100 * row[3]) ~ '%): ' ~ row[4], info=true) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(sql) }}
{% endmacro %}
