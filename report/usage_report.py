#!/usr/bin/env python3
"""Write the visual usage report: one self-contained HTML file built from the marts.

Usage::

    python -m report                          # DuckDB (saas.duckdb or $DBT_DUCKDB_PATH)
    python -m report --out /tmp/report.html
    python -m report --target bigquery        # any target of the dbt profile

The report reads the built marts (``seg_account_tier_months``,
``seg_region_months``, ``customer_license_months``,
``customer_background_job_months``, ``onboarding_site_signals``,
``dim_customers``) and draws, with Altair (Vega-Lite): engagement by month and
segment, licence utilisation with the downgrade/upgrade candidates, storage
growth by tier, the customers most reliant on background processing and the
sites with onboarding signals. Each chart says how to read it and defines its
metric. The page inlines the Vega JavaScript: it opens from a file with no
network, and the same data gives a byte-identical file (no timestamps, fixed
element ids, sorted data).

Where the data comes from. The warehouse is the target of the project's dbt
profile (``profiles.yml`` in ``--profiles-dir``, ``$DBT_PROFILES_DIR``, the
project folder or ``~/.dbt``; ``profiles.example.yml`` if there is none),
rendered by dbt itself, so ``env_var()`` and ``DBT_TARGET`` work as for
``dbt build``. Two engines read it:

* ``duckdb`` (the default for a DuckDB target): opens the profile's DuckDB file
  read-only and reads the marts from the profile's schema (``--schema``
  overrides it). Fast, no dbt parse.
* ``dbt`` (the default for any other target, e.g. BigQuery): runs each query
  through dbt's own adapter with ``dbt show --inline`` (dbt's Python API), so
  ``ref()`` resolves the marts wherever the target builds them. Its dbt
  artifacts go to ``target/usage_report_dbt/``, never over the build's.

Exit codes: 0 report written; 1 the warehouse could not be read (not built,
missing mart, query error); 2 bad options or profile.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "usage_report.html.j2"
DEFAULT_OUT = Path("target") / "usage_report.html"
DBT_TARGET_PATH = Path("target") / "usage_report_dbt"

EXIT_OK = 0
EXIT_WAREHOUSE = 1
EXIT_USAGE = 2

Kind = Literal["str", "int", "float", "bool", "date"]
Record = dict[str, Any]

# Fixed category orders and colours, so that every chart agrees.
TIERS = ("Enterprise", "Commercial", "SMB")
TIER_COLOURS = ("#4c78a8", "#f58518", "#54a24b")
REGIONS = ("North America", "EMEA", "APAC")
REGION_COLOURS = ("#72b7b2", "#b279a2", "#e45756")
LICENCES = ("Viewer", "Explorer", "Creator")
LICENCE_COLOURS = ("#9ecae9", "#4c78a8", "#f58518")
CANDIDATE_KINDS = (
    "Downgrade: Creators not creating",
    "Upgrade: Explorers beyond licence",
    "Upgrade: Viewers beyond licence",
)
CANDIDATE_COLOURS = ("#e45756", "#54a24b", "#88d27a")
HEAVY_LABELS = ("Heavy in at least one month", "Never heavy")
HEAVY_COLOURS = ("#f58518", "#bab0ac")
SIGNALS = (
    ("is_high_activity_no_storage", "High activity, no storage"),
    ("is_stalled", "Stalled"),
    ("is_slow_ramp", "Slow ramp"),
    ("is_no_content_created", "No content created"),
)
MAX_BACKGROUND_BARS = 25
NO_VALUE = "\N{EN DASH}"  # shown for a missing value
MAX_ONBOARDING_ROWS = 40
MAX_TABLE_ROWS = 200
TOP_CANDIDATE_CUSTOMERS = 10

# Business constants the definitions quote: dbt vars, read from dbt_project.yml
# (these are the fallbacks when a var is missing there).
VAR_DEFAULTS: dict[str, Any] = {
    "heavy_background_min_minutes_per_site": 3000,
    "onboarding_window_days": 90,
    "signal_high_activity_min_events": 500,
    "signal_no_storage_max_bytes": 0,
    "signal_slow_ramp_max_activation_rate": 0.5,
    "signal_stalled_tail_days": 30,
}


class ReportError(Exception):
    """The report cannot be built; carries the exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_WAREHOUSE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    """A query on the marts. ``sql`` names marts as ``{{ ref('model') }}`` and
    uses only SQL that DuckDB and BigQuery share; ``columns`` says how to read
    each selected column, so every engine yields the same Python values."""

    name: str
    sql: str
    columns: tuple[tuple[str, Kind], ...]


_SEGMENT_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("segment", "str"),
    ("month_start", "date"),
    ("customers", "int"),
    ("active_sites", "int"),
    ("licensed_users", "int"),
    ("active_users", "int"),
    ("licence_utilisation", "float"),
    ("events_total", "int"),
    ("events_per_active_user", "float"),
    ("storage_gib_avg", "float"),
    ("job_minutes_total", "float"),
)


def _segment_query(model: str, column: str) -> Query:
    return Query(
        name=model,
        sql=f"""
select
    {column} as segment,
    month_start,
    customers,
    active_sites,
    licensed_users,
    active_users,
    licence_utilisation,
    events_total,
    events_per_active_user,
    storage_gib_avg,
    job_minutes_total
from {{{{ ref('{model}') }}}}
order by month_start, segment
""",
        columns=_SEGMENT_COLUMNS,
    )


