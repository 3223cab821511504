{#- The checks a model's `quarantine_rules` can name, with their reason
    codes: docs/data-quality.md, "Row rules". A typed staging column `x`
    carries its raw text as `x_text`. -#}
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
    {%- elif rule['check'] == 'date_in_range' -%}
        {%- set result = ('out_of_range', day_partition(column) ~ " = date '1900-01-01'", "'" ~ column
            ~ " ' || " ~ shown_text ~ " || ' is before " ~ var('calendar_start_date') ~ " or after the run'") -%}
    {%- elif rule['check'] == 'at_most' -%}
        {%- set most = var('max_row_values')[column] -%}
        {%- set result = ('out_of_range', column ~ ' > ' ~ most,
                          "'" ~ column ~ " ' || " ~ shown_text ~ " || ' is above " ~ most ~ "'") -%}
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

{#- The row's date if a raw row can have it (macros/_macros.yml), else the 1900-01-01 partition. -#}
{% macro day_partition(column) -%}
    case when {{ column }} between cast('{{ var("calendar_start_date") }}' as date) and cast('
        {{- (run_started_at + modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') }}' as date)
    then {{ column }} else cast('1900-01-01' as date) end
{%- endmacro %}

{#- `rows` left-joined to the clean rows (only the columns read) of the lookups `rules`
    check, with `row_reason_code`/`row_reason_message` of the first rule a row breaks.
    A row meeting `keys_valid_when` skips its key checks (costly regexes at 100M+). -#}
{% macro dq_checked_rows(rows, rules, keys_valid_when=none) -%}
    {#- per lookup: checks reading it, model, join keys, columns added, other columns read -#}
    {%- set lookups = {
        'customers': (['known_customer'], 'int_customers_checked', ['customer_id'],
            'customers.customer_id is not null as is_known_customer', []),
        'sites': (['known_site', 'site_of_customer'], 'int_sites_checked', ['site_id'],
            'sites.customer_id as site_customer_id', ['customer_id']),
        'users': (['known_user'], 'int_users_deduplicated', ['customer_id', 'user_email'],
            'users.user_key as clean_user_key, users.registration_date as user_registration_date',
            ['user_key', 'registration_date']),
    } -%}
    {%- set used = [] -%}
    {%- for alias in lookups if rules | selectattr('check', 'in', lookups[alias][0]) | list -%}
        {%- do used.append(alias) -%}
    {%- endfor -%}
    {%- set checks = [] -%}
    {%- for rule in rules -%}
        {%- set check = dq_rule(rule) -%}
        {%- if keys_valid_when and rule['check'] in ['present', 'format'] -%}
            {%- do check.update({'fails': 'not coalesce(' ~ keys_valid_when ~ ', false) and ('
                                 ~ check.fails ~ ')'}) -%}
        {%- endif -%}
        {%- do checks.append(check) -%}
    {%- endfor -%}
    select
        *,
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
    from (
        select feed.*{% for alias in used %}, {{ lookups[alias][3] }}{% endfor %}
        from {{ rows }} as feed
        {%- for alias in used %}{% set lookup = lookups[alias] %}
        left join (
            select {{ (lookup[2] + lookup[4]) | join(', ') }} from {{ ref(lookup[1]) }}
            {{- ' where dq_reason_code is null' if lookup[1].endswith('_checked') }}
        ) as {{ alias }}
            on {% for key in lookup[2] -%}
                {{ 'and ' if not loop.first }}feed.{{ key }} = {{ alias }}.{{ key }} {% endfor -%}
        {%- endfor %}
    ) as joined
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

{#- `rows` with, among the rows that passed every rule, `key_rank` (the rank of a
    row's values within its key, in the order of `columns`, nulls last: identical
    rows share it) and `row_rank` (its number among identical rows). Only rows
    meeting `candidates` are sorted, in one window; the others rank 1. -#}
{% macro dq_ranked_rows(rows, key_columns, columns, candidates='true') -%}
    {%- set window -%}
        (partition by row_reason_code is null, {{ key_columns | join(', ') }} order by
        {%- for column in columns %} {{ column }} is null, {{ column }}{{ ',' if not loop.last }}{% endfor %})
    {%- endset -%}
    select *, 1 as key_rank, 1 as row_rank from {{ rows }} where not ({{ candidates }})
    union all
    select *, dense_rank() over {{ window }} as key_rank,
        row_number() over {{ window }} - rank() over {{ window }} + 1 as row_rank
    from {{ rows }} where {{ candidates }}
{%- endmacro %}
