"""Broken raw files, fault by fault: the pre-flight check and the loader.

Every case corrupts freshly generated ``small`` files the way real exports go
wrong (encodings, line endings, quoting, ragged and truncated rows, stray
bytes, headers, empty files), one fault per case, and holds the code to the
table in docs/data-quality.md ("Broken files"):

* the pre-flight check (``orchestration.preflight``) on each fault: a fault
  that stops the load gives exactly one problem, naming the file, the line
  and the fault, in one line; a fault that loads gives none (nor does any of
  the other, clean files);
* one real ``dbt seed`` on DuckDB with the loading faults planted in the raw
  tables (and a declared encoding): per table, the file's data lines = rows
  loaded + lines rejected, counted here from the file itself; the loaded
  rows are what Python's csv module reads; the rejected lines are the
  planted ones. In the same run, ``dbt seed`` alone on the faults the
  materialization can see stops naming the file (and the line);
* ``make build`` and ``python -m orchestration.preflight`` on a file
  dbt-core cannot even parse: one line, non-zero exit, no traceback, and dbt
  never starts.
"""

from __future__ import annotations

import csv
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml

from orchestration import preflight as preflight_module
from orchestration.dbt_runner import REPO_ROOT, DbtProject
from orchestration.preflight import EXIT_BAD_FILE, RAW_TABLES, check_raw_files
from tests.raw_faults import FAULTS, Fault, change, combined, generated_lines


@pytest.mark.parametrize("name", FAULTS)
def test_preflight_names_the_file_the_line_and_the_fault(
    small_data_dir: Path, tmp_path: Path, name: str
) -> None:
    fault = FAULTS[name]
    for table in RAW_TABLES:
        (tmp_path / f"{table}.csv").write_bytes((small_data_dir / f"{table}.csv").read_bytes())
    lines = generated_lines(small_data_dir, fault.table)
    fault.write(tmp_path / f"{fault.table}.csv", lines)
    declared = {fault.table: fault.declared} if fault.declared else None

    problems = check_raw_files(tmp_path, declared)

    if not fault.stops:
        assert problems == []
        return
    line = len(lines) if fault.line == -1 else fault.line
    path = tmp_path / f"{fault.table}.csv"
    assert [(p.path, p.line) for p in problems] == [(path, line)], problems
    assert fault.stops in problems[0].problem
    where = f"{path}:{line}" if line else f"{path}"
    assert re.fullmatch(re.escape(where) + r": [^\n]+", str(problems[0]))


# ---------------------------------------------------------------- the loader
# The loading faults, planted together, each raw table its own (the rejected
# line numbers come from the only fault that moves lines).
LOADED = {
    "saas_customer_info": ("every field quoted, quoted commas and quotes", "UTF-8 byte-order mark"),
    "saas_sites": ("CR line endings", "no line break after the last line"),
    "saas_storage": ("blank and whitespace-only lines", "CRLF line endings"),
    "saas_users": ("stray quotes", "control characters"),
    "saas_user_activity": ("columns in another order", "Latin-1, declared, over 1 MiB"),
    "saas_background_jobs": (
        "rows with too few or too many fields",
        "header names padded, quoted, in another case",
    ),
    "saas_internal_accounts": ("header only",),
    "probe_utf16": ("UTF-16, declared, over 1 MiB",),  # an extra seed
}
# `dbt seed` alone, on faults the materialization sees: probe seed -> (the
# fault, written under the probe's name; what the output must say).
STOPPED = {
    "probe_empty": (FAULTS["0-byte file"], "Seed file 'seeds/probe_empty.csv' is empty"),
    "probe_open_quote": (
        FAULTS["quote never closed"],
        "Seed file 'seeds/probe_open_quote.csv', line 10: a quoted value opened here is never",
    ),
    "probe_not_utf8": (
        Fault(
            "saas_user_activity",
            change(15000, lambda x: x.replace("@", "\u00e9@", 1)),
            encoding="latin-1",
        ),
        "Seed file 'seeds/probe_not_utf8.csv', line 15000: not valid utf-8",
    ),
    "probe_repeated": (
        FAULTS["repeated column"],
        "Seed file 'seeds/probe_repeated.csv', line 1: column 4 of the header repeats 'Date'",
    ),
    "probe_no_name": (
        FAULTS["column without a name"],
        "Seed file 'seeds/probe_no_name.csv', line 1: column 2 of the header has no name",
    ),
    # DuckDB's own message (the pre-flight check names the line)
    "probe_mixed": (
        FAULTS["mixed line endings"],
        "Error in seed probe_mixed (seeds/probe_mixed.csv)",
    ),
    "probe_binary": (  # over 1 MiB, so dbt-core's parser lets it through
        Fault("saas_sites", mangle=lambda _: random.Random(4).randbytes(1_200_000)),
        "Error in seed probe_binary (seeds/probe_binary.csv)",
    ),
}


