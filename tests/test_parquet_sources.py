"""The Parquet path (var ``raw_parquet_path``, the large scale's): a build that
reads the small data set in place from Parquet files equals the build from
the seeded CSVs (``small_built``, the same generator seed), row for row, even
when the files' producer types some columns (integers and dates instead of
text): staging reads every raw column as text, and the row rules judge it.
The whole ``dbt build`` passes there, unit tests included, and so does the
daily job's first step, source freshness.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import GENERATOR

from generator.config import SCALES
from orchestration.database import compare_relations, materialized_relations
from orchestration.dbt_runner import DbtProject

GENERATOR_ARGS = ("--scale", "small", "--seed", "7")  # the data of small_built
TYPED = {  # raw table -> the columns a producer might type, and their types
    "saas_user_activity": {"event_count": pa.int64(), "date": pa.date32()},
    "saas_storage": {"storage_bytes": pa.int64(), "date": pa.date32()},
    "saas_users": {"registration_date": pa.date32()},
    "saas_background_jobs": {"background_job_min": pa.int32()},
}
FRESHNESS_DATES = {  # raw table -> the column its freshness reads
    "saas_user_activity": "date",
    "saas_storage": "date",
    "saas_users": "registration_date",
    "saas_background_jobs": "date",
}
AS_OF = (SCALES["small"].end + dt.timedelta(days=1)).isoformat()  # the day after the data


def type_columns(folder: Path) -> None:
    """Rewrite each part of the tables in TYPED with those columns typed."""
    for table, columns in TYPED.items():
        for part in sorted((folder / f"{table}.parquet").glob("*.parquet")):
            data = pq.read_table(part)
            for name, kind in columns.items():
                index = data.schema.get_field_index(name)
                data = data.set_column(index, name, pc.cast(data[name], kind))
            pq.write_table(data, part)


@pytest.fixture(scope="module")
def parquet_built(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    root = tmp_path_factory.mktemp("parquet_sources")
    data = root / "raw"
    command = [sys.executable, str(GENERATOR), *GENERATOR_ARGS, "--format", "parquet"]
    subprocess.run([*command, "--out", str(data), "--quiet"], check=True, capture_output=True)
    type_columns(data)
    for table, columns in TYPED.items():  # what the build reads is typed, not text
        for part in (data / f"{table}.parquet").glob("*.parquet"):
            schema = pq.read_schema(part)
            assert all(schema.field(name).type == kind for name, kind in columns.items()), part
    project = DbtProject.copy_of_repo(root / "project")
    dbt_vars = json.dumps({"raw_parquet_path": str(data), "raw_loaded_by_seeds": False})
    project.dbt("seed", "--vars", dbt_vars)  # the internal-accounts lookup only
    project.dbt("build", "--exclude-resource-type", "seed", "--vars", dbt_vars)
    # as of the data's end (then fresh): sources.json holds the dates it read
    as_of = {"SAAS_FRESHNESS_AS_OF": AS_OF}
    project.dbt("source", "freshness", "--vars", dbt_vars, extra_env=as_of)
    return project


def test_a_parquet_build_equals_the_csv_build(
    parquet_built: DbtProject, small_built: DbtProject
) -> None:
    tables = materialized_relations(small_built.manifest_path)
    assert materialized_relations(parquet_built.manifest_path) == tables
    assert parquet_built.query("select count(*) as n from fct_site_months")["n"].iloc[0] > 0
    differences = compare_relations(parquet_built.database_path, small_built.database_path, tables)
    assert differences == {}


def test_freshness_reads_the_typed_dates(parquet_built: DbtProject) -> None:
    """Each feed's latest date, as dbt's freshness read it from the typed
    files, is the latest date in them (pyarrow), and is fresh as of the
    data's end."""
    results = json.loads((parquet_built.target_dir / "sources.json").read_text())["results"]
    by_table = {result["unique_id"].rsplit(".", 1)[1]: result for result in results}
    assert set(by_table) == set(FRESHNESS_DATES)
    data = parquet_built.root.parent / "raw"
    for table, column in FRESHNESS_DATES.items():
        dates = pq.read_table(data / f"{table}.parquet", columns=[column])[column]
        latest = pc.max(pc.cast(dates, pa.string())).as_py()
        assert by_table[table]["max_loaded_at"].startswith(latest), table
        assert by_table[table]["status"] == "pass", by_table[table]
