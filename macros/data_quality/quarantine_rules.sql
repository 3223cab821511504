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
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "quarantine_rules of " ~ this ~ ": unknown check " ~ rule) }}
    {%- endif -%}
    {{ return({'code': result[0], 'fails': result[1], 'message': result[2]}) }}
{%- endmacro %}

{#- `rows` (a CTE) joined to the clean lookups its `rules` (a model's
    quarantine_rules) check against, with `row_reason_code` and
    `row_reason_message` of the first rule a row breaks (null when none).
    A lookup: its join, the columns it adds, its checks (reason code, failing
    condition, message), and the condition of a row that matched it by keys
    it `vouches` for (present and well formed). Where the lookups vouch for
    every key the rules check, such a row skips its key checks (present,
    format: regular expressions, the costliest checks over 100M+ rows). -#}
{% macro dq_checked_rows(rows, rules) -%}
    {%- set all_lookups = {
        'customers': {'model': 'int_customers_checked',
            'on': 'feed.customer_id = customers.customer_id and customers.dq_reason_code is null',
            'adds': ['customers.customer_id is not null as is_known_customer'],
            'vouches': ['customer_id'], 'matched': 'is_known_customer', 'checks': {
            'known_customer': ('unknown_customer', 'not is_known_customer',
                               "'customer_id \"' || customer_id || '\" is not a clean customer'")}},
        'sites': {'model': 'int_sites_checked',
            'on': 'feed.site_id = sites.site_id and sites.dq_reason_code is null',
            'adds': ['sites.customer_id as site_customer_id'],
            'vouches': ['site_id', 'customer_id'], 'matched': 'site_customer_id = customer_id',
            'checks': {
            'known_site': ('orphan_site', 'site_customer_id is null',
                           "'site_id \"' || site_id || '\" is not a clean site'"),
            'site_of_customer': ('site_customer_mismatch', 'site_customer_id <> customer_id',
                "'site_id \"' || site_id || '\" belongs to customer ' || site_customer_id")}},
        'users': {'model': 'int_users_deduplicated',
            'on': 'feed.customer_id = users.customer_id and feed.user_email = users.user_email',
            'adds': ['users.user_key as clean_user_key',
                     'users.registration_date as user_registration_date'],
            'vouches': ['customer_id', 'user_email'],
            'matched': 'user_registration_date is not null', 'checks': {
            'known_user': ('unknown_user', 'user_registration_date is null',
                           "'user_email is not a clean user of customer ' || customer_id")}},
    } -%}
    {%- set lookups, lookup_checks, vouched, matched, keys, checks = {}, {}, [], [], [], [] -%}
    {%- for alias, lookup in all_lookups.items()
          if rules | selectattr('check', 'in', lookup['checks']) | list -%}
        {%- do lookups.update({alias: lookup}) or lookup_checks.update(lookup['checks']) -%}
        {%- do vouched.extend(lookup['vouches']) or matched.append(lookup['matched']) -%}
    {%- endfor -%}
    {%- for rule in rules if rule['check'] in ['present', 'format'] -%}
        {%- do keys.extend(rule.get('columns', [rule.get('column')])) -%}
    {%- endfor -%}
    {%- set vouched_when = matched | join(' and ')
                           if keys | reject('in', vouched) | list == [] else none -%}
    {%- for rule in rules -%}
        {%- set found = lookup_checks.get(rule['check']) -%}
        {%- set check = dq_rule(rule) if not found
                        else {'code': found[0], 'fails': found[1], 'message': found[2]} -%}
        {%- if vouched_when and rule['check'] in ['present', 'format'] -%}
            {%- do check.update({'fails': 'not coalesce(' ~ vouched_when ~ ', false) and ('
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
        select
            feed.*
            {%- for lookup in lookups.values() %}{% for column in lookup['adds'] %},
            {{ column }}
            {%- endfor %}{% endfor %}
        from {{ rows }} as feed
        {%- for alias, lookup in lookups.items() %}
        left join {{ ref(lookup['model']) }} as {{ alias }} on {{ lookup['on'] }}
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