@dataclass
class Seeded:
    project: DbtProject
    faults: dict[str, Fault]
    seed: subprocess.CompletedProcess[str]
    preflight: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.seed.stdout + self.seed.stderr


def declare_encoding(properties: Path, seed: str, encoding: str) -> None:
    """Add ``encoding`` to the config of a seed of a properties file."""
    document = yaml.safe_load(properties.read_text())
    [entry] = [entry for entry in document["seeds"] if entry["name"] == seed]
    entry.setdefault("config", {})["encoding"] = encoding
    properties.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("raw_files") / "project")
    project.generate("--scale", "small", "--seed", "5")
    seeds = project.seeds_dir
    clean = {table: generated_lines(seeds, table) for table in RAW_TABLES}
    faults = {name: combined([FAULTS[f] for f in names]) for name, names in LOADED.items()}
    (seeds / "_raw_file_probes.yml").write_text("version: 2\nseeds:\n  - name: probe_utf16\n")
    for name, fault in faults.items():
        fault.write(seeds / f"{name}.csv", clean[fault.table])
        if fault.declared:
            properties = "_raw_file_probes.yml" if name.startswith("probe") else "_seeds.yml"
            declare_encoding(seeds / properties, name, fault.declared)
    for name, (fault, _) in STOPPED.items():
        fault.write(seeds / f"{name}.csv", clean[fault.table])
    Fault("saas_sites").write(seeds / "probe_reload.csv", clean["saas_sites"])
    preflight = subprocess.run(
        [sys.executable, "-m", "orchestration.preflight"],
        cwd=project.root,
        capture_output=True,
        text=True,
        check=False,
    )
    return Seeded(project, faults, project.dbt("seed", check=False), preflight)


def test_preflight_lets_the_loading_faults_through(seeded: Seeded) -> None:
    assert (seeded.preflight.returncode, seeded.preflight.stderr) == (0, "")


def test_dbt_seed_fails_only_for_the_stopping_faults(seeded: Seeded) -> None:
    assert seeded.seed.returncode == 1
    assert "Traceback" not in seeded.output
    failed = set(re.findall(r"Error in seed (\w+) ", seeded.output))
    assert failed == set(STOPPED)


@pytest.mark.parametrize("table", LOADED)
def test_every_data_line_is_loaded_or_rejected(seeded: Seeded, table: str) -> None:
    fault = seeded.faults[table]
    codec = "utf-8-sig" if fault.encoding.startswith("utf-8") else fault.encoding
    lines = re.split(
        "\r\n|\r|\n", (seeded.project.seeds_dir / f"{table}.csv").read_bytes().decode(codec)
    )
    if lines[-1] == "":  # the last line's line break
        lines.pop()
    header = [name.strip().strip('"') for name in next(csv.reader(lines[:1]))]
    data = {number: line for number, line in enumerate(lines[1:], 2) if line}
    columns = ", ".join(f'"{name}"' for name in header)
    loaded = seeded.project.query(f"select {columns} from raw.{table}")
    rejected = seeded.project.query(f"select distinct line from raw.{table}__load_rejects")

    assert len(data) == len(loaded) + len(rejected)
    assert sorted(rejected["line"]) == list(fault.rejected)
    expected = [
        tuple(value or None for value in next(csv.reader([line])))
        for number, line in data.items()
        if number not in fault.rejected
    ]
    actual = list(
        loaded.astype(object).where(loaded.notna(), None).itertuples(index=False, name=None)
    )
    assert sorted(actual, key=repr) == sorted(expected, key=repr)


@pytest.mark.parametrize("probe", STOPPED)
def test_dbt_seed_alone_stops_naming_the_file(seeded: Seeded, probe: str) -> None:
    assert STOPPED[probe][1] in seeded.output
    tables = seeded.project.query(
        f"select count(*) as n from information_schema.tables where table_name = '{probe}'"
    )
    assert tables.at[0, "n"] == 0  # nothing was loaded


