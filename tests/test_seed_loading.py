"""`dbt seed` on DuckDB through the project's read_csv seed materialization
(macros/materializations/seed_duckdb.sql), run for real on a copy of the project.

Test CSVs are written into the copy's seeds/ folder (tricky values, a BOM, CRLF,
a header-only file, malformed lines), loaded with the real `dbt` executable,
and checked with DuckDB against Python's csv module reading the same files:
every row, every value, every column VARCHAR unless column_types say
otherwise, malformed lines kept in `<seed>__load_rejects` instead of crashing
the load, `--show`, truncate+insert vs `--full-refresh`, a missing column
failing with a message naming file and column, and state:modified. Faults of
a whole file (what stops a load) are tests/test_raw_files.py's.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.dbt_runner import dbt_executable

pytestmark = pytest.mark.dbt

REPO_ROOT = Path(__file__).resolve().parents[1]
RAW = "raw"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

_IGNORED = shutil.ignore_patterns(
    ".venv*",
    ".git",
    "target",
    "logs",
    "dbt_packages",
    "*.duckdb",
    "*.duckdb.wal",
    "*.csv",
    "*.parquet",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".bq-emulator",
    ".dagster",
    "profiles.yml",
    "bench",
    "data",
)

# Values no loader may alter: separators, quotes, padding, non-ASCII, a line
# break inside a quoted value, things that look like numbers, dates or nulls.
TRICKY = [
    "plain",
    "with,comma",
    'say "hi"',
    "  padded  ",
    "Zo\u00eb \u2013 \u00fcn\u00efcode \u2713",
    "",
    "abc",
    "-1",
    "0007",
    "1e3",
    "2024-02-30",
    "null",
    "NA",
    "true",
    "multi\nline",
    '"',
]

PROBES_YML = """
version: 2
seeds:
  - name: probe_typed
    config:
      quote_columns: true
      column_types: {n: integer, d: date}
  - name: probe_semicolon
    config:
      delimiter: ";"
"""


@dataclass
class Project:
    root: Path
    env: dict[str, str]
    first_output: str = ""  # output of the first `dbt seed`

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real dbt in the copy; colour codes stripped from its output."""
        result = subprocess.run(
            [dbt_executable(), *args],
            cwd=self.root,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result.stdout = ANSI.sub("", result.stdout)
        result.stderr = ANSI.sub("", result.stderr)
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(self.env["DBT_DUCKDB_PATH"], read_only=True) as con:
            return con.sql(sql).fetchall()

    def columns(self, table: str) -> list[tuple[str, str]]:
        return self.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{RAW}' and table_name = '{table}' order by ordinal_position"
        )

    def exists(self, table: str) -> bool:
        return bool(self.columns(table))


def ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "Traceback" not in output
    return output


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    lineterminator: str = "\n",
    bom: bool = False,
    delimiter: str = ",",
) -> None:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, lineterminator=lineterminator, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path: Path, delimiter: str = ",") -> tuple[list[str], list[tuple]]:
    """The reference reading: Python's csv module; an empty field is NULL."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        records = [r for r in csv.reader(handle, delimiter=delimiter) if r]
    header, data = records[0], records[1:]
    return header, [tuple(v if v != "" else None for v in r) for r in data]


def sorted_rows(rows: Iterable[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda r: tuple((v is None, "" if v is None else str(v)) for v in r))


def tricky_rows(columns: Sequence[str], count: int) -> list[list[str]]:
    """`count` rows cycling through TRICKY, shifted per column, plus a row id."""
    return [
        [f"{i:06d}" if j == 0 else TRICKY[(i + 3 * j) % len(TRICKY)] for j in range(len(columns))]
        for i in range(count)
    ]


def seed_columns(root: Path) -> dict[str, list[str]]:
    """Each project seed's columns, as the column_types of seeds/_seeds.yml give them."""
    seeds = yaml.safe_load((root / "seeds" / "_seeds.yml").read_text())["seeds"]
    return {
        seed["name"]: list(seed["config"]["column_types"])
        for seed in seeds
        if "column_types" in (seed.get("config") or {})
    }


