{#-
    Fast `dbt seed` on DuckDB: the seed table is built by DuckDB's own CSV
    reader (`read_csv`) instead of dbt's agate parse of the whole file in
    Python (about 10x slower and 4x the memory at 1M rows, measured here).

    Only DuckDB is affected (`adapter='duckdb'`); every other adapter, BigQuery
    included, keeps dbt's default seed materialization, and so does a seed
    configured with `read_csv_loader: false`. Documented in
    _materializations.yml; tested by tests/test_seed_loading.py.

    Contract kept from dbt's default seed materialization:
      * types: a column named in `column_types` gets exactly that type, every
        other column is VARCHAR (no type inference that a bad value could break);
      * names come from the CSV header; `quote_columns` decides how they are
        quoted; `delimiter` is honoured;
      * first load / `--full-refresh`: drop and re-create the table; later
        loads: truncate and insert into the existing table (same object, types,
        grants), by column name; a header that no longer matches the table
        asks for `--full-refresh`;
      * hooks, grants, persist_docs, indexes, the `relations` return value and
        the `agate_table` result the seed runner reads (`--show` gets a random
        sample of the loaded rows).
    Bad input never fails the load and is never dropped without a trace:
      * a column named in `column_types` missing from the header, an empty or
        duplicate header name: compiler error naming file and column (no data
        is touched);
      * a line that cannot be parsed (too many / too few fields, unterminated
        quote, invalid UTF-8, a value that does not cast to a non-text
        `column_types` type) is not loaded: DuckDB's `store_rejects` records
        it, the records are copied to `<schema>.<seed>__load_rejects` and a
        warning names the file, line numbers and reasons (`--warn-error`
        turns it into a failure). A clean load drops a stale rejects table;
      * every load is reconciled: physical lines of the file = header + rows
        loaded + blank lines + lines inside rejected records (+ line breaks
        inside quoted values). DuckDB's reader can lose rows silently after an
        unterminated quote (it reads on, looking for the closing quote); when
        the counts disagree the file is re-read line by line (each physical
        line is one record, quotes parsed within the line) so that only the
        broken line is rejected.
-#}

{#- SQL string literal: single quotes doubled. -#}
{% macro saas_seed_sql_string(value) -%}
  '{{ (value | string) | replace("'", "''") }}'
{%- endmacro %}

{#- Quoted SQL identifier. -#}
{% macro saas_seed_ident(name) -%}
  "{{ (name | string) | replace('"', '""') }}"
{%- endmacro %}

{#- Temp table (per connection, i.e. per dbt thread; named per seed). -#}
{% macro saas_seed_temp(identifier, purpose) -%}
  temp.main.{{ saas_seed_ident('dbt_seed__' ~ identifier ~ '__' ~ purpose) }}
{%- endmacro %}

{% macro saas_seed_delimiter(model) -%}
  {{- return(model['config'].get('delimiter', ',') or ',') -}}
{%- endmacro %}

{#- The dialect options shared by the header read and the load: nothing is
    sniffed, so no sample of the data can make DuckDB guess a different
    delimiter/quote/header than the file's. -#}
{% macro saas_seed_csv_dialect(model) -%}
  auto_detect = false, delim = {{ saas_seed_sql_string(saas_seed_delimiter(model)) }}, quote = '"', escape = '"'
{%- endmacro %}

{#- read_csv of the file's physical lines, one VARCHAR `l` per line (NULL for
    a blank line); no quoting. Invalid UTF-8 lines go to the rejects table. -#}
{% macro saas_seed_lines_source(csv_path, rejects_table, parallel=true) -%}
  read_csv({{ saas_seed_sql_string(csv_path) }}, columns = {'l': 'VARCHAR'}, header = false,
      auto_detect = false, quote = '', escape = '', delim = chr(1) || chr(2) || chr(3) || chr(4),
      strict_mode = false, {{ '' if parallel else 'parallel = false, ' }}store_rejects = true,
      rejects_table = {{ saas_seed_sql_string(rejects_table) }},
      rejects_scan = {{ saas_seed_sql_string(rejects_table ~ '_scan') }})
{%- endmacro %}

{#- Reads the first CSV record with DuckDB and returns the header's names
    (trimmed), [] for an empty (0-byte) file. The record is read into a wide
    all-VARCHAR column list padded with NULLs (empty fields stay '' thanks to
    a nullstr no file contains), so the header's width is read, not guessed
    from a sample of the data as DuckDB's sniffer would. -#}
{% macro saas_seed_read_header(model, csv_path) %}
  {%- set ns = namespace(names=none) -%}
  {%- for width in [64, 4096] -%}
    {%- if ns.names is none -%}
      {%- set header_sql -%}
        select * from read_csv({{ saas_seed_sql_string(csv_path) }},
            {{ saas_seed_csv_dialect(model) }}, header = false,
            columns = { {%- for i in range(width) -%}'c{{ i }}': 'VARCHAR'{{ ', ' if not loop.last }}{%- endfor -%} },
            null_padding = true, strict_mode = false, parallel = false,
            nullstr = '<dbt seed: no null in the header>', allow_quoted_nulls = false)
        limit 1
      {%- endset -%}
      {%- set result = run_query(header_sql) -%}
      {%- if result.rows | length == 0 -%}
        {%- set ns.names = [] -%}
      {%- elif result.rows[0][width - 1] is none -%}
        {%- set names = [] -%}
        {%- set more = namespace(on=true) -%}
        {%- for v in result.rows[0].values() -%}
          {%- if v is none -%}{%- set more.on = false -%}{%- endif -%}
          {%- if more.on -%}{%- do names.append(v | trim) -%}{%- endif -%}
        {%- endfor -%}
        {%- set ns.names = names -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if ns.names is none -%}
    {{ exceptions.raise_compiler_error("Seed file '" ~ model['original_file_path'] ~ "': the header has more than 4095 columns.") }}
  {%- endif -%}
  {{ return(ns.names) }}
{% endmacro %}

{#- [(name, type)] for the load: header order, VARCHAR unless column_types
    names the column (matched exactly, else case-insensitively, as DuckDB
    identifiers are). Raises on a header that does not fit the config. -#}
{% macro saas_seed_columns(model, csv_path) %}
  {%- set file_label = model['original_file_path'] -%}
  {%- set column_types = model['config'].get('column_types', {}) or {} -%}
  {%- set header = saas_seed_read_header(model, csv_path) -%}

  {%- if header | length == 0 -%}
    {#- 0-byte file: the table is still created, with column_types' columns. -#}
    {%- if column_types | length == 0 -%}
      {{ exceptions.raise_compiler_error(
          "Seed file '" ~ file_label ~ "' is empty: it has no header row and the seed has"
          ~ " no column_types to take the columns from.") }}
    {%- endif -%}
    {%- set header = column_types.keys() | list -%}
  {%- endif -%}

  {%- set seen = {} -%}
  {%- for name in header -%}
    {%- if name == '' -%}
      {{ exceptions.raise_compiler_error(
          "Seed file '" ~ file_label ~ "': column " ~ loop.index
          ~ " of the header has no name. Header: " ~ header | join(', ')) }}
    {%- endif -%}
    {%- if name | lower in seen -%}
      {{ exceptions.raise_compiler_error(
          "Seed file '" ~ file_label ~ "': column '" ~ name
          ~ "' appears more than once in the header. Header: " ~ header | join(', ')) }}
    {%- endif -%}
    {%- do seen.update({name | lower: name}) -%}
  {%- endfor -%}

  {%- set types_lower = {} -%}
  {%- set missing = [] -%}
  {%- for key, type in column_types.items() -%}
    {%- do types_lower.update({key | lower: type}) -%}
    {%- if key | lower not in seen -%}{%- do missing.append(key) -%}{%- endif -%}
  {%- endfor -%}
  {%- if missing -%}
    {{ exceptions.raise_compiler_error(
        "Seed file '" ~ file_label ~ "' is missing column" ~ ('s ' if missing | length > 1 else ' ')
        ~ "'" ~ missing | join("', '") ~ "' (named in column_types of seed '" ~ model['name']
        ~ "'). Header found: " ~ header | join(', ')) }}
  {%- endif -%}

  {%- set columns = [] -%}
  {%- for name in header -%}
    {%- set type = column_types.get(name, types_lower.get(name | lower, 'VARCHAR')) -%}
    {%- do columns.append((name, type)) -%}
  {%- endfor -%}
  {{ return(columns) }}
{% endmacro %}

{#- The target's column list, quoted as `quote_columns` says. -#}
{% macro saas_seed_column_list(columns, quote_columns) -%}
  {%- for name, type in columns -%}
    {{ adapter.quote_seed_column(name, quote_columns) }}{{ ', ' if not loop.last }}
  {%- endfor -%}
{%- endmacro %}

{% macro saas_seed_is_text_type(type) -%}
  {%- set t = (type | string | lower | trim) -%}
  {{- return(t in ['varchar', 'string', 'text', 'char', 'bpchar'] or t.startswith('varchar(')) -}}
{%- endmacro %}

{#- The fast path: read_csv straight into the target's columns. -#}
{% macro saas_seed_select_sql(model, csv_path, columns, rejects_table) -%}
  {%- set quote_columns = model['config'].get('quote_columns', None) -%}
  select
  {%- for name, type in columns %}
    {{ saas_seed_ident(name) }} as {{ adapter.quote_seed_column(name, quote_columns) -}}
    {{ ',' if not loop.last }}
  {%- endfor %}
  from read_csv({{ saas_seed_sql_string(csv_path) }},
      {{ saas_seed_csv_dialect(model) }}, header = true,
      columns = { {%- for name, type in columns -%}{{ saas_seed_sql_string(name) }}: {{ saas_seed_sql_string(type) }}{{ ', ' if not loop.last }}{%- endfor -%} },
      store_rejects = true, rejects_table = {{ saas_seed_sql_string(rejects_table) }},
      rejects_scan = {{ saas_seed_sql_string(rejects_table ~ '_scan') }})
{%- endmacro %}

{#- Counts the file's physical lines and checks every one is accounted for by
    the fast load. Returns {'lines', 'accounted'}. -#}
{% macro saas_seed_reconcile(target_relation, csv_path, columns, identifier) %}
  {%- set line_rejects = 'dbt_seed__' ~ identifier ~ '__line_rejects' -%}
  {%- set counted = run_query(
        "select count(*), count(*) filter (where l is null), count(*) filter (where contains(l, '\"')) from "
        ~ saas_seed_lines_source(csv_path, line_rejects)) -%}
  {%- set invalid = run_query(
        "select count(distinct line) from temp.main." ~ saas_seed_ident(line_rejects)) -%}
  {%- set lines = (counted.rows[0][0] | int) + (invalid.rows[0][0] | int) -%}
  {%- set blank = counted.rows[0][1] | int -%}
  {%- set quoted = counted.rows[0][2] | int -%}
  {%- set rejected = run_query(
        "select count(*) + coalesce(sum(length(csv_line) - length(replace(csv_line, chr(10), ''))), 0) from "
        ~ "(select distinct line, csv_line from " ~ saas_seed_temp(identifier, 'rejects') ~ ")") -%}
  {%- set loaded = run_query("select count(*) from " ~ target_relation.render()) -%}
  {%- set ns = namespace(embedded=0) -%}
  {%- if quoted > 0 and columns | length > 0 -%}
    {#- quoted values may span lines: count the line breaks inside them -#}
    {%- set quote_columns = model['config'].get('quote_columns', None) -%}
    {%- set sums = [] -%}
    {%- for name, type in columns -%}
      {%- set c = 'cast(' ~ adapter.quote_seed_column(name, quote_columns) ~ ' as varchar)' -%}
      {%- do sums.append(
            'coalesce(sum(length(' ~ c ~ ') - length(replace(' ~ c ~ ', chr(10), \'\'))), 0)') -%}
    {%- endfor -%}
    {%- set embedded = run_query(
          "select " ~ sums | join(' + ') ~ " from " ~ target_relation.render()) -%}
    {%- set ns.embedded = embedded.rows[0][0] | int -%}
  {%- endif -%}
  {%- set header_lines = 1 if lines > 0 else 0 -%}
  {%- set accounted = header_lines + (loaded.rows[0][0] | int) + blank
        + (rejected.rows[0][0] | int) + ns.embedded -%}
  {{ return({'lines': lines, 'accounted': accounted}) }}
{% endmacro %}

{#- The line-by-line path, used only when the fast load did not account for
    every line: each physical line is one record; fields are split on the
    delimiter, quotes parsed within the line. Inserts into the (empty) target
    and fills the `final_rejects` temp table. Returns the rows inserted. -#}
{% macro saas_seed_load_line_by_line(model, target_relation, csv_path, columns, identifier) %}
  {%- set quote_columns = model['config'].get('quote_columns', None) -%}
  {%- set d = saas_seed_delimiter(model) -%}
  {%- if d == '\t' -%}{%- set d_re = '\\t' -%}
  {%- elif d.isalnum() -%}{%- set d_re = d -%}
  {%- else -%}{%- set d_re = '\\' ~ d -%}{%- endif -%}
  {%- set field_re = '"(?:[^"]|"")*"|[^"' ~ d_re ~ ']*' -%}
  {%- set n = columns | length -%}
  {%- set line_rejects = 'dbt_seed__' ~ identifier ~ '__line_rejects2' -%}
  {%- set lines_table = saas_seed_temp(identifier, 'lines') -%}
  {%- set parsed_table = saas_seed_temp(identifier, 'parsed') -%}

  {% call statement('seed_read_lines') -%}
    create or replace temp table {{ saas_seed_ident('dbt_seed__' ~ identifier ~ '__lines') }} as
    select row_number() over () as r, l
    from {{ saas_seed_lines_source(csv_path, line_rejects, parallel=false) }}
  {%- endcall %}

  {#- row_number() skips lines DuckDB rejected as invalid UTF-8: shift it back
      to the physical line number. -#}
  {% call statement('seed_parse_lines') -%}
    create or replace temp table {{ saas_seed_ident('dbt_seed__' ~ identifier ~ '__parsed') }} as
    with invalid as (
        select line, row_number() over (order by line) as k
        from (select distinct line from temp.main.{{ saas_seed_ident(line_rejects) }})
    ),
    numbered as (
        select
            lines.r + coalesce((select count(*) from invalid where invalid.line - invalid.k < lines.r), 0) as line,
            lines.l
        from {{ lines_table }} as lines
    ),
    split as (
        select
            line, l,
            case
                when not contains(l, '"') then string_split(l, {{ saas_seed_sql_string(d) }})
                when regexp_full_match(l, {{ saas_seed_sql_string('(?:' ~ field_re ~ ')(?:' ~ d_re ~ '(?:' ~ field_re ~ '))*') }})
                    then regexp_extract_all(l, {{ saas_seed_sql_string('(?:^|' ~ d_re ~ ')(' ~ field_re ~ ')') }}, 1)
            end as f
        from numbered
        where line > 1 and l is not null
    )
    select
        line, l, f,
        {%- for name, type in columns %}
        nullif(case when starts_with(f[{{ loop.index }}], '"')
                    then replace(substr(f[{{ loop.index }}], 2, length(f[{{ loop.index }}]) - 2), '""', '"')
                    else f[{{ loop.index }}] end, '') as v{{ loop.index }},
        {%- endfor %}
        f is not null and len(f) = {{ n }} as well_formed
    from split
  {%- endcall %}

  {%- set cast_checks = [] -%}
  {%- for name, type in columns -%}
    {%- if not saas_seed_is_text_type(type) -%}
      {%- do cast_checks.append((loop.index, name, type)) -%}
    {%- endif -%}
  {%- endfor -%}

  {% call statement('seed_insert_lines', fetch_result=True) -%}
    insert into {{ target_relation.render() }} (
      {{ saas_seed_column_list(columns, quote_columns) }})
    select
      {%- for name, type in columns %}
        cast(v{{ loop.index }} as {{ type }}){{ ',' if not loop.last }}
      {%- endfor %}
    from {{ parsed_table }}
    where well_formed
      {%- for i, name, type in cast_checks %}
      and (v{{ i }} is null or try_cast(v{{ i }} as {{ type }}) is not null)
      {%- endfor %}
    order by line
  {%- endcall %}
  {%- set inserted = load_result('seed_insert_lines').table -%}

  {% call statement('seed_line_rejects') -%}
    create or replace temp table {{ saas_seed_ident('dbt_seed__' ~ identifier ~ '__final_rejects') }} as
    select line, null::bigint as line_byte_position, null::bigint as column_idx, null::varchar as column_name,
           'INVALID ENCODING' as error_type, csv_line, error_message
    from temp.main.{{ saas_seed_ident(line_rejects) }}
    union all
    select line, null, null, null, 'UNQUOTED VALUE', l,
           'Quotes do not pair up on this line (an unterminated quote; a quoted value running over several lines is not joined when the file is read line by line)'
    from {{ parsed_table }} where f is null
    union all
    select line, null, null, null,
           case when len(f) < {{ n }} then 'MISSING COLUMNS' else 'TOO MANY COLUMNS' end, l,
           'Expected Number of Columns: {{ n }} Found: ' || len(f)
    from {{ parsed_table }} where f is not null and len(f) <> {{ n }}
    {%- for i, name, type in cast_checks %}
    union all
    select line, null, {{ i }}, {{ saas_seed_sql_string(name) }}, 'CAST', l,
           'Error when converting column "' || {{ saas_seed_sql_string(name) }} || '". Could not convert string "' || v{{ i }} || '" to ' || {{ saas_seed_sql_string(type) }}
    from {{ parsed_table }}
    where well_formed and v{{ i }} is not null and try_cast(v{{ i }} as {{ type }}) is null
    {%- endfor %}
  {%- endcall %}

  {{ return(inserted.rows[0][0] | int if inserted.rows | length > 0 else 0) }}
{% endmacro %}

{% macro saas_seed_drop_temp_tables(identifier) %}
  {% call statement('seed_drop_temp_tables') -%}
    {%- for purpose in ['rejects', 'rejects_scan', 'line_rejects', 'line_rejects_scan',
                        'line_rejects2', 'line_rejects2_scan', 'lines', 'parsed',
                        'final_rejects'] %}
    drop table if exists {{ saas_seed_temp(identifier, purpose) }};
    {%- endfor %}
  {%- endcall %}
{% endmacro %}


{% materialization seed, adapter='duckdb' %}

  {#- Escape hatch: `+read_csv_loader: false` on a seed (or all seeds) runs
      dbt's default seed materialization (agate parse + dbt-duckdb's COPY). -#}
  {% if config.get('read_csv_loader', true) in [false, 'false', 'False', 0] %}
    {{ return(dbt.materialization_seed_default()) }}
  {% endif %}

  {%- set identifier = model['alias'] -%}
  {%- set full_refresh_mode = (should_full_refresh()) -%}
  {%- set old_relation = adapter.get_relation(
        database=database, schema=schema, identifier=identifier) -%}
  {%- set exists_as_table = (old_relation is not none and old_relation.is_table) -%}
  {%- set exists_as_view = (old_relation is not none and old_relation.is_view) -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set quote_columns = model['config'].get('quote_columns', None) -%}

  {%- set csv_path = adapter.get_seed_file_path(model) -%}
  {%- set file_label = model['original_file_path'] -%}
  {%- set rejects_relation = api.Relation.create(database=database, schema=schema,
        identifier=identifier ~ '__load_rejects', type='table') -%}

  {% if exists_as_view %}
    {{ exceptions.raise_compiler_error("Cannot seed to '{}', it is a view".format(old_relation.render())) }}
  {% endif %}

  {#- header vs column_types: fails here, before anything is changed -#}
  {%- set columns = saas_seed_columns(model, csv_path) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% do saas_seed_drop_temp_tables(identifier) %}

  {% set select_sql = saas_seed_select_sql(
        model, csv_path, columns, 'dbt_seed__' ~ identifier ~ '__rejects') %}

  {% if exists_as_table and not full_refresh_mode %}
    {#- dbt's default: keep the table, truncate it, insert the file again. -#}
    {%- set existing = adapter.get_columns_in_relation(old_relation)
          | map(attribute='name') | map('lower') | list -%}
    {%- set incoming = [] -%}
    {%- for name, type in columns -%}{%- do incoming.append(name | lower) -%}{%- endfor -%}
    {% if existing | sort != incoming | sort %}
      {{ exceptions.raise_compiler_error(
          "Seed file '" ~ file_label ~ "' has columns (" ~ incoming | join(', ') ~ ") that differ from the existing table "
          ~ old_relation.render() ~ " (" ~ existing | join(', ') ~ "). Run `dbt seed --full-refresh` to re-create it.") }}
    {% endif %}
    {% do adapter.truncate_relation(old_relation) %}
    {% set code = 'INSERT' %}
    {% set load_sql %}
      insert into {{ target_relation.render() }} (
        {{ saas_seed_column_list(columns, quote_columns) }})
      {{ select_sql }}
    {% endset %}
  {% else %}
    {% if exists_as_table %}
      {% do adapter.drop_relation(old_relation) %}
    {% endif %}
    {% set code = 'CREATE' %}
    {% set load_sql %}
      create table {{ target_relation.render() }} as
      {{ select_sql }}
    {% endset %}
  {% endif %}

  {% call statement('seed_load', fetch_result=True) -%}
    {{ load_sql }}
  {%- endcall %}
  {%- set loaded = load_result('seed_load').table -%}
  {%- set rows_affected = (loaded.rows[0][0] if loaded.rows | length > 0 else 0) | int -%}

  {#- every physical line must be a row, a blank line or part of a rejected
      record; if not, DuckDB's reader lost some: read the file line by line -#}
  {%- set counts = saas_seed_reconcile(target_relation, csv_path, columns, identifier) -%}
  {%- set line_by_line = counts['lines'] != counts['accounted'] -%}
  {% if line_by_line %}
    {% call statement('seed_empty_for_line_by_line') -%}
      delete from {{ target_relation.render() }}
    {%- endcall %}
    {%- set rows_affected = saas_seed_load_line_by_line(model, target_relation, csv_path, columns, identifier) -%}
  {% else %}
    {% call statement('seed_fast_rejects') -%}
      create or replace temp table {{ saas_seed_ident('dbt_seed__' ~ identifier ~ '__final_rejects') }} as
      select line, line_byte_position, column_idx, column_name, error_type::varchar as error_type, csv_line, error_message
      from {{ saas_seed_temp(identifier, 'rejects') }}
    {%- endcall %}
  {% endif %}

  {#- lines that were not loaded: keep them in a table, say so in the log -#}
  {%- set final_rejects = saas_seed_temp(identifier, 'final_rejects') -%}
  {%- set rejected = run_query("select count(distinct line) from " ~ final_rejects) -%}
  {%- set rejected_lines = rejected.rows[0][0] | int -%}
  {%- set message = code ~ ' ' ~ rows_affected -%}
  {% if rejected_lines > 0 %}
    {% call statement('seed_store_rejects') -%}
      create or replace table {{ rejects_relation.render() }} as
      select
          {{ saas_seed_sql_string(file_label) }} as seed_file,
          line,
          line_byte_position,
          column_idx,
          column_name,
          error_type,
          csv_line,
          error_message,
          now() as loaded_at
      from {{ final_rejects }}
      order by line, column_idx
    {%- endcall %}
    {%- set sample = run_query(
          "select line, string_agg(distinct error_type, '/') from " ~ final_rejects
          ~ " group by line order by line limit 5") -%}
    {%- set examples = [] -%}
    {%- for row in sample.rows -%}{%- do examples.append('line ' ~ row[0] ~ ': ' ~ row[1]) -%}{%- endfor -%}
    {%- set message = message ~ ' (' ~ rejected_lines ~ ' lines rejected)' -%}
    {% do exceptions.warn(
        "Seed file '" ~ file_label ~ "': " ~ rejected_lines ~ " line(s) could not be parsed and were not loaded ("
        ~ examples | join('; ') ~ (', ...' if rejected_lines > 5 else '') ~ "). They are kept in "
        ~ rejects_relation.render() ~ "."
        ~ (" DuckDB's CSV reader did not account for every line (" ~ counts['accounted'] ~ " of " ~ counts['lines']
           ~ "), so the file was read line by line." if line_by_line else "")) %}
  {% else %}
    {% do adapter.drop_relation(rejects_relation) %}
  {% endif %}

  {% do saas_seed_drop_temp_tables(identifier) %}

  {% call noop_statement('main', message, code, rows_affected) %}
    {{ load_sql }}
  {% endcall %}

  {% set should_revoke = should_revoke(old_relation, full_refresh_mode) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}

  {% do persist_docs(target_relation, model) %}

  {% if full_refresh_mode or not exists_as_table %}
    {% do create_indexes(target_relation) %}
  {% endif %}

  {#- The seed runner reads this result (`dbt seed --show` prints it): a
      random sample of the loaded rows with --show, else just the columns. -#}
  {%- if invocation_args_dict.get('show') -%}
    {%- set shown = run_query('select * from ' ~ target_relation.render() ~ ' using sample reservoir(10 rows)') -%}
  {%- else -%}
    {%- set shown = run_query('select * from ' ~ target_relation.render() ~ ' limit 0') -%}
  {%- endif -%}
  {%- do store_result('agate_table', response='OK', agate_table=shown) -%}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  -- `COMMIT` happens here
  {{ adapter.commit() }}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
