"""``python -m report``: write the usage report from the built project.

    python -m report                          # DuckDB (saas.duckdb or $DBT_DUCKDB_PATH)
    python -m report --out /tmp/report.html
    python -m report --target bq_prod         # any target of the dbt profile
    python -m report --vars '{heavy_background_min_minutes_per_site: 1000}'

Give the report the ``--vars`` the build had: it quotes the thresholds of the
project and stops when the marts were cut at others.

Exit codes: 0 report written; 1 the warehouse or the project's artifacts could
not be read (not built, missing mart, query error, marts built with other
vars); 2 bad options, profile or project configuration.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from report import sections, watchlists
from report.data import ReportData, load_data
from report.errors import EXIT_OK, ReportError
from report.page import Kpi, Section, kpis
from report.project import project_vars, resolve_target
from report.records import onboarding_flagged
from report.render import render_html
from report.semantic import SemanticLayer
from report.warehouse import Engine, open_warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path("target") / "usage_report.html"


@dataclass(frozen=True)
class Options:
    project_dir: Path
    out: Path
    target: str | None = None
    profiles_dir: Path | None = None
    engine: Engine = "auto"
    schema: str | None = None
    cli_vars: str | None = None


def build_page(data: ReportData) -> tuple[list[Kpi], list[Section]]:
    flagged = onboarding_flagged(data.onboarding)
    return kpis(data, len(flagged)), [
        sections.engagement(data),
        sections.licences(data),
        sections.storage(data),
        watchlists.background(data),
        watchlists.onboarding(data, flagged),
    ]


def build_report(options: Options) -> Path:
    """Read the warehouse of the profile's target and write the page; the written path."""
    target = resolve_target(options.project_dir, options.profiles_dir, options.target)
    variables = project_vars(options.project_dir, options.cli_vars)
    with open_warehouse(
        target, options.project_dir, options.engine, options.schema, options.cli_vars
    ) as warehouse:
        semantic = SemanticLayer(warehouse.semantic_manifest(), target.adapter_type)
        data = load_data(warehouse, semantic, variables)
    page = render_html(*build_page(data), target, data.months, data.marts)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_bytes(page.encode("utf-8"))
    return options.out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m report",
        description=(
            "Write the visual usage report: one self-contained HTML file (Altair/Vega-Lite "
            "charts, JavaScript inlined, no network needed to view it) built from the dbt "
            "marts and semantic layer of the warehouse the dbt profile points at."
        ),
        epilog="Exit codes: 0 written, 1 warehouse or artifacts not readable, "
        "2 bad options, profile or project.",
    )
    parser.add_argument(
        "--out", type=Path, help=f"HTML file to write (default: <project-dir>/{DEFAULT_OUT})"
    )
    parser.add_argument(
        "--target",
        help="dbt profile target to read, e.g. dev or bq_prod (default: the profile's, "
        "i.e. $DBT_TARGET or dev)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=REPO_ROOT, help="dbt project folder (default: here)"
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
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
        "--schema", help="schema of the marts in the DuckDB file (default: the target's schema)"
    )
    parser.add_argument(
        "--vars",
        dest="cli_vars",
        help="dbt vars as a YAML mapping, as given to dbt build (default: dbt_project.yml's)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> Options:
    args = _parser().parse_args(argv)
    project_dir = args.project_dir.resolve()
    out = args.out if args.out is not None else project_dir / DEFAULT_OUT
    return Options(
        project_dir=project_dir,
        out=out.resolve(),
        target=args.target,
        profiles_dir=args.profiles_dir.resolve() if args.profiles_dir else None,
        engine=args.engine,
        schema=args.schema,
        cli_vars=args.cli_vars,
    )


def main(argv: Sequence[str] | None = None, *, log: Callable[[str], object] = print) -> int:
    options = parse_args(argv)
    try:
        written = build_report(options)
    except ReportError as error:
        print(f"python -m report: {error}", file=sys.stderr)
        return error.exit_code
    log(f"wrote {written} ({written.stat().st_size / 1024**2:.1f} MiB)")
    return EXIT_OK