CLEAN = ("saas_customer_info", "saas_sites", "saas_storage", "saas_users", "saas_user_activity")
BAD_JOB_LINES = {  # physical line number -> line, appended to saas_background_jobs.csv
    52: "1,2,3",  # too few fields
    53: "a,b,c,d,e,f,g,h",  # too many fields
    54: "   ",  # whitespace only
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("seed_loading") / "project"
    shutil.copytree(REPO_ROOT, root, ignore=_IGNORED)
    shutil.copy(REPO_ROOT / "profiles.example.yml", root / "profiles.yml")
    # dbt-core 1.11's `seed --show` prints every result of the run, and the
    # result of an on-run-start hook holds no table: with the project's hook
    # (check_raw_tables, a no-op for seed) it crashes after loading. These
    # tests are about the materialization, so the copy goes without the hook.
    config = root / "dbt_project.yml"
    hook = 'on-run-start:\n  - "{{ check_raw_tables() }}"\n'
    assert hook in config.read_text()
    config.write_text(config.read_text().replace(hook, ""))
    (root / "seeds").mkdir(exist_ok=True)
    env = {
        "DBT_PROFILES_DIR": str(root),
        "DBT_DUCKDB_PATH": str(root / "seed_test.duckdb"),
        "DBT_TARGET": "dev",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    project = Project(root, env)
    seeds = project.seeds
    columns = seed_columns(root)

    write_csv(seeds / "saas_customer_info.csv", columns["saas_customer_info"],
              tricky_rows(columns["saas_customer_info"], 40))  # fmt: skip
    write_csv(seeds / "saas_sites.csv", columns["saas_sites"],
              tricky_rows(columns["saas_sites"], 30), lineterminator="\r\n", bom=True)  # fmt: skip
    write_csv(seeds / "saas_storage.csv", columns["saas_storage"],
              tricky_rows(columns["saas_storage"], 25))  # fmt: skip
    write_csv(seeds / "saas_users.csv", columns["saas_users"],
              tricky_rows(columns["saas_users"], 20), lineterminator="\r\n")  # fmt: skip
    activity = [
        [f"{1000000000 + i % 7}", f"u{i % 13}@x.io", f"A{i % 5:011d}", f"2024-01-{1 + i % 28:02d}",
         ["Access", "View", "Create", "Publish"][i % 4], str(i % 17) if i % 101 else "abc"]
        for i in range(3000)
    ]  # fmt: skip
    write_csv(seeds / "saas_user_activity.csv", columns["saas_user_activity"], activity)

    jobs = columns["saas_background_jobs"]
    write_csv(seeds / "saas_background_jobs.csv", jobs, [
        [f"{1000000000 + i}", f"A{i:011d}", "2024-03-01", "extract", "abc" if i == 7 else str(i)]
        for i in range(50)
    ])  # fmt: skip
    with (seeds / "saas_background_jobs.csv").open("a", newline="") as handle:
        for line in BAD_JOB_LINES.values():
            handle.write(line + "\n")
        handle.write("1000000999,A00000000999,2024-03-02,alert,5\n")

    (seeds / "saas_internal_accounts.csv").write_text(
        ",".join(columns["saas_internal_accounts"]) + "\n"
    )

    (seeds / "_seed_loading_probes.yml").write_text(PROBES_YML)
    (seeds / "probe_typed.csv").write_text("n,d,Weird Name\n1,2024-01-31,x\nabc,2024-02-01,y\n")
    write_csv(seeds / "probe_semicolon.csv", ["p", "q"], [["1,5", "x"], ["2", 'a;"b"']],
              delimiter=";")  # fmt: skip

    project.first_output = ok(project.dbt("seed"))
    return project


@pytest.fixture(scope="module")
def second_run(project: Project) -> str:
    """`dbt seed --show` again on the existing tables (truncate + insert)."""
    return ok(project.dbt("seed", "--show", "-s", "saas_user_activity", "saas_sites"))


def test_every_seed_loads(project: Project) -> None:
    output = project.first_output
    assert "ERROR=0" in output
    for name in (*CLEAN, "saas_background_jobs", "saas_internal_accounts"):
        assert f"OK loaded seed file {RAW}.{name}" in output


@pytest.mark.parametrize("name", CLEAN)
def test_rows_and_values_identical_to_the_file(project: Project, name: str) -> None:
    header, expected = read_csv(project.seeds / f"{name}.csv")
    actual = project.query(f"select * from {RAW}.{name}")
    assert len(actual) == len(expected)
    assert sorted_rows(actual) == sorted_rows(expected)
    assert project.columns(name) == [(column, "VARCHAR") for column in header]


def test_header_only_file_gives_an_empty_table(project: Project) -> None:
    header, _ = read_csv(project.seeds / "saas_internal_accounts.csv")
    assert project.query(f"select count(*) from {RAW}.saas_internal_accounts") == [(0,)]
    assert project.columns("saas_internal_accounts") == [(c, "VARCHAR") for c in header]


def test_malformed_lines_do_not_crash_the_load_and_are_kept(project: Project) -> None:
    path = project.seeds / "saas_background_jobs.csv"
    lines = path.read_text().splitlines()
    good = [tuple(line.split(",")) for i, line in enumerate(lines[1:], 2) if i not in BAD_JOB_LINES]
    actual = project.query(f"select * from {RAW}.saas_background_jobs")
    assert sorted_rows(actual) == sorted_rows(good)  # 'abc' in the numeric column included
    rejects = project.query(
        "select line, min(error_type), min(csv_line), min(seed_file) "
        f"from {RAW}.saas_background_jobs__load_rejects group by line order by line"
    )
    assert [(r[0], r[2]) for r in rejects] == list(BAD_JOB_LINES.items())
    assert {r[1] for r in rejects} <= {"MISSING COLUMNS", "TOO MANY COLUMNS"}
    assert rejects[0][3] == "seeds/saas_background_jobs.csv"
    output = project.first_output
    assert "seeds/saas_background_jobs.csv': 3 line(s) could not be parsed" in output
    assert "(3 lines rejected)" in output
    # a clean load leaves an empty rejects table
    assert project.query(f"select count(*) from {RAW}.saas_user_activity__load_rejects") == [(0,)]


def test_column_types_and_quote_columns_are_honoured(project: Project) -> None:
    assert project.columns("probe_typed") == [
        ("n", "INTEGER"),
        ("d", "DATE"),
        ("Weird Name", "VARCHAR"),
    ]
    rows = project.query(f'select n, cast(d as varchar), "Weird Name" from {RAW}.probe_typed')
    assert rows == [(1, "2024-01-31", "x")]
    rejects = project.query(
        f"select line, error_type, column_name from {RAW}.probe_typed__load_rejects"
    )
    assert rejects == [(3, "CAST", "n")]


def test_delimiter_is_honoured(project: Project) -> None:
    _, expected = read_csv(project.seeds / "probe_semicolon.csv", delimiter=";")
    assert sorted_rows(project.query(f"select * from {RAW}.probe_semicolon")) == expected


def test_show_prints_loaded_rows_and_reload_truncates(project: Project, second_run: str) -> None:
    assert f"Random sample of table: {RAW}.saas_user_activity" in second_run
    assert "| customer_id" in second_run
    assert "@x.io" in second_run  # rows, not just the header
    assert "[INSERT 3000" in second_run  # existing table: truncate + insert
    assert project.query(f"select count(*) from {RAW}.saas_user_activity") == [(3000,)]
    _, expected = read_csv(project.seeds / "saas_sites.csv")
    assert sorted_rows(project.query(f"select * from {RAW}.saas_sites")) == sorted_rows(expected)


@pytest.fixture(scope="module")
def changed_run(project: Project, second_run: str) -> subprocess.CompletedProcess[str]:
    """Three CSVs change; `dbt seed -s state:modified` against the manifest of
    the runs before: saas_storage gains a column (needs --full-refresh),
    saas_background_jobs loses its malformed lines, saas_user_activity loses
    its event_count column."""
    state = project.root / "state"
    state.mkdir()
    shutil.copy(project.root / "target" / "manifest.json", state / "manifest.json")

    storage = project.seeds / "saas_storage.csv"
    header, rows = read_csv(storage)
    write_csv(storage, [*header, "added"], [[*(v or "" for v in r), "new"] for r in rows])
    jobs = project.seeds / "saas_background_jobs.csv"
    jobs.write_text("\n".join(jobs.read_text().splitlines()[:51]) + "\n")
    activity = project.seeds / "saas_user_activity.csv"
    header, rows = read_csv(activity)
    keep = [i for i, c in enumerate(header) if c != "event_count"]
    write_csv(activity, [header[i] for i in keep], [[r[i] or "" for i in keep] for r in rows])

    return project.dbt("seed", "-s", "state:modified", "--state", str(state))


@pytest.fixture(scope="module")
def refreshed(project: Project, changed_run: subprocess.CompletedProcess[str]) -> str:
    return ok(project.dbt("seed", "--full-refresh", "-s", "saas_storage"))


def test_state_modified_still_sees_changed_csvs(
    changed_run: subprocess.CompletedProcess[str],
) -> None:
    output = changed_run.stdout
    assert "TOTAL=3" in output
    for name in ("saas_storage", "saas_background_jobs", "saas_user_activity"):
        assert f"seed file {RAW}.{name}" in output


def test_missing_column_fails_naming_file_and_column(
    project: Project, changed_run: subprocess.CompletedProcess[str]
) -> None:
    output = changed_run.stdout + changed_run.stderr
    assert changed_run.returncode != 0
    assert "Traceback" not in output
    assert "seeds/saas_user_activity.csv' is missing column 'event_count'" in output
    # nothing was touched
    assert project.query(f"select count(*) from {RAW}.saas_user_activity") == [(3000,)]


def test_changed_columns_ask_for_full_refresh(
    project: Project, changed_run: subprocess.CompletedProcess[str], refreshed: str
) -> None:
    assert "Run `dbt seed --full-refresh` to re-create it." in changed_run.stdout
    assert "[INSERT 50 in" in changed_run.stdout  # the clean saas_background_jobs
    clean = f"select count(*) from {RAW}.saas_background_jobs__load_rejects"
    assert project.query(clean) == [(0,)]  # the reload emptied it
    assert "[CREATE " in refreshed
    _, rows = read_csv(project.seeds / "saas_storage.csv")
    assert project.columns("saas_storage")[-1] == ("added", "VARCHAR")
    assert project.query(f"select count(*) from {RAW}.saas_storage where added = 'new'") == [
        (len(rows),)
    ]


def test_only_duckdb_gets_the_override(project: Project) -> None:
    manifest = json.loads((project.root / "target" / "manifest.json").read_text())
    ours = {
        m["name"]
        for m in manifest["macros"].values()
        if m["package_name"] == "saas_usage" and m["name"].startswith("materialization_")
    }
    assert ours == {"materialization_seed_duckdb"}
    assert "macro.dbt.materialization_seed_default" in manifest["macros"]
