{#-
    `dbt seed` on DuckDB through DuckDB's own CSV reader instead of dbt's
    agate parse in Python (measured at 1M rows: ~30x slower, ~4x the memory).
    Only DuckDB; `read_csv_loader: false` falls back to dbt's default. The
    contract (columns, rejects, reconciliation, reloads) is documented in
    _materializations.yml; docs/data-quality.md says what stops a load.
-#}

{% macro saas_seed_literal(value) -%}
  '{{ (value | string) | replace("'", "''") }}'
{%- endmacro %}

{#- The file's physical lines, quote-blind: one text column `l`, NULL for a
    blank line (a 4-byte control-character delimiter no CSV contains). -#}
{% macro saas_seed_lines(model, csv_path) -%}
  read_csv({{ saas_seed_literal(csv_path) }}, columns = {'l': 'VARCHAR'}, header = false,
      auto_detect = false, quote = '', escape = '', strict_mode = false,
      delim = chr(1) || chr(2) || chr(3) || chr(4),
      encoding = {{ saas_seed_literal(model.config.get('encoding') or 'utf-8') }})
{%- endmacro %}

{#- [(name, type)] in header order: the column_types type (names match
    case-insensitively, as DuckDB's do) or VARCHAR. Raises, naming the file,
    on a header that cannot be loaded by name. -#}
{% macro saas_seed_columns(model, csv_path) %}
  {%- set file = "Seed file '" ~ model.original_file_path ~ "'" -%}
  {%- set first = run_query('select l from ' ~ saas_seed_lines(model, csv_path) ~ ' limit 1') -%}
  {%- if first.rows | length == 0 or first.rows[0][0] is none -%}
    {{ exceptions.raise_compiler_error(file ~ " is empty: line 1 must be the header.") }}
  {%- endif -%}
  {%- set header = first.rows[0][0] -%}
  {%- set types = {} -%}
  {%- for name, type in (model.config.get('column_types') or {}).items() -%}
    {%- do types.update({name | lower: type}) -%}
  {%- endfor -%}
  {%- set columns, seen = [], [] -%}
  {%- for field in header.split(model.config.get('delimiter') or ',') -%}
    {%- set name = field | trim | trim('"') -%}
    {%- if name == '' or name | lower in seen -%}
      {{ exceptions.raise_compiler_error(file ~ ", line 1: column " ~ loop.index ~ " of the header "
          ~ ("has no name" if name == '' else "repeats '" ~ name ~ "'") ~ ". Header: " ~ header) }}
    {%- endif -%}
    {%- do seen.append(name | lower) -%}
    {%- do columns.append((name, types.get(name | lower, 'VARCHAR'))) -%}
  {%- endfor -%}
  {%- set missing = types.keys() | reject('in', seen) | list -%}
  {%- if missing -%}
    {{ exceptions.raise_compiler_error(file ~ " is missing column '" ~ missing | join("', '")
        ~ "' (named in column_types of seed '" ~ model.name ~ "'). Header found: " ~ header) }}
  {%- endif -%}
  {{ return(columns) }}
{% endmacro %}

{#- Every column by name, straight from read_csv with a fixed dialect:
    nothing is sniffed, so no sample of the data can make DuckDB guess another
    delimiter, quote or header. The lines it cannot parse go to the temp
    table `rejects`. -#}
{% macro saas_seed_select(model, csv_path, columns, rejects) -%}
  select * from read_csv({{ saas_seed_literal(csv_path) }}, auto_detect = false, header = true,
      delim = {{ saas_seed_literal(model.config.get('delimiter') or ',') }}, quote = '"',
      escape = '"', encoding = {{ saas_seed_literal(model.config.get('encoding') or 'utf-8') }},
      store_rejects = true, rejects_table = '{{ rejects }}', rejects_scan = '{{ rejects }}_scan',
      columns = {
      {%- for name, type in columns -%}
        {{ saas_seed_literal(name) }}: {{ saas_seed_literal(type) }}{{ ', ' if not loop.last }}
      {%- endfor -%} })
{%- endmacro %}

{#- Raises, naming the file and line, unless every non-blank line of the
    file is the header, a loaded row, a line of a rejected record or a line
    break inside a loaded value. Needed even after the pre-flight check:
    `dbt seed` is also run alone, and after an unterminated quote DuckDB's
    parallel reader drops rows without a trace (measured: 100k of 1M); the
    quote-blind re-read costs ~0.1 s per 1M lines. Lines that are not valid
    in the declared encoding and a quote that swallows the following lines
    stop the load too: both are faults of the file, not of a row. -#}
{% macro saas_seed_check_every_line(model, csv_path, target, columns, rows_loaded, rejects) %}
  {%- set file = "Seed file '" ~ model.original_file_path ~ "'" -%}
  {%- set r = run_query("with rejected as (
        select line, trim(any_value(csv_line), chr(10) || chr(13)) as l,
            bool_or(error_type = 'INVALID ENCODING') as bad_bytes,
            bool_or(error_type = 'UNQUOTED VALUE') as bad_quote
        from temp.main." ~ adapter.quote(rejects) ~ " group by line)
    select count(*) + coalesce(sum(length(l) - length(replace(l, chr(10), ''))), 0),
        min(line) filter (where bad_bytes),
        coalesce(min(line) filter (where bad_quote and contains(l, chr(10))),
            min(line) filter (where bad_quote)),
        bool_or(bad_quote and contains(l, chr(10)))
    from rejected").rows[0] -%}
  {%- if r[1] is not none -%}
    {{ exceptions.raise_compiler_error(file ~ ", line " ~ r[1] ~ ": not valid "
        ~ (model.config.get('encoding') or 'utf-8') ~ ". Declare the file's encoding (seed config"
        ~ " `encoding`: utf-8, utf-16 or latin-1) or convert it to UTF-8. Nothing was loaded.") }}
  {%- endif -%}
  {%- set n = run_query("select count(l), count(*) filter (where contains(l, '\"')) from "
        ~ saas_seed_lines(model, csv_path)).rows[0] -%}
  {%- set loaded = namespace(lines=rows_loaded) -%}
  {%- if n[1] > 0 -%}{#- only quoted values can hold line breaks -#}
    {%- set breaks = [] -%}
    {%- for name, type in columns -%}
      {%- set c = adapter.quote(name) ~ '::varchar' -%}
      {%- do breaks.append('coalesce(sum(length(' ~ c ~ ') - length(replace(' ~ c
          ~ ", chr(10), ''))) filter (where contains(" ~ c ~ ', chr(10))), 0)') -%}
    {%- endfor -%}
    {%- set loaded.lines = rows_loaded
          + run_query('select ' ~ breaks | join(' + ') ~ ' from ' ~ target).rows[0][0] -%}
  {%- endif -%}
  {%- if r[3] or n[0] != 1 + loaded.lines + r[0] -%}
    {{ exceptions.raise_compiler_error(file ~ (", line " ~ r[2] if r[2] is not none else "")
        ~ ": a quoted value opened here is never closed, so the reader took the following lines"
        ~ " for part of it (" ~ (1 + loaded.lines + r[0]) ~ " of the file's " ~ n[0]
        ~ " lines accounted for). Close or remove the quote. Nothing was loaded.") }}
  {%- endif -%}
{% endmacro %}

{% materialization seed, adapter='duckdb' %}

  {% if config.get('read_csv_loader', true) in [false, 'false', 'False', 0] %}
    {{ return(dbt.materialization_seed_default()) }}
  {% endif %}
  {%- set identifier = model['alias'] -%}
  {%- set full_refresh_mode = should_full_refresh() -%}
  {%- set old_relation = adapter.get_relation(database=database, schema=schema,
        identifier=identifier) -%}
  {%- set exists_as_table = old_relation is not none and old_relation.is_table -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set rejects_relation = api.Relation.create(database=database, schema=schema,
        identifier=identifier ~ '__load_rejects', type='table') -%}
  {%- set rejects = 'dbt_seed__' ~ identifier ~ '__rejects' -%}
  {%- set csv_path = adapter.get_seed_file_path(model) -%}
  {%- set file = "Seed file '" ~ model.original_file_path ~ "'" -%}
  {% if old_relation is not none and old_relation.is_view %}
    {{ exceptions.raise_compiler_error("Cannot seed to '" ~ old_relation.render()
        ~ "', it is a view") }}
  {% endif %}
  {#- the header is checked before anything is changed -#}
  {%- set columns = saas_seed_columns(model, csv_path) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {#- DuckDB appends to existing rejects tables: start from none. This first
      statement opens the transaction, so a failed load changes nothing. -#}
  {% call statement('seed_drop_rejects') -%}
    drop table if exists temp.main.{{ adapter.quote(rejects) }};
    drop table if exists temp.main.{{ adapter.quote(rejects ~ '_scan') }}
  {%- endcall %}
  {% set select_sql = saas_seed_select(model, csv_path, columns, rejects) %}
  {% if exists_as_table and not full_refresh_mode %}
    {#- as dbt's default: keep the table (its object, types, grants), empty
        it and insert the file again, by column name -#}
    {%- set existing = adapter.get_columns_in_relation(old_relation) | map(attribute='name')
          | map('lower') | sort -%}
    {%- set incoming = columns | map('first') | map('lower') | sort -%}
    {% if existing != incoming %}
      {{ exceptions.raise_compiler_error(file ~ " has columns (" ~ incoming | join(', ')
          ~ ") that differ from the existing table " ~ old_relation.render() ~ " ("
          ~ existing | join(', ') ~ "). Run `dbt seed --full-refresh` to re-create it.") }}
    {% endif %}
    {% do adapter.truncate_relation(old_relation) %}
    {% set code = 'INSERT' %}
    {% set load_sql = 'insert into ' ~ target_relation.render() ~ ' by name ' ~ select_sql %}
  {% else %}
    {% if exists_as_table %}
      {% do adapter.drop_relation(old_relation) %}
    {% endif %}
    {% set code = 'CREATE' %}
    {% set load_sql = 'create table ' ~ target_relation.render() ~ ' as ' ~ select_sql %}
  {% endif %}
  {% call statement('seed_load', fetch_result=True) -%}
    {{ load_sql }}
  {%- endcall %}
  {%- set rows_loaded = load_result('seed_load').table.rows[0][0] | int -%}
  {% do saas_seed_check_every_line(model, csv_path, target_relation.render(), columns,
       rows_loaded, rejects) %}

  {#- rejected lines: kept in <seed>__load_rejects (empty after a clean
      load, so the table always exists), named in a warning -#}
  {% call statement('seed_rejects') -%}
    create or replace table {{ rejects_relation.render() }} as
    select {{ saas_seed_literal(model.original_file_path) }} as seed_file, line, column_name,
        error_type::varchar as error_type, error_message, csv_line, now() as loaded_at
    from temp.main.{{ adapter.quote(rejects) }}
    order by line, column_idx
  {%- endcall %}
  {%- set rejected = run_query("select count(*), string_agg('line ' || line || ': ' || kinds,"
        ~ " '; ' order by line) filter (where n <= 5) from (select line, row_number() over (order"
        ~ " by line) as n, string_agg(distinct error_type, '/') as kinds from "
        ~ rejects_relation.render() ~ " group by line)").rows[0] -%}
  {%- set message = code ~ ' ' ~ rows_loaded -%}
  {% if rejected[0] > 0 %}
    {%- set message = message ~ ' (' ~ rejected[0] ~ ' lines rejected)' -%}
    {% do exceptions.warn(file ~ ": " ~ rejected[0] ~ " line(s) could not be parsed and were not"
        ~ " loaded (" ~ rejected[1] ~ (', ...' if rejected[0] > 5 else '') ~ "). They are kept in "
        ~ rejects_relation.render() ~ ".") %}
  {% endif %}
  {% call noop_statement('main', message, code, rows_loaded) %}{{ load_sql }}{% endcall %}
  {% do apply_grants(target_relation, config.get('grants'),
       should_revoke=should_revoke(old_relation, full_refresh_mode)) %}
  {% do persist_docs(target_relation, model) %}

  {#- what the seed runner prints: with --show a random sample of the rows -#}
  {%- set sample_sql = ' using sample reservoir(10 rows)' if invocation_args_dict.get('show') -%}
  {%- set shown = run_query('select * from ' ~ target_relation.render()
        ~ (sample_sql or ' limit 0')) -%}
  {%- do store_result('agate_table', response='OK', agate_table=shown) -%}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  -- `COMMIT` happens here
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
