-- The transform baseline, part 1 of 6: its schemas, the parsing helpers and the
-- row rules.
--
-- A lean one-off recomputation of everything the dbt build computes, in
-- plain DuckDB SQL, run statement by statement by bench/handwritten.py (no
-- dbt). It reads the six all-text raw tables of schema `raw` (seeded tables,
-- or views over the Parquet files) and the `raw.saas_internal_accounts`
-- lookup; the marts land in schema `hw`, intermediate tables in `hw_work`.
-- Files run in name order; statements end with `;` at the end of a line.
--
-- `${name}` is the value of the var `name` in dbt_project.yml, rendered as a
-- SQL literal (text quoted, lists as lists, mappings as MAPs), so the rules,
-- category lists and thresholds are the project's. What is written out here:
-- the contract's pivot columns (events_access, job_minutes_extract,
-- licensed_viewers ...; their names fix the categories they count) and the
-- check order of each raw table.
--
-- The rules, as the dbt project applies them: a row takes the reason of the
-- first rule it breaks (missing_key, malformed_key, invalid_date,
-- out_of_range, invalid_number, negative_number, unknown_category, unknown_customer,
-- orphan_site, site_customer_mismatch, unknown_user); among the rows that
-- break none, rows sharing a key are ranked on all their values: the first
-- stays clean, exact copies are duplicate_row, other values duplicate_key.
-- Background-job runs have no key. Messages are built for failing rows only.

create schema if not exists hw;
-- intermediate tables are real tables: at 100M+ rows a temp table lives in
-- memory and spills
create schema if not exists hw_work;
set schema = 'hw_work';

create or replace macro clean(x) as nullif(trim(x), '');
create or replace macro iso_date(x) as
    case when regexp_full_match(clean(x), '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_cast(clean(x) as date) end;
create or replace macro whole_number(x) as
    case when regexp_full_match(clean(x), '-?[0-9]{1,18}') then try_cast(clean(x) as bigint) end;
-- the accepted spelling of a category, ignoring case and spaces; else the trimmed text
create or replace macro canonical(x, accepted) as coalesce(
    accepted[list_position(list_transform(accepted, lambda v: lower(v)), lower(trim(x)))], clean(x)
);
create or replace macro quoted(x) as coalesce('"' || x || '"', '<null>');
create or replace macro user_key(customer_id, user_email) as
    md5(${user_key_secret} || md5(${user_key_secret} || '|' || customer_id || '|' || lower(user_email)));

-- The rules: each is null when a row passes it, else its reason code and
-- message. A table's verdict is the coalesce() of its rules in priority
-- order (coalesce stops at the first rule broken).
create or replace macro broken(code, message) as {'code': code, 'message': message};
create or replace macro rule_present(name, value) as
    case when value is null then broken('missing_key', name || ' is missing') end;
create or replace macro rule_format(name, value, pattern) as case when not regexp_full_match(value, pattern)
    then broken('malformed_key', name || ' ' || quoted(value) || ' does not match ' || pattern) end;
-- a personal value never goes into a message
create or replace macro rule_format_withheld(name, value, pattern) as case when not regexp_full_match(value, pattern)
    then broken('malformed_key', name || ' (withheld) does not match ' || pattern) end;
create or replace macro rule_date(name, value, raw_text) as case when value is null
    then broken('invalid_date', name || ' ' || quoted(raw_text) || ' is not a YYYY-MM-DD date') end;
-- from the calendars' first day through the day after the run
create or replace macro rule_date_in_range(name, value, raw_text) as case
    when not (value between cast(${calendar_start_date} as date) and current_date + 1)
    then broken('out_of_range', name || ' ' || quoted(raw_text) || ' is before '
        || ${calendar_start_date} || ' or after the run') end;
create or replace macro rule_at_most(name, value, raw_text) as case when value > ${max_row_values}[name]
    then broken('out_of_range', name || ' ' || quoted(raw_text) || ' is above ' || ${max_row_values}[name]) end;
create or replace macro rule_whole_number(name, value, raw_text) as case when value is null
    then broken('invalid_number', name || ' ' || quoted(raw_text) || ' is not a whole number') end;
create or replace macro rule_non_negative(name, value, raw_text) as case when value < 0
    then broken('negative_number', name || ' ' || quoted(raw_text) || ' is negative') end;
create or replace macro rule_one_of(name, value, accepted) as case when not coalesce(list_contains(accepted, value), false)
    then broken('unknown_category', name || ' ' || quoted(value) || ' is not one of ' || array_to_string(accepted, ', ')) end;
create or replace macro rule_known_customer(customer_id, known) as case when not known
    then broken('unknown_customer', 'customer_id "' || customer_id || '" is not a clean customer') end;
-- `owner`: the customer of the clean site of that id, if any
create or replace macro rule_known_site(site_id, owner) as case when owner is null
    then broken('orphan_site', 'site_id "' || site_id || '" is not a clean site') end;
create or replace macro rule_site_of_customer(site_id, owner, customer_id) as case when owner <> customer_id
    then broken('site_customer_mismatch', 'site_id "' || site_id || '" belongs to customer ' || owner) end;
-- a site's feed (storage, background jobs): its keys present, then well formed
create or replace macro rule_site_feed_keys(customer_id, site_id) as coalesce(
    rule_present('customer_id', customer_id),
    rule_present('site_id', site_id),
    rule_format('customer_id', customer_id, ${customer_id_pattern}),
    rule_format('site_id', site_id, ${site_id_pattern})
);
-- the row's site is a clean site of its customer
create or replace macro rule_clean_site_of(site_id, owner, customer_id) as coalesce(
    rule_known_site(site_id, owner), rule_site_of_customer(site_id, owner, customer_id)
);
create or replace macro rule_known_user(customer_id, registration_date) as case when registration_date is null
    then broken('unknown_user', 'user_email is not a clean user of customer ' || customer_id) end;
-- among the rows that pass every rule: a later copy of a row, or another row of its key
create or replace macro duplicate(copy_number, key_rank, key_columns) as case
    when copy_number > 1 then broken('duplicate_row', 'exact duplicate of another row')
    when key_rank > 1 then broken('duplicate_key', 'another row has the same ' || key_columns || ' with other values')
end;