QUERIES: tuple[Query, ...] = (
    _segment_query("seg_account_tier_months", "account_tier"),
    _segment_query("seg_region_months", "region"),
    _segment_query("seg_industry_months", "industry"),
    Query(
        name="licence_months",
        sql="""
select
    month_start,
    license_type,
    sum(licensed_users) as licensed_users,
    sum(active_users) as active_users,
    sum(coalesce(licence_utilisation, 0) * licensed_users) as licensed_active_users,
    sum(downgrade_candidates) as downgrade_candidates,
    sum(upgrade_candidates) as upgrade_candidates,
    count(distinct customer_id) as customers
from {{ ref('customer_license_months') }}
where not coalesce(is_internal, false)
group by month_start, license_type
order by month_start, license_type
""",
        columns=(
            ("month_start", "date"),
            ("license_type", "str"),
            ("licensed_users", "int"),
            ("active_users", "int"),
            ("licensed_active_users", "float"),
            ("downgrade_candidates", "int"),
            ("upgrade_candidates", "int"),
            ("customers", "int"),
        ),
    ),
    Query(
        name="licence_latest_month",
        sql="""
select
    customer_id,
    month_start,
    account_tier,
    region,
    license_type,
    licensed_users,
    active_users,
    downgrade_candidates,
    upgrade_candidates
from {{ ref('customer_license_months') }}
where
    not coalesce(is_internal, false)
    and month_start = (select max(month_start) from {{ ref('customer_license_months') }})
order by customer_id, license_type
""",
        columns=(
            ("customer_id", "str"),
            ("month_start", "date"),
            ("account_tier", "str"),
            ("region", "str"),
            ("license_type", "str"),
            ("licensed_users", "int"),
            ("active_users", "int"),
            ("downgrade_candidates", "int"),
            ("upgrade_candidates", "int"),
        ),
    ),
    Query(
        name="background_customers",
        sql="""
select
    customer_id,
    max(account_tier) as account_tier,
    max(region) as region,
    max(industry) as industry,
    max(case when is_internal then 1 else 0 end) as is_internal,
    count(*) as months,
    sum(job_runs) as job_runs,
    sum(job_minutes_total) as job_minutes_total,
    max(job_minutes_per_site) as peak_minutes_per_site,
    sum(case when is_heavy_background_user then 1 else 0 end) as heavy_months,
    max(case when is_heavy_background_user then month_start end) as last_heavy_month
from {{ ref('customer_background_job_months') }}
group by customer_id
order by customer_id
""",
        columns=(
            ("customer_id", "str"),
            ("account_tier", "str"),
            ("region", "str"),
            ("industry", "str"),
            ("is_internal", "bool"),
            ("months", "int"),
            ("job_runs", "int"),
            ("job_minutes_total", "float"),
            ("peak_minutes_per_site", "float"),
            ("heavy_months", "int"),
            ("last_heavy_month", "date"),
        ),
    ),
    Query(
        name="onboarding_sites",
        sql="""
select
    signals.site_id,
    signals.customer_id,
    customers.account_tier,
    customers.region,
    signals.go_live_date,
    signals.onboarding_window_days,
    signals.window_days_observed,
    signals.is_window_complete,
    signals.events_in_window,
    signals.active_users_in_window,
    signals.licensed_users_in_window,
    signals.activation_rate,
    signals.storage_bytes_peak_in_window,
    signals.is_high_activity_no_storage,
    signals.is_stalled,
    signals.is_slow_ramp,
    signals.is_no_content_created
from {{ ref('onboarding_site_signals') }} as signals
inner join {{ ref('dim_customers') }} as customers
    on signals.customer_id = customers.customer_id
where not coalesce(customers.is_internal, false)
order by signals.site_id
""",
        columns=(
            ("site_id", "str"),
            ("customer_id", "str"),
            ("account_tier", "str"),
            ("region", "str"),
            ("go_live_date", "date"),
            ("onboarding_window_days", "int"),
            ("window_days_observed", "int"),
            ("is_window_complete", "bool"),
            ("events_in_window", "int"),
            ("active_users_in_window", "int"),
            ("licensed_users_in_window", "int"),
            ("activation_rate", "float"),
            ("storage_bytes_peak_in_window", "float"),
            *((column, "bool") for column, _ in SIGNALS),
        ),
    ),
)

MARTS_READ = (
    "seg_account_tier_months",
    "seg_region_months",
    "seg_industry_months",
    "customer_license_months",
    "customer_background_job_months",
    "onboarding_site_signals",
    "dim_customers",
)


def _is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | Decimal):
        return math.isnan(value)
    # pandas/numpy missing values (NaT, NA) are not equal to themselves
    return value != value


def _as_date(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return date.fromisoformat(text[:10]).isoformat()


def normalise(value: object, kind: Kind) -> Any:
    """One warehouse value as a plain Python value of ``kind`` (dates as ISO text)."""
    if _is_null(value):
        return None
    if kind == "str":
        return str(value)
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in {"true", "t", "1", "yes"}
        return bool(value)
    return _as_date(value)


def normalise_rows(
    query: Query, column_names: Sequence[str], rows: Iterable[Sequence[object]]
) -> list[Record]:
    names = [name.lower() for name in column_names]
    missing = [name for name, _ in query.columns if name not in names]
    if missing:
        raise ReportError(f"query {query.name}: the warehouse returned no column {missing}")
    positions = {name: names.index(name) for name, _ in query.columns}
    return [
        {name: normalise(row[positions[name]], kind) for name, kind in query.columns}
        for row in rows
    ]


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class Target:
    """The rendered target of the dbt profile."""

    profile_name: str
    name: str
    settings: Mapping[str, Any]
    profiles_file: Path
    chosen: bool = False  # named with --target (else the profile's default)

    @property
    def adapter_type(self) -> str:
        return str(self.settings.get("type", ""))


def find_profiles_dir(project_dir: Path, profiles_dir: Path | None) -> Path | None:
    """dbt's search order: --profiles-dir, $DBT_PROFILES_DIR, the project, ~/.dbt."""
    if profiles_dir is not None:
        return profiles_dir
    if os.environ.get("DBT_PROFILES_DIR"):
        return Path(os.environ["DBT_PROFILES_DIR"])
    for candidate in (project_dir, Path.home() / ".dbt"):
        if (candidate / "profiles.yml").is_file():
            return candidate
    return None


def read_project_config(project_dir: Path) -> dict[str, Any]:
    import yaml

    path = project_dir / "dbt_project.yml"
    if not path.is_file():
        raise ReportError(f"no dbt_project.yml in {project_dir}", EXIT_USAGE)
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def resolve_target(
    project_dir: Path, profiles_dir: Path | None, target_override: str | None
) -> Target:
    """Render the project's profile and pick the target, with dbt's own renderer."""
    import yaml
    from dbt.config.profile import Profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    project = read_project_config(project_dir)
    profile_name = str(project.get("profile", ""))
    found = find_profiles_dir(project_dir, profiles_dir)
    profiles_file = found / "profiles.yml" if found is not None else None
    if profiles_file is None or not profiles_file.is_file():
        example = project_dir / "profiles.example.yml"
        if not example.is_file():
            raise ReportError(
                "no profiles.yml found: copy profiles.example.yml to profiles.yml", EXIT_USAGE
            )
        profiles_file = example
    raw_profiles = yaml.safe_load(profiles_file.read_text(encoding="utf-8")) or {}
    if profile_name not in raw_profiles:
        raise ReportError(f"{profiles_file} has no profile {profile_name!r}", EXIT_USAGE)
    set_invocation_context(os.environ)
    try:
        target_name, settings = Profile.render_profile(
            raw_profiles[profile_name], profile_name, target_override, ProfileRenderer({})
        )
    except Exception as error:  # dbt raises its own profile/compilation errors
        raise ReportError(f"profile {profile_name!r}: {error}", EXIT_USAGE) from error
    return Target(profile_name, target_name, settings, profiles_file, target_override is not None)


# --------------------------------------------------------------------------- engines


class Warehouse(Protocol):
    def fetch(self, query: Query) -> list[Record]: ...


_REF = re.compile(r"\{\{\s*ref\(\s*'(\w+)'\s*\)\s*\}\}")


@dataclass
class DuckDBWarehouse:
    """Reads the marts straight from the DuckDB file, read-only."""

    path: Path
    schema: str
    _connection: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        import duckdb

        if not self.path.is_file():
            raise ReportError(
                f"no DuckDB warehouse at {self.path}: run `dbt seed && dbt build` first "
                "(or set DBT_DUCKDB_PATH)"
            )
        try:
            self._connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise ReportError(f"cannot open {self.path}: {error}") from error

    def render(self, sql: str) -> str:
        schema = self.schema.replace('"', '""')
        return _REF.sub(lambda match: f'"{schema}"."{match[1]}"', sql)

    def fetch(self, query: Query) -> list[Record]:
        import duckdb

        try:
            cursor = self._connection.execute(self.render(query.sql))
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as error:
            raise ReportError(
                f"query {query.name} failed on {self.path} (schema {self.schema}): {error}"
            ) from error
        return normalise_rows(query, names, rows)

    def close(self) -> None:
        self._connection.close()


@dataclass
class DbtWarehouse:
    """Runs each query through dbt's adapter (``dbt show --inline``), for any target."""

    project_dir: Path
    profiles_dir: Path
    target: str
    target_override: str | None = None
    _runner: Any = field(default=None, init=False, repr=False)

    def _args(self) -> list[str]:
        # --target only when the user chose one: dbt's partial-parse state
        # records it, and the build's state (see _seed_partial_parse) had none.
        target = ["--target", self.target_override] if self.target_override else []
        return [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.profiles_dir),
            *target,
            "--target-path",
            str(self.project_dir / DBT_TARGET_PATH),
            "--log-level",
            "none",
        ]

    def _invoke(self, runner: Any, args: list[str], what: str) -> Any:
        result = runner.invoke([*args, *self._args()])
        if result.success:
            return result.result
        detail = result.exception
        if detail is None and result.result is not None:
            detail = "; ".join(
                str(getattr(item, "message", item))
                for item in getattr(result.result, "results", [])
            )
        raise ReportError(f"dbt {what} failed on target {self.target!r}: {detail}")

    def _seed_partial_parse(self) -> None:
        """Start from the build's partial-parse state when this target path has none
        (dbt checks it and parses in full if it does not match)."""
        ours = self.project_dir / DBT_TARGET_PATH / "partial_parse.msgpack"
        builds = self.project_dir / "target" / "partial_parse.msgpack"
        if not ours.exists() and builds.is_file():
            ours.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(builds, ours)

    def fetch(self, query: Query) -> list[Record]:
        from dbt.cli.main import dbtRunner

        if self._runner is None:
            self._seed_partial_parse()
            manifest = self._invoke(dbtRunner(), ["parse"], "parse")
            self._runner = dbtRunner(manifest=manifest)
        result = self._invoke(
            self._runner,
            ["show", "--inline", query.sql, "--limit", "-1"],
            f"show ({query.name})",
        )
        table = result.results[0].agate_table
        return normalise_rows(query, list(table.column_names), table.rows)

    def close(self) -> None:
        self._runner = None
        release_dbt_connections()


