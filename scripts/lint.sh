#!/usr/bin/env bash
# Every static check of the project, in one place (the test command runs it):
#
#   ruff          ruff check + ruff format --check          (all Python)
#   mypy          mypy on the Python packages                ([tool.mypy])
#   sqlfluff      sqlfluff lint models macros tests, DuckDB  (.sqlfluff)
#   sqlfluff-bq   the same files rendered and linted as BigQuery (.sqlfluff-bigquery)
#   dbt-score     dbt parse (conventions/parse.py), then the conventions
#                 check on the manifest ([tool.dbt-score], conventions/rules.py)
#
# Usage: scripts/lint.sh [CHECK...]       (default: all of them)
# Runs every requested check even when one fails, prints the time each took,
# and exits 1 if any failed (2 on a usage error). Tools come from the
# project's virtualenv ($LINT_VENV, default .venv), else from PATH.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${LINT_VENV:-$ROOT/.venv}"
if [[ -x "$VENV/bin/python" ]]; then
    export PATH="$VENV/bin:$PATH"
fi

ALL_CHECKS=(ruff mypy sqlfluff sqlfluff-bq dbt-score)
SQL_PATHS=(models macros tests)
# dbt writes the manifest for dbt-score to its own target path, so linting
# never disturbs (or is disturbed by) a `dbt build` in target/.
LINT_TARGET="${LINT_DBT_TARGET_PATH:-target/lint}"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false

# dbt parse needs a profile, never a connection: on a fresh clone (no
# profiles.yml yet) use the example profile from a temporary folder.
if [[ -z "${DBT_PROFILES_DIR:-}" ]]; then
    if [[ -f "$ROOT/profiles.yml" ]]; then
        export DBT_PROFILES_DIR="$ROOT"
    else
        PROFILE_TMP="$(mktemp -d)"
        trap 'rm -rf "$PROFILE_TMP"' EXIT
        cp "$ROOT/profiles.example.yml" "$PROFILE_TMP/profiles.yml"
        export DBT_PROFILES_DIR="$PROFILE_TMP"
    fi
fi

check_ruff() {
    ruff check . && ruff format --check .
}

check_mypy() {
    mypy
}

check_sqlfluff() {
    sqlfluff lint "${SQL_PATHS[@]}" --processes 0 --disable-progress-bar
}

check_sqlfluff_bq() {
    sqlfluff lint "${SQL_PATHS[@]}" --config .sqlfluff-bigquery --processes 0 \
        --disable-progress-bar
}

check_dbt_score() {
    # dbt parse (from a copy with placeholder seeds when the raw seeds have
    # not been generated yet: conventions/parse.py), then dbt-score.
    python -m conventions.parse --target-path "$LINT_TARGET" \
        && dbt-score lint --manifest "$LINT_TARGET/manifest.json"
}

requested=("$@")
if [[ ${#requested[@]} -eq 0 ]]; then
    requested=("${ALL_CHECKS[@]}")
fi
for check in "${requested[@]}"; do
    if [[ ! " ${ALL_CHECKS[*]} " == *" $check "* ]]; then
        echo "unknown check: $check (choose from: ${ALL_CHECKS[*]})" >&2
        exit 2
    fi
done

failed=()
summary=()
for check in "${requested[@]}"; do
    echo "=== $check"
    started=$SECONDS
    "check_${check//-/_}"
    status=$?
    elapsed=$((SECONDS - started))
    if [[ $status -eq 0 ]]; then
        summary+=("$(printf '  %-12s ok      %4ss' "$check" "$elapsed")")
    else
        summary+=("$(printf '  %-12s FAILED  %4ss' "$check" "$elapsed")")
        failed+=("$check")
    fi
done

echo "=== lint summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