def test_a_failed_reload_changes_nothing(seeded: Seeded) -> None:
    """The load is one transaction: a fault found after the old table was
    dropped (--full-refresh) or emptied (a reload) leaves it as it was."""
    project = seeded.project
    before = project.query("select * from raw.probe_reload")
    lines = generated_lines(project.seeds_dir, "probe_reload")
    assert len(before) == len(lines) - 1  # loaded by the first `dbt seed`
    broken = Fault("saas_sites", change(5, lambda x: x.replace(",", ',"', 1)))
    broken.write(project.seeds_dir / "probe_reload.csv", lines)
    runs = [
        project.dbt("seed", "-s", "probe_reload", *args, check=False)
        for args in ([], ["--full-refresh"])
    ]

    for run in runs:
        assert run.returncode == 1
        assert "probe_reload.csv', line 5: a quoted value opened here is never closed" in run.stdout
    assert project.query("select * from raw.probe_reload").equals(before)


# ----------------------------------------------- the documented entry points
@pytest.fixture(scope="module")
def unparseable(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    """A project whose saas_sites.csv (under 1 MiB) is UTF-16: dbt-core's own
    parser would stop `dbt seed` with a traceback before any project code."""
    project = DbtProject.copy_of_repo(tmp_path_factory.mktemp("unparseable") / "project")
    project.generate("--scale", "small", "--seed", "5")
    path = project.seeds_dir / "saas_sites.csv"
    FAULTS["UTF-16, not declared"].write(path, path.read_text().splitlines())
    return project


def preflight(project: DbtProject, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "orchestration.preflight", *args]
    return subprocess.run(command, cwd=project.root, capture_output=True, text=True, check=False)


def test_make_build_stops_before_dbt_with_one_line(unparseable: DbtProject) -> None:
    venv = Path(sys.executable).parent.parent
    # -o install: use the running virtualenv as it is, never reinstall it
    result = subprocess.run(
        ["make", "-o", "install", "build", f"VENV={venv}"],
        cwd=unparseable.root,
        env={**os.environ, **unparseable.env},
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{unparseable.seeds_dir / 'saas_sites.csv'}:1: is UTF-16 (" in output
    assert "Traceback" not in output
    assert "Running with dbt" not in output  # dbt never started


def test_preflight_command_prints_one_line_per_broken_file(unparseable: DbtProject) -> None:
    path = unparseable.seeds_dir / "saas_sites.csv"
    undeclared = preflight(unparseable)
    declared = preflight(unparseable, "--encoding", "saas_sites=utf-16")
    malformed = preflight(unparseable, "--encoding", "saas_sites")

    assert undeclared.returncode == declared.returncode == EXIT_BAD_FILE
    assert undeclared.stderr.splitlines() == [next(iter(undeclared.stderr.splitlines()))]
    assert undeclared.stderr.startswith(f"{path}:1: is UTF-16 (")
    assert declared.stderr.splitlines() == [
        f"{path}: is utf-16 as declared, but dbt seed reads files of 1 MiB or less as UTF-8"
        " before loading them: convert it to UTF-8 (iconv -f utf-16 -t utf-8)"
    ]
    assert malformed.returncode == 2 and "expected TABLE=ENCODING" in malformed.stderr
    assert "Traceback" not in undeclared.stderr + declared.stderr + malformed.stderr


def test_preflight_reads_the_declared_encodings_of_the_seeds(
    small_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In dbt_project.yml (`+encoding`) or in a seed's properties (`config:`)."""
    project, raw = tmp_path / "project", tmp_path / "raw"
    (project / "seeds").mkdir(parents=True)
    raw.mkdir()
    config = (REPO_ROOT / "dbt_project.yml").read_text()
    anchor = "seeds:\n  saas_usage:\n"
    assert anchor in config
    (project / "dbt_project.yml").write_text(
        config.replace(anchor, f"{anchor}    saas_customer_info:\n      +encoding: latin-1\n")
    )
    properties = project / "seeds" / "_seeds.yml"
    properties.write_text((REPO_ROOT / "seeds" / "_seeds.yml").read_text())
    declare_encoding(properties, "saas_user_activity", "utf-16")
    for table in ("saas_customer_info", "saas_user_activity"):
        fault = replace(FAULTS["UTF-16, declared, over 1 MiB"], table=table)
        if table == "saas_customer_info":
            fault = replace(fault, encoding="latin-1")
        fault.write(raw / f"{table}.csv", generated_lines(small_data_dir, table))
    monkeypatch.setattr(preflight_module, "REPO_ROOT", project)

    problems = check_raw_files(raw)

    # both decode as declared; the small Latin-1 one is too small for dbt-core
    assert [(p.path.name, "1 MiB or less" in p.problem) for p in problems] == [
        ("saas_customer_info.csv", True)
    ]