def release_dbt_connections() -> None:
    """Close what dbt's adapters hold open in this process. dbt-duckdb keeps one
    read-write DuckDB handle per process, which would lock the file against
    other readers of the same process until exit."""
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing of it to close
        return
    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()


@contextmanager
def open_warehouse(
    target: Target,
    project_dir: Path,
    engine: Literal["auto", "duckdb", "dbt"],
    schema_override: str | None,
) -> Iterator[Warehouse]:
    use_duckdb = engine == "duckdb" or (engine == "auto" and target.adapter_type == "duckdb")
    if use_duckdb:
        if target.adapter_type != "duckdb":
            raise ReportError(
                f"--engine duckdb needs a DuckDB target; {target.name!r} is "
                f"{target.adapter_type!r} (use --engine dbt)",
                EXIT_USAGE,
            )
        path = Path(str(target.settings.get("path", "saas.duckdb")))
        if not path.is_absolute():
            path = project_dir / path
        schema = schema_override or str(target.settings.get("schema", "main"))
        warehouse = DuckDBWarehouse(path, schema)
        try:
            yield warehouse
        finally:
            warehouse.close()
        return
    if schema_override:
        raise ReportError("--schema only applies to the duckdb engine", EXIT_USAGE)
    with tempfile.TemporaryDirectory(prefix="usage_report_profiles_") as scratch:
        profiles_dir = target.profiles_file.parent
        if target.profiles_file.name != "profiles.yml":  # the example profile
            shutil.copy(target.profiles_file, Path(scratch) / "profiles.yml")
            profiles_dir = Path(scratch)
        dbt_warehouse = DbtWarehouse(
            project_dir, profiles_dir, target.name, target.name if target.chosen else None
        )
        try:
            yield dbt_warehouse
        finally:
            dbt_warehouse.close()


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class ReportData:
    tiers: list[Record]
    regions: list[Record]
    industries: list[Record]
    licence_months: list[Record]
    licence_latest: list[Record]
    background: list[Record]
    onboarding: list[Record]
    project_vars: Mapping[str, Any]

    @property
    def months(self) -> list[str]:
        return sorted({row["month_start"] for row in self.tiers})


def load_data(warehouse: Warehouse, project_vars: Mapping[str, Any]) -> ReportData:
    frames = {query.name: warehouse.fetch(query) for query in QUERIES}
    return ReportData(
        tiers=frames["seg_account_tier_months"],
        regions=frames["seg_region_months"],
        industries=frames["seg_industry_months"],
        licence_months=frames["licence_months"],
        licence_latest=frames["licence_latest_month"],
        background=frames["background_customers"],
        onboarding=frames["onboarding_sites"],
        project_vars=project_vars,
    )


def project_vars(project: Mapping[str, Any]) -> dict[str, Any]:
    configured = project.get("vars") or {}
    return {name: configured.get(name, default) for name, default in VAR_DEFAULTS.items()}


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m-%d").strftime("%B %Y")


def _fmt_int(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:,.0f}"


def _fmt_pct(value: float | None, digits: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:.{digits}%}"


def _fmt_num(value: float | None, digits: int = 1) -> str:
    return NO_VALUE if value is None else f"{value:,.{digits}f}"


def _rank(value: str, order: Sequence[str]) -> tuple[int, str]:
    """Sort key: the fixed order first, unknown values after it alphabetically."""
    return (order.index(value) if value in order else len(order), value)


def segment_records(rows: list[Record], order: Sequence[str]) -> list[Record]:
    """Chart rows of a segment mart, sorted, with month-over-month storage growth."""
    ordered = sorted(rows, key=lambda r: (r["month_start"], *_rank(r["segment"], order)))
    previous: dict[str, float | None] = {}
    records = []
    for row in ordered:
        storage = row["storage_gib_avg"]
        before = previous.get(row["segment"])
        growth = _ratio(storage - before, before) if storage is not None and before else None
        previous[row["segment"]] = storage
        records.append(
            {
                "month_start": row["month_start"],
                "segment": row["segment"],
                "customers": row["customers"],
                "active_sites": row["active_sites"],
                "licensed_users": row["licensed_users"],
                "active_users": row["active_users"],
                "events_total": row["events_total"],
                "events_per_active_user": _round(row["events_per_active_user"], 2),
                "storage_gib_avg": _round(storage, 3),
                "storage_growth": _round(growth, 4),
            }
        )
    return records


