{#-
    Fast `dbt seed` on DuckDB: the seed table is built by DuckDB's own CSV
    reader (`read_csv`) instead of dbt's agate parse of the whole file in
    Python (about 30x slower and 5x the memory at 1M rows).

    Only DuckDB is affected (`adapter='duckdb'`); every other adapter, BigQuery
    included, keeps dbt's default seed materialization. Documented in
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
    Bad input:
      * a column named in `column_types` missing from the header, an empty,
        blank or duplicate header name: compiler error naming file and column;
      * a line that cannot be parsed (too many / too few fields, unterminated
        quote, invalid UTF-8, a value that does not cast to a non-text
        `column_types` type) is not loaded and does not fail the load: DuckDB's
        `store_rejects` records it, the materialization copies the records to
        `<schema>.<seed>__load_rejects` and logs a warning with the file, line
        numbers and reasons (so `--warn-error` turns it into a failure). A
        clean load drops a stale rejects table.
-#}

{#- SQL string literal: single quotes doubled. -#}
{% macro saas_seed_sql_string(value) -%}
  '{{ (value | string) | replace("'", "''") }}'
{%- endmacro %}

{#- SQL identifier for a column of read_csv's output (always quoted). -#}
{% macro saas_seed_source_column(name) -%}
  "{{ (name | string) | replace('"', '""') }}"
{%- endmacro %}

{#- The dialect options shared by the header read and the load: nothing is
    sniffed, so no sample of the data can make DuckDB guess a different
    delimiter/quote/header than dbt's own CSV reading would use. -#}
{% macro saas_seed_csv_dialect(model) -%}
  {%- set delimiter = model['config'].get('delimiter', ',') or ',' -%}
  auto_detect = false, delim = {{ saas_seed_sql_string(delimiter) }}, quote = '"', escape = '"'
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
      {{ exceptions.raise_compiler_error("Seed file '" ~ file_label ~ "' is empty: it has no header row and the seed has no column_types to take the columns from.") }}
    {%- endif -%}
    {%- set header = column_types.keys() | list -%}
  {%- endif -%}

  {%- set seen = {} -%}
  {%- for name in header -%}
    {%- if name == '' -%}
      {{ exceptions.raise_compiler_error("Seed file '" ~ file_label ~ "': column " ~ loop.index ~ " of the header has no name. Header: " ~ header | join(', ')) }}
    {%- endif -%}
    {%- if name | lower in seen -%}
      {{ exceptions.raise_compiler_error("Seed file '" ~ file_label ~ "': column '" ~ name ~ "' appears more than once in the header. Header: " ~ header | join(', ')) }}
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

{#- select list over read_csv: header names -> seed column names. -#}
{% macro saas_seed_select_sql(model, csv_path, columns, rejects_table, rejects_scan) -%}
  {%- set quote_columns = model['config'].get('quote_columns', None) -%}
  select
  {%- for name, type in columns %}
    {{ saas_seed_source_column(name) }} as {{ adapter.quote_seed_column(name, quote_columns) }}{{ ',' if not loop.last }}
  {%- endfor %}
  from read_csv({{ saas_seed_sql_string(csv_path) }},
      {{ saas_seed_csv_dialect(model) }}, header = true,
      columns = { {%- for name, type in columns -%}{{ saas_seed_sql_string(name) }}: {{ saas_seed_sql_string(type) }}{{ ', ' if not loop.last }}{%- endfor -%} },
      store_rejects = true, rejects_table = {{ saas_seed_sql_string(rejects_table) }},
      rejects_scan = {{ saas_seed_sql_string(rejects_scan) }})
{%- endmacro %}


{% materialization seed, adapter='duckdb' %}

  {#- Escape hatch: `+read_csv_loader: false` on a seed (or all seeds) runs
      dbt's default seed materialization (agate parse + dbt-duckdb's COPY). -#}
  {% if config.get('read_csv_loader', true) in [false, 'false', 'False', 0] %}
    {{ return(dbt.materialization_seed_default()) }}
  {% endif %}

  {%- set identifier = model['alias'] -%}
  {%- set full_refresh_mode = (should_full_refresh()) -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
  {%- set exists_as_table = (old_relation is not none and old_relation.is_table) -%}
  {%- set exists_as_view = (old_relation is not none and old_relation.is_view) -%}
  {%- set grant_config = config.get('grants') -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set quote_columns = model['config'].get('quote_columns', None) -%}

  {%- set csv_path = adapter.get_seed_file_path(model) -%}
  {%- set file_label = model['original_file_path'] -%}
  {#- temp tables are per connection (one per dbt thread); names per seed -#}
  {%- set rejects_table = 'dbt_seed_rejects__' ~ identifier -%}
  {%- set rejects_scan = 'dbt_seed_rejects_scan__' ~ identifier -%}
  {%- set rejects_relation = api.Relation.create(database=database, schema=schema,
        identifier=identifier ~ '__load_rejects', type='table') -%}

  {% if exists_as_view %}
    {{ exceptions.raise_compiler_error("Cannot seed to '{}', it is a view".format(old_relation.render())) }}
  {% endif %}

  {%- set columns = saas_seed_columns(model, csv_path) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('seed_drop_temp_rejects') -%}
    drop table if exists temp.main.{{ saas_seed_source_column(rejects_table) }};
    drop table if exists temp.main.{{ saas_seed_source_column(rejects_scan) }}
  {%- endcall %}

  {% set select_sql = saas_seed_select_sql(model, csv_path, columns, rejects_table, rejects_scan) %}

  {% if exists_as_table and not full_refresh_mode %}
    {#- dbt's default: keep the table, truncate it, insert the file again. -#}
    {%- set existing = adapter.get_columns_in_relation(old_relation) | map(attribute='name') | map('lower') | list -%}
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
        {%- for name, type in columns -%}{{ adapter.quote_seed_column(name, quote_columns) }}{{ ', ' if not loop.last }}{%- endfor -%})
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

  {#- lines DuckDB could not load: keep them in a table, say so in the log -#}
  {%- set rejected = run_query(
        "select count(distinct line), count(*) from temp.main." ~ saas_seed_source_column(rejects_table)) -%}
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
      from temp.main.{{ saas_seed_source_column(rejects_table) }}
      order by line, column_idx
    {%- endcall %}
    {%- set sample = run_query(
          "select line, string_agg(distinct error_type, '/') from temp.main." ~ saas_seed_source_column(rejects_table)
          ~ " group by line order by line limit 5") -%}
    {%- set examples = [] -%}
    {%- for row in sample.rows -%}{%- do examples.append('line ' ~ row[0] ~ ': ' ~ row[1]) -%}{%- endfor -%}
    {%- set message = message ~ ' (' ~ rejected_lines ~ ' lines rejected)' -%}
    {% do exceptions.warn(
        "Seed file '" ~ file_label ~ "': " ~ rejected_lines ~ " line(s) could not be parsed and were not loaded ("
        ~ examples | join('; ') ~ (', ...' if rejected_lines > 5 else '') ~ "). They are kept in "
        ~ rejects_relation.render() ~ ".") %}
  {% else %}
    {% do adapter.drop_relation(rejects_relation) %}
  {% endif %}

  {% call statement('seed_drop_temp_rejects_after') -%}
    drop table if exists temp.main.{{ saas_seed_source_column(rejects_table) }};
    drop table if exists temp.main.{{ saas_seed_source_column(rejects_scan) }}
  {%- endcall %}

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