def licence_records(rows: list[Record]) -> list[Record]:
    records = []
    for row in sorted(rows, key=lambda r: (r["month_start"], *_rank(r["license_type"], LICENCES))):
        active = round(row["licensed_active_users"] or 0)
        records.append(
            {
                "month_start": row["month_start"],
                "license_type": row["license_type"],
                "licensed_users": row["licensed_users"],
                "licensed_active_users": active,
                "licence_utilisation": _round(_ratio(active, row["licensed_users"] or 0), 4),
            }
        )
    return records


def candidate_records(rows: list[Record]) -> list[Record]:
    kinds = {
        "Creator": (CANDIDATE_KINDS[0], "downgrade_candidates"),
        "Explorer": (CANDIDATE_KINDS[1], "upgrade_candidates"),
        "Viewer": (CANDIDATE_KINDS[2], "upgrade_candidates"),
    }
    records = []
    for row in rows:
        if row["license_type"] not in kinds:
            continue
        kind, column = kinds[row["license_type"]]
        users = row[column]
        records.append(
            {
                "month": row["month_start"][:7],
                "kind": kind,
                "users": users or 0,
                "licensed_users": row["licensed_users"],
            }
        )
    return sorted(records, key=lambda r: (r["month"], CANDIDATE_KINDS.index(r["kind"])))


def background_records(rows: list[Record]) -> tuple[list[Record], int]:
    """External customers ranked by their share of all platform job minutes, and
    the number of external heavy customers. Internal accounts count in the
    total (as in the mart's job_minutes_share) but are not shown."""
    platform_minutes = sum(row["job_minutes_total"] or 0 for row in rows)
    records = []
    for row in rows:
        if row["is_internal"]:
            continue
        minutes = row["job_minutes_total"] or 0
        heavy = (row["heavy_months"] or 0) > 0
        records.append(
            {
                "customer": f"{row['customer_id']} · {row['account_tier']}",
                "customer_id": row["customer_id"],
                "account_tier": row["account_tier"],
                "region": row["region"],
                "industry": row["industry"],
                "share": _round(_ratio(minutes, platform_minutes), 6),
                "job_minutes_total": _round(minutes, 1),
                "job_runs": row["job_runs"],
                "peak_minutes_per_site": _round(row["peak_minutes_per_site"], 1),
                "months": row["months"],
                "heavy_months": row["heavy_months"] or 0,
                "last_heavy_month": row["last_heavy_month"],
                "heavy": HEAVY_LABELS[0] if heavy else HEAVY_LABELS[1],
                "label": f"heavy {row['heavy_months']} of {row['months']} months" if heavy else "",
            }
        )
    records.sort(key=lambda r: (-(r["share"] or 0), r["customer_id"]))
    heavy_count = sum(1 for r in records if r["heavy"] == HEAVY_LABELS[0])
    return records, heavy_count


def onboarding_flagged(rows: list[Record]) -> list[Record]:
    """Sites with at least one signal, most signals first, then most events."""
    flagged = []
    for row in rows:
        raised = [label for column, label in SIGNALS if row[column]]
        if raised:
            flagged.append({**row, "signals": raised})
    flagged.sort(key=lambda r: (-len(r["signals"]), -(r["events_in_window"] or 0), r["site_id"]))
    return flagged


# --------------------------------------------------------------------------- charts


def _altair() -> Any:
    import altair as alt

    return alt


def _month_x(alt: Any, title: str | None = None) -> Any:
    return alt.X(
        "month_start:T",
        timeUnit="utcyearmonth",
        title=title,
        axis=alt.Axis(format="%b %Y", labelAngle=-40, labelOverlap=True),
    )


def _month_tooltip(alt: Any) -> Any:
    return alt.Tooltip("month_start:T", timeUnit="utcyearmonth", format="%B %Y", title="Month")


def _colour(
    alt: Any, field_name: str, title: str, domain: Sequence[str], colours: Sequence[str]
) -> Any:
    return alt.Color(
        f"{field_name}:N",
        title=title,
        scale=alt.Scale(domain=list(domain), range=list(colours)),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def _domain(records: list[Record], field_name: str, order: Sequence[str]) -> list[str]:
    present = {r[field_name] for r in records}
    return [value for value in order if value in present] + sorted(present - set(order))


def _colours(domain: Sequence[str], order: Sequence[str], palette: Sequence[str]) -> list[str]:
    extra = iter(("#9d755d", "#bab0ac", "#ff9da6", "#eeca3b"))
    return [palette[order.index(value)] if value in order else next(extra) for value in domain]


def _segment_panel(
    alt: Any,
    records: list[Record],
    *,
    title: str,
    legend_title: str,
    order: Sequence[str],
    palette: Sequence[str],
    measure: str,
    measure_title: str,
    mark: Literal["line", "bar"],
    width: int = 400,
) -> Any:
    domain = _domain(records, "segment", order)
    colour = _colour(alt, "segment", legend_title, domain, _colours(domain, order, palette))
    tooltip = [
        _month_tooltip(alt),
        alt.Tooltip("segment:N", title=legend_title),
        alt.Tooltip(f"{measure}:Q", title=measure_title, format=",.0f"),
        alt.Tooltip("licensed_users:Q", title="Licensed users", format=",.0f"),
        alt.Tooltip("events_per_active_user:Q", title="Events per active user", format=",.1f"),
    ]
    base = alt.Chart(alt.Data(values=records), title=title, width=width, height=240)
    y = alt.Y(f"{measure}:Q", title=measure_title, axis=alt.Axis(format="~s"))
    if mark == "bar":
        return base.mark_bar().encode(x=_month_x(alt), y=y, color=colour, tooltip=tooltip)
    return base.mark_line(point=True).encode(x=_month_x(alt), y=y, color=colour, tooltip=tooltip)


def _by_segment(
    alt: Any, tiers: list[Record], regions: list[Record], measure: str, title: str, mark: Any
) -> dict[str, Any]:
    left = _segment_panel(
        alt,
        tiers,
        title=f"{title} by account tier",
        legend_title="Account tier",
        order=TIERS,
        palette=TIER_COLOURS,
        measure=measure,
        measure_title=title,
        mark=mark,
    )
    right = _segment_panel(
        alt,
        regions,
        title=f"{title} by region",
        legend_title="Region",
        order=REGIONS,
        palette=REGION_COLOURS,
        measure=measure,
        measure_title=title,
        mark=mark,
    )
    return alt.hconcat(left, right, spacing=40).resolve_scale(color="independent").to_dict()


def chart_industries(alt: Any, records: list[Record]) -> dict[str, Any]:
    """Heatmap: one row per industry (most active users first), one cell per month."""
    totals: dict[str, int] = {}
    for r in records:
        totals[r["segment"]] = totals.get(r["segment"], 0) + (r["active_users"] or 0)
    order = sorted(totals, key=lambda industry: (-totals[industry], industry))
    return (
        alt.Chart(alt.Data(values=records), width=860, height=alt.Step(22))
        .mark_rect()
        .encode(
            x=_month_x(alt),
            y=alt.Y("segment:N", sort=order, title=None),
            color=alt.Color(
                "active_users:Q",
                title="Active users",
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=[
                _month_tooltip(alt),
                alt.Tooltip("segment:N", title="Industry"),
                alt.Tooltip("active_users:Q", title="Active users", format=","),
                alt.Tooltip("licensed_users:Q", title="Licensed users", format=","),
                alt.Tooltip("events_total:Q", title="Events", format=","),
                alt.Tooltip(
                    "events_per_active_user:Q", title="Events per active user", format=",.1f"
                ),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
        .to_dict()
    )


def chart_licence_utilisation(alt: Any, records: list[Record]) -> dict[str, Any]:
    domain = _domain(records, "license_type", LICENCES)
    return (
        alt.Chart(alt.Data(values=records), width=860, height=260)
        .mark_line(point=True)
        .encode(
            x=_month_x(alt),
            y=alt.Y(
                "licence_utilisation:Q",
                title="Licence utilisation",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=_colour(
                alt, "license_type", "Licence", domain, _colours(domain, LICENCES, LICENCE_COLOURS)
            ),
            tooltip=[
                _month_tooltip(alt),
                alt.Tooltip("license_type:N", title="Licence"),
                alt.Tooltip("licence_utilisation:Q", title="Utilisation", format=".1%"),
                alt.Tooltip("licensed_active_users:Q", title="Active licensed users", format=","),
                alt.Tooltip("licensed_users:Q", title="Licensed users", format=","),
            ],
        )
        .to_dict()
    )


def chart_candidates(alt: Any, records: list[Record]) -> dict[str, Any]:
    domain = [kind for kind in CANDIDATE_KINDS if any(r["kind"] == kind for r in records)]
    return (
        alt.Chart(alt.Data(values=records), width=860, height=260)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-40)),
            xOffset=alt.XOffset("kind:N", sort=list(CANDIDATE_KINDS)),
            y=alt.Y("users:Q", title="Users"),
            color=_colour(
                alt,
                "kind",
                "Candidates",
                domain,
                _colours(domain, CANDIDATE_KINDS, CANDIDATE_COLOURS),
            ),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("kind:N", title="Candidates"),
                alt.Tooltip("users:Q", title="Users", format=","),
                alt.Tooltip("licensed_users:Q", title="Users holding the licence", format=","),
            ],
        )
        .to_dict()
    )


def chart_storage(alt: Any, records: list[Record]) -> dict[str, Any]:
    domain = _domain(records, "segment", TIERS)
    return (
        alt.Chart(alt.Data(values=records), width=860, height=280)
        .mark_line(point=True)
        .encode(
            x=_month_x(alt),
            y=alt.Y("storage_gib_avg:Q", title="Storage (GiB, average day)"),
            color=_colour(
                alt, "segment", "Account tier", domain, _colours(domain, TIERS, TIER_COLOURS)
            ),
            tooltip=[
                _month_tooltip(alt),
                alt.Tooltip("segment:N", title="Account tier"),
                alt.Tooltip("storage_gib_avg:Q", title="Storage (GiB)", format=",.2f"),
                alt.Tooltip("storage_growth:Q", title="Growth on previous month", format="+.1%"),
                alt.Tooltip("active_sites:Q", title="Active sites", format=","),
            ],
        )
        .to_dict()
    )


def chart_background(alt: Any, records: list[Record]) -> dict[str, Any]:
    order = [r["customer"] for r in records]
    base = alt.Chart(alt.Data(values=records), width=620, height=alt.Step(22))
    y = alt.Y("customer:N", sort=order, title=None)
    bars = base.mark_bar().encode(
        x=alt.X("share:Q", title="Share of all background-job minutes", axis=alt.Axis(format="%")),
        y=y,
        color=alt.Color(
            "heavy:N",
            title=None,
            scale=alt.Scale(domain=list(HEAVY_LABELS), range=list(HEAVY_COLOURS)),
            legend=alt.Legend(orient="bottom", direction="horizontal"),
        ),
        tooltip=[
            alt.Tooltip("customer_id:N", title="Customer"),
            alt.Tooltip("account_tier:N", title="Tier"),
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("share:Q", title="Share of platform minutes", format=".1%"),
            alt.Tooltip("job_minutes_total:Q", title="Job minutes", format=",.0f"),
            alt.Tooltip("peak_minutes_per_site:Q", title="Peak minutes per site", format=",.0f"),
            alt.Tooltip("heavy_months:Q", title="Months flagged heavy"),
            alt.Tooltip("months:Q", title="Months with data"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x="share:Q", y=y, text="label:N"
    )
    return alt.layer(bars, labels).to_dict()


def chart_onboarding(alt: Any, sites: list[Record]) -> dict[str, Any]:
    order = [s["site_id"] for s in sites]
    matrix = [
        {
            "site_id": s["site_id"],
            "signal": label,
            "raised": bool(s[column]),
            "customer_id": s["customer_id"],
            "go_live_date": s["go_live_date"],
        }
        for s in sites
        for column, label in SIGNALS
    ]
    events = [
        {
            "site_id": s["site_id"],
            "customer_id": s["customer_id"],
            "account_tier": s["account_tier"],
            "go_live_date": s["go_live_date"],
            "events_in_window": s["events_in_window"] or 0,
            "active_users_in_window": s["active_users_in_window"],
            "licensed_users_in_window": s["licensed_users_in_window"],
            "activation_rate": _round(s["activation_rate"], 4),
            "storage_gib_peak": _round((s["storage_bytes_peak_in_window"] or 0) / 1024**3, 3),
            "window": "Complete window" if s["is_window_complete"] else "Window still open",
        }
        for s in sites
    ]
    y = alt.Y("site_id:N", sort=order, title="Site")
    signal_labels = [label for _, label in SIGNALS]
    dots = (
        alt.Chart(alt.Data(values=matrix), width=alt.Step(100), height=alt.Step(20))
        .mark_circle(size=160)
        .encode(
            x=alt.X(
                "signal:N",
                sort=signal_labels,
                title=None,
                axis=alt.Axis(labelAngle=0, labelLimit=0, labelExpr="split(datum.label, ', ')"),
            ),
            y=y,
            color=alt.Color(
                "raised:N",
                title="Signal",
                scale=alt.Scale(domain=[True, False], range=["#e45756", "#e4e7eb"]),
                legend=alt.Legend(
                    orient="bottom", labelExpr="datum.value ? 'raised' : 'not raised'"
                ),
            ),
            tooltip=[
                alt.Tooltip("site_id:N", title="Site"),
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip("signal:N", title="Signal"),
                alt.Tooltip("raised:N", title="Raised"),
                alt.Tooltip("go_live_date:N", title="Go-live"),
            ],
        )
    )
    bars = (
        alt.Chart(alt.Data(values=events), width=360, height=alt.Step(20))
        .mark_bar()
        .encode(
            x=alt.X("events_in_window:Q", title="Events in the onboarding window"),
            y=alt.Y("site_id:N", sort=order, title=None, axis=None),
            color=alt.Color(
                "window:N",
                title="Window",
                scale=alt.Scale(
                    domain=["Complete window", "Window still open"], range=["#4c78a8", "#9ecae9"]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("site_id:N", title="Site"),
                alt.Tooltip("customer_id:N", title="Customer"),
                alt.Tooltip("account_tier:N", title="Tier"),
                alt.Tooltip("go_live_date:N", title="Go-live"),
                alt.Tooltip("events_in_window:Q", title="Events", format=","),
                alt.Tooltip("active_users_in_window:Q", title="Active users"),
                alt.Tooltip("licensed_users_in_window:Q", title="Licensed users"),
                alt.Tooltip("activation_rate:Q", title="Activation rate", format=".0%"),
                alt.Tooltip("storage_gib_peak:Q", title="Peak storage (GiB)", format=",.2f"),
            ],
        )
    )
    return (
        alt.hconcat(dots, bars, spacing=16)
        .resolve_scale(color="independent", y="shared")
        .resolve_legend(color="independent")
        .to_dict()
    )


# --------------------------------------------------------------------------- page


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool = False


@dataclass
class Item:
    kind: Literal["chart", "table"]
    id: str
    title: str
    spec: dict[str, Any] | None = None  # a chart's Vega-Lite spec; None: nothing to draw
    how_to_read: str = ""
    definition: str = ""
    empty_message: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    lede: str
    items: list[Item]


@dataclass(frozen=True)
class Kpi:
    key: str
    value: str
    label: str


def _latest(records: list[Record], month: str) -> list[Record]:
    return [r for r in records if r["month_start"] == month]


def build_page(data: ReportData) -> tuple[list[Kpi], list[Section]]:
    alt = _altair()
    months = data.months
    if not months:
        raise ReportError("the segment marts are empty: build the project on some data first")
    latest = months[-1]
    previous = months[-2] if len(months) > 1 else None
    pv = data.project_vars

    tiers = segment_records(data.tiers, TIERS)
    regions = segment_records(data.regions, REGIONS)
    industries = segment_records(data.industries, ())
    licences = licence_records(data.licence_months)
    candidates = candidate_records(data.licence_months)
    background, heavy_count = background_records(data.background)
    flagged = onboarding_flagged(data.onboarding)

    latest_tiers = _latest(tiers, latest)
    active_latest = sum(r["active_users"] or 0 for r in latest_tiers)
    active_previous = (
        sum(r["active_users"] or 0 for r in _latest(tiers, previous)) if previous else 0
    )
    storage_values = [
        r["storage_gib_avg"] for r in latest_tiers if r["storage_gib_avg"] is not None
    ]
    latest_licences = _latest(licences, latest)
    licensed_latest = sum(r["licensed_users"] or 0 for r in latest_licences)
    active_licensed_latest = sum(r["licensed_active_users"] for r in latest_licences)
    growth = _ratio(active_latest - active_previous, active_previous) if previous else None
    growth_note = (
        f" ({growth:+.1%} on {month_label(previous)})" if growth is not None and previous else ""
    )
    kpis = [
        Kpi("customers", _fmt_int(sum(r["customers"] or 0 for r in latest_tiers)),
            f"customers with live sites, {month_label(latest)}"),
        Kpi("active_users", _fmt_int(active_latest),
            f"active users, {month_label(latest)}{growth_note}"),
        Kpi("events", _fmt_int(sum(r["events_total"] or 0 for r in latest_tiers)),
            f"events, {month_label(latest)}"),
        Kpi("licence_utilisation", _fmt_pct(_ratio(active_licensed_latest, licensed_latest)),
            f"licence utilisation, {month_label(latest)}"),
        Kpi("storage_gib", _fmt_num(sum(storage_values) if storage_values else None),
            f"GiB stored on an average day, {month_label(latest)}"),
        Kpi("heavy_background_customers", _fmt_int(heavy_count),
            "heavy background users (at least one month)"),
        Kpi("onboarding_sites_flagged", _fmt_int(len(flagged)),
            f"of {len(data.onboarding):,} onboarding sites raised a signal"),
    ]  # fmt: skip

    heavy_threshold = pv["heavy_background_min_minutes_per_site"]
    window_days = sorted(
        {r["onboarding_window_days"] for r in data.onboarding if r["onboarding_window_days"]}
    )
    window_text = ", ".join(str(d) for d in window_days) or str(pv["onboarding_window_days"])

    engagement = Section(
        "engagement",
        "Engagement by month and segment",
        "Who uses the platform, month by month, split by account tier and by region.",
        [
            Item(
                "chart",
                "chart-active-users",
                "Active users by month",
                spec=_by_segment(alt, tiers, regions, "active_users", "Active users", "line"),
                how_to_read=(
                    "Each line is one segment and its height is how many people used the "
                    "platform that month, so compare slopes: a segment whose line flattens "
                    "while its customers keep adding licences is adopting more slowly."
                ),
                definition=(
                    "Active users: distinct users (customer and e-mail) with at least one event "
                    "of any type in the month; a user active on several sites of a customer "
                    "counts once. Internal accounts are left out. Source: active_users of "
                    "seg_account_tier_months and seg_region_months."
                ),
            ),
            Item(
                "chart",
                "chart-industries",
                "Active users by industry",
                spec=chart_industries(alt, industries),
                how_to_read=(
                    "Each row is an industry, busiest first, and each cell a month: the darker "
                    "the cell, the more active users, so a row that darkens from left to right "
                    "is an industry whose adoption grows, and a pale row is one to prospect."
                ),
                definition=(
                    "Active users as above, counted per industry of the customer; internal "
                    "accounts are left out. Source: active_users of seg_industry_months (the "
                    "tooltip adds licensed users, events and events per active user)."
                ),
            ),
            Item(
                "chart",
                "chart-events",
                "Events by month",
                spec=_by_segment(alt, tiers, regions, "events_total", "Events", "bar"),
                how_to_read=(
                    "Each bar is all the events of a month stacked by segment: the total height "
                    "is the platform's volume and each colour's part of it is that segment's "
                    "weight; the tooltip adds events per active user."
                ),
                definition=(
                    "Events: the sum of event_count over valid activity rows of all four types "
                    "(Access, View, Create, Publish), including activity before registration or "
                    "on a site the user is not assigned to; quarantined rows are not counted. "
                    "Source: events_total of the segment marts."
                ),
            ),
        ],
    )

    top_customers = _candidate_customers(data.licence_latest)
    licensing = Section(
        "licences",
        "Licence utilisation and candidates",
        "Whether paid seats are used, and which users hold the wrong licence.",
        [
            Item(
                "chart",
                "chart-licence-utilisation",
                "Licence utilisation by licence type",
                spec=chart_licence_utilisation(alt, licences),
                how_to_read=(
                    "Each line is the share of the users holding that licence who were active in "
                    "the month: 100% means every seat was used, and a Creator line below the "
                    "Viewer line means the most expensive seats sit idle most."
                ),
                definition=(
                    "Licence utilisation: users holding the licence (registered by month end) "
                    "who had at least one event in the month, divided by all users holding it, "
                    "over all external customers. Source: customer_license_months "
                    "(licence_utilisation * licensed_users, licensed_users)."
                ),
            ),
            Item(
                "chart",
                "chart-licence-candidates",
                "Downgrade and upgrade candidates by month",
                spec=chart_candidates(alt, candidates),
                how_to_read=(
                    "Bars count users in each month: red are Creators who neither created nor "
                    "published (candidates to move down), green are Explorers and Viewers whose "
                    "activity went beyond their licence (candidates to move up); a bar that "
                    "stays high month after month is a pricing conversation, not a blip."
                ),
                definition=(
                    "Downgrade candidate: a licensed Creator with no Create or Publish event in "
                    "the month. Upgrade candidate: a user with events of a type the licence does "
                    "not entitle (Viewers creating or publishing, Explorers publishing; dbt var "
                    "license_entitled_activity_types). Source: customer_license_months "
                    "(downgrade_candidates, upgrade_candidates)."
                ),
            ),
            Item(
                "table",
                "table-licence-candidates",
                f"Customers with the most candidates, {month_label(latest)}",
                columns=[
                    Column("Customer"),
                    Column("Tier"),
                    Column("Region"),
                    Column("Licensed users", True),
                    Column("Utilisation", True),
                    Column("Creators", True),
                    Column("Downgrade candidates", True),
                    Column("Upgrade candidates", True),
                ],
                rows=top_customers,
                empty_message="No customer has a downgrade or upgrade candidate this month.",
                note=f"The top {TOP_CANDIDATE_CUSTOMERS} customers by candidates in the latest "
                "month of the data; utilisation is over all their licences.",
            ),
        ],
    )

    storage = Section(
        "storage",
        "Storage growth by account tier",
        "How much content each tier keeps on the platform, and how fast it grows.",
        [
            Item(
                "chart",
                "chart-storage",
                "Storage by account tier",
                spec=chart_storage(alt, tiers),
                how_to_read=(
                    "Each line is the storage the tier's sites held on an average day of the "
                    "month: the slope is growth (the tooltip gives it against the previous "
                    "month) and a dip is a clean-up."
                ),
                definition=(
                    "Storage (GiB): for each site, the mean of the month's daily storage "
                    "snapshots in bytes / 1024³, summed over the tier's sites; a month without "
                    "any snapshot has no value rather than zero. Source: "
                    "seg_account_tier_months.storage_gib_avg."
                ),
            )
        ],
    )

    shown = _background_shown(background)
    heavy_rows = [r for r in background if r["heavy"] == HEAVY_LABELS[0]]
    heavy_rows.sort(key=lambda r: (-r["heavy_months"], -(r["share"] or 0), r["customer_id"]))
    background_section = Section(
        "background-jobs",
        "Customers most reliant on background processing",
        "Extracts, subscriptions, flows, alerts and bridge runs: who drives the platform's "
        "background load.",
        [
            Item(
                "chart",
                "chart-background",
                "Share of all background-job minutes, by customer",
                spec=chart_background(alt, shown) if shown else None,
                empty_message="No customer ran a background job.",
                how_to_read=(
                    "Each bar is one customer's share of all background-job minutes run on the "
                    "platform over the whole period, largest first; orange bars are customers "
                    "flagged as heavy background users in at least one month, and the label "
                    "says in how many."
                ),
                definition=(
                    "Heavy background user (is_heavy_background_user): a customer-month whose "
                    "job minutes per live site reach heavy_background_min_minutes_per_site "
                    f"({heavy_threshold:,}). Share: the customer's job minutes over the period / "
                    "all customers' minutes (internal accounts count in the total but are not "
                    "shown). Source: customer_background_job_months."
                ),
            ),
            Item(
                "table",
                "table-heavy-background",
                "Heavy background users",
                columns=[
                    Column("Customer"),
                    Column("Tier"),
                    Column("Region"),
                    Column("Industry"),
                    Column("Months heavy", True),
                    Column("Last heavy month"),
                    Column("Share of minutes", True),
                    Column("Peak minutes per site", True),
                ],
                rows=[
                    [
                        r["customer_id"],
                        r["account_tier"] or "",
                        r["region"] or "",
                        r["industry"] or "",
                        f"{r['heavy_months']} of {r['months']}",
                        month_label(r["last_heavy_month"]) if r["last_heavy_month"] else "",
                        _fmt_pct(r["share"]),
                        _fmt_int(r["peak_minutes_per_site"]),
                    ]
                    for r in heavy_rows[:MAX_TABLE_ROWS]
                ],
                empty_message="No customer was a heavy background user in any month.",
                note=_cap_note(len(heavy_rows), "heavy background user", "heavy background users"),
            ),
        ],
    )

    shown_sites = flagged[:MAX_ONBOARDING_ROWS]
    onboarding = Section(
        "onboarding",
        "Sites with onboarding signals",
        f"Sites that went live inside the data, watched over their first {window_text} days.",
        [
            Item(
                "chart",
                "chart-onboarding",
                "Onboarding signals by site",
                spec=chart_onboarding(alt, shown_sites) if shown_sites else None,
                empty_message="No onboarding site raised a signal.",
                how_to_read=(
                    "Each row is a site that raised at least one signal in its onboarding "
                    "window, most signals first: a red dot marks each signal raised, and the "
                    "bar on the right is the site's events in the window (light blue while the "
                    "window is still open)."
                ),
                definition=(
                    "High activity, no storage: at least "
                    f"{pv['signal_high_activity_min_events']:,} events in the window while peak "
                    f"storage stays at or below {pv['signal_no_storage_max_bytes']:,} bytes. "
                    f"Stalled: a complete window with no events in its last "
                    f"{pv['signal_stalled_tail_days']} days. Slow ramp: a complete window, not "
                    "stalled, whose activation rate (users active in the window / users "
                    "licensed by its end) is below "
                    f"{pv['signal_slow_ramp_max_activation_rate']:.0%}. No content created: "
                    "events but not one Create or Publish. Source: onboarding_site_signals."
                ),
            ),
            Item(
                "table",
                "table-onboarding",
                "Sites with onboarding signals",
                columns=[
                    Column("Site"),
                    Column("Customer"),
                    Column("Tier"),
                    Column("Go-live"),
                    Column("Signals"),
                    Column("Events", True),
                    Column("Active / licensed users", True),
                    Column("Peak storage (GiB)", True),
                ],
                rows=[
                    [
                        s["site_id"],
                        s["customer_id"],
                        s["account_tier"] or "",
                        s["go_live_date"],
                        ", ".join(s["signals"]),
                        _fmt_int(s["events_in_window"]),
                        f"{_fmt_int(s['active_users_in_window'])} / "
                        f"{_fmt_int(s['licensed_users_in_window'])}",
                        _fmt_num((s["storage_bytes_peak_in_window"] or 0) / 1024**3, 2),
                    ]
                    for s in flagged[:MAX_TABLE_ROWS]
                ],
                empty_message="No onboarding site raised a signal.",
                note=_cap_note(len(flagged), "site with a signal", "sites with a signal")
                + (
                    f" The chart shows the first {MAX_ONBOARDING_ROWS}."
                    if len(flagged) > MAX_ONBOARDING_ROWS
                    else ""
                ),
            ),
        ],
    )
    return kpis, [engagement, licensing, storage, background_section, onboarding]


def _cap_note(total: int, singular: str, plural: str) -> str:
    what = singular if total == 1 else plural
    if total > MAX_TABLE_ROWS:
        return f"{total:,} {what}; the table lists the first {MAX_TABLE_ROWS}."
    return f"{total:,} {what}."


def _background_shown(records: list[Record]) -> list[Record]:
    """The heavy customers (largest share first), topped up with the largest others,
    MAX_BACKGROUND_BARS bars in all; the table below the chart lists every heavy one."""
    records = [r for r in records if (r["share"] or 0) > 0]
    heavy = [r for r in records if r["heavy"] == HEAVY_LABELS[0]]
    others = [r for r in records if r["heavy"] != HEAVY_LABELS[0]]
    keep = {r["customer_id"] for r in heavy[:MAX_BACKGROUND_BARS]}
    keep |= {r["customer_id"] for r in others[: max(0, MAX_BACKGROUND_BARS - len(keep))]}
    return [r for r in records if r["customer_id"] in keep]


def _candidate_customers(rows: list[Record]) -> list[list[str]]:
    by_customer: dict[str, Record] = {}
    for row in rows:
        entry = by_customer.setdefault(
            row["customer_id"],
            {
                "tier": row["account_tier"] or "",
                "region": row["region"] or "",
                "licensed": 0,
                "active": 0,
                "creators": 0,
                "down": 0,
                "up": 0,
            },
        )
        entry["licensed"] += row["licensed_users"] or 0
        entry["active"] += row["active_users"] or 0
        entry["down"] += row["downgrade_candidates"] or 0
        entry["up"] += row["upgrade_candidates"] or 0
        if row["license_type"] == "Creator":
            entry["creators"] += row["licensed_users"] or 0
    ranked = sorted(
        ((cid, e) for cid, e in by_customer.items() if e["down"] + e["up"] > 0),
        key=lambda item: (-(item[1]["down"] + item[1]["up"]), item[0]),
    )
    return [
        [
            cid,
            e["tier"],
            e["region"],
            _fmt_int(e["licensed"]),
            _fmt_pct(_ratio(min(e["active"], e["licensed"]), e["licensed"])),
            _fmt_int(e["creators"]),
            _fmt_int(e["down"]),
            _fmt_int(e["up"]),
        ]
        for cid, e in ranked[:TOP_CANDIDATE_CUSTOMERS]
    ]


def script_safe_json(value: object) -> str:
    """JSON that can sit inside a <script> element: sorted, compact, ASCII, no '<'."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.cache
def javascript_bundle() -> tuple[str, dict[str, str]]:
    """The vega-embed + Vega-Lite + Vega bundle vl-convert ships, and its versions
    (built once per process: it takes a few seconds)."""
    import altair as alt
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    # vl_convert's type stub marks `snippet` required; at run time it is optional.
    bundle = vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())  # type: ignore[call-arg]
    if re.search(r"</script|<!--", bundle, flags=re.IGNORECASE):
        raise ReportError("the Vega bundle cannot be inlined safely in a <script> element")
    versions = {
        "altair": alt.__version__,
        "vega_lite": alt.SCHEMA_VERSION.lstrip("v"),
        "vega": vlc.get_vega_version(),
        "vega_embed": vlc.get_vega_embed_version(),
    }
    return bundle, versions


def render_html(kpis: list[Kpi], sections: list[Section], target: Target, months: list[str]) -> str:
    import jinja2
    from markupsafe import Markup

    bundle, versions = javascript_bundle()
    specs: dict[str, Any] = {}
    for section in sections:
        for item in section.items:
            if item.kind == "chart" and item.spec is not None:
                specs[item.id] = item.spec
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    period = f"{month_label(months[0])} to {month_label(months[-1])}"
    page = environment.get_template(TEMPLATE_NAME).render(
        title="SaaS usage report",
        subtitle=(
            f"Data from {period}, read from the dbt marts of target “{target.name}” "
            f"({target.adapter_type}). Internal (test) accounts are left out."
        ),
        kpis=kpis,
        sections=sections,
        specs_json=Markup(script_safe_json(specs)),
        javascript_bundle=Markup(bundle),
        versions=versions,
        footer=(
            "Built by the report package (python -m report) from the marts "
            + ", ".join(MARTS_READ)
            + ". Re-run `python -m report` after `dbt build` to refresh it."
        ),
    )
    return page


def build_report(
    *,
    project_dir: Path,
    out: Path,
    target_name: str | None = None,
    profiles_dir: Path | None = None,
    engine: Literal["auto", "duckdb", "dbt"] = "auto",
    schema: str | None = None,
) -> Path:
    target = resolve_target(project_dir, profiles_dir, target_name)
    variables = project_vars(read_project_config(project_dir))
    with open_warehouse(target, project_dir, engine, schema) as warehouse:
        data = load_data(warehouse, variables)
    kpis, sections = build_page(data)
    page = render_html(kpis, sections, target, data.months)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(page.encode("utf-8"))
    return out


# --------------------------------------------------------------------------- CLI


@dataclass(frozen=True)
class Options:
    project_dir: Path
    out: Path
    target: str | None
    profiles_dir: Path | None
    engine: Literal["auto", "duckdb", "dbt"]
    schema: str | None


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="report.py",
        description=(
            "Write the visual usage report: one self-contained HTML file (Altair/Vega-Lite "
            "charts, JavaScript inlined, no network needed to view it) built from the dbt "
            "marts of the warehouse the dbt profile points at."
        ),
        epilog="Exit codes: 0 written, 1 warehouse not readable, 2 bad options or profile.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"HTML file to write (default: <project-dir>/{DEFAULT_OUT})",
    )
    parser.add_argument(
        "--target",
        default=None,
        help="dbt profile target to read, e.g. dev or bigquery (default: the profile's, "
        "i.e. $DBT_TARGET or dev)",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=REPO_ROOT,
        help="dbt project folder (default: this repository)",
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        default=None,
        help="folder holding profiles.yml (default: $DBT_PROFILES_DIR, the project, ~/.dbt; "
        "profiles.example.yml when there is none)",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "duckdb", "dbt"),
        default="auto",
        help="how to query: duckdb reads the DuckDB file directly (read-only); dbt runs the "
        "queries through dbt's adapter (dbt show), for any target. auto: duckdb for a DuckDB "
        "target, dbt otherwise",
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="schema of the marts in the DuckDB file (default: the target's schema)",
    )
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    out = args.out if args.out is not None else project_dir / DEFAULT_OUT
    return Options(
        project_dir=project_dir,
        out=out.resolve(),
        target=args.target,
        profiles_dir=args.profiles_dir.resolve() if args.profiles_dir else None,
        engine=args.engine,
        schema=args.schema,
    )


def main(argv: Sequence[str] | None = None, *, log: Callable[[str], object] = print) -> int:
    options = parse_args(argv)
    try:
        written = build_report(
            project_dir=options.project_dir,
            out=options.out,
            target_name=options.target,
            profiles_dir=options.profiles_dir,
            engine=options.engine,
            schema=options.schema,
        )
    except ReportError as error:
        print(f"report.py: {error}", file=sys.stderr)
        return error.exit_code
    log(f"wrote {written} ({written.stat().st_size / 1024**2:.1f} MiB)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
