"""The visual usage report (`python -m report`), end to end on `small` data.

Builds the real project once (generate, `dbt seed`, `dbt build`), runs the
report command, opens the HTML in headless Chromium (the machine's, found by
tests/browser.py, driven by Playwright; Playwright's own browser is never
downloaded) with every non-file request blocked, and checks that each chart
drew (SVG marks in the DOM, a non-blank screenshot), that the page logged no
error or warning and asked for nothing over the network, and that the numbers
it shows are the marts' numbers, recomputed here in SQL on the marts. It also
checks that reading the warehouse through dbt's adapter (`--engine dbt`, the
BigQuery path) gives the very same bytes.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from orchestration.dbt_runner import REPO_ROOT, DbtProject
from report import cli
from report.charts import RAISED_COLOURS
from report.queries import SIGNALS, marts_read, report_queries
from report.semantic import SemanticLayer
from tests.browser import headless_chromium

pytestmark = [pytest.mark.docs, pytest.mark.dbt, pytest.mark.slow]

CHARTS = (
    "chart-active-users",
    "chart-industries",
    "chart-events",
    "chart-licence-utilisation",
    "chart-licence-candidates",
    "chart-storage",
    "chart-background",
    "chart-onboarding",
)
RAISED_COLOUR = RAISED_COLOURS[0]  # a raised onboarding signal's dot
SIGNAL_COLUMNS = [column for column, _ in SIGNALS]


@dataclass
class Rendered:
    """What headless Chromium saw when it opened the report."""

    url: str
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    charts_rendered: str | None = None
    charts_failed: str | None = None
    chart_marks: dict[str, int] = field(default_factory=dict)
    chart_state: dict[str, str | None] = field(default_factory=dict)
    chart_text: dict[str, str] = field(default_factory=dict)
    raised_signal_dots: int = 0
    background_bars: int = 0
    onboarding_bars: int = 0
    kpis: dict[str, str] = field(default_factory=dict)
    table_rows: dict[str, int] = field(default_factory=dict)
    captions: list[tuple[str, str]] = field(default_factory=list)
    screenshots: dict[str, bytes] = field(default_factory=dict)
    page_screenshot: bytes = b""


@pytest.fixture(scope="session")
def project(small_built: DbtProject) -> DbtProject:
    return small_built


def run_report(project: DbtProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "report", "--project-dir", str(project.root), *args],
        env={**os.environ, **project.env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def report_html(project: DbtProject) -> Path:
    result = run_report(project)  # the default --out
    assert result.returncode == 0, result.stderr
    out = project.root / "target" / "usage_report.html"
    assert out.is_file(), result.stdout
    return out


@pytest.fixture(scope="session")
def rendered(report_html: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    from playwright.sync_api import Route

    seen = Rendered(url=report_html.as_uri())

    def only_the_file(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    with headless_chromium() as browser:
        # A zone far from UTC: month labels must not slip to the previous month.
        context = browser.new_context(
            viewport={"width": 1200, "height": 900}, timezone_id="America/Los_Angeles"
        )
        context.route("**/*", only_the_file)
        context.on("request", lambda request: seen.requests.append(request.url))
        page = context.new_page()
        page.on("console", lambda message: seen.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: seen.console.append(("pageerror", str(error))))
        page.goto(seen.url)
        page.wait_for_selector("body[data-charts-rendered]", state="attached", timeout=30_000)
        seen.charts_rendered = page.get_attribute("body", "data-charts-rendered")
        seen.charts_failed = page.get_attribute("body", "data-charts-failed")
        for chart in CHARTS:
            selector = f"#{chart}"
            seen.chart_state[chart] = page.get_attribute(selector, "data-rendered")
            seen.chart_marks[chart] = page.locator(f"{selector} svg g.role-mark > *").count()
            seen.chart_text[chart] = page.locator(f"{selector} svg").first.text_content() or ""
            seen.screenshots[chart] = page.locator(selector).screenshot()
        seen.raised_signal_dots = page.locator(
            f'#chart-onboarding svg g.mark-symbol.role-mark > path[fill="{RAISED_COLOUR}"]'
        ).count()
        seen.background_bars = page.locator(
            "#chart-background svg g.mark-rect.role-mark > path"
        ).count()
        seen.onboarding_bars = page.locator(
            "#chart-onboarding svg g.mark-rect.role-mark > path"
        ).count()
        seen.kpis = page.eval_on_selector_all(
            "[data-kpi]",
            "els => Object.fromEntries(els.map(e => [e.dataset.kpi, e.textContent.trim()]))",
        )
        seen.table_rows = page.eval_on_selector_all(
            "table[id]",
            "els => Object.fromEntries(els.map(e => [e.id, e.tBodies[0].rows.length]))",
        )
        seen.captions = [
            (
                figure.locator("p.how").inner_text(),
                figure.locator("p.definition").inner_text(),
            )
            for figure in page.locator("figure").all()
        ]
        seen.page_screenshot = page.screenshot(full_page=True)
        shots = tmp_path_factory.mktemp("report_screenshots")
        (shots / "usage_report.png").write_bytes(seen.page_screenshot)
    yield seen


def grey_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("L"), dtype=float)


# --------------------------------------------------------------------------- CLI


def test_help_documents_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "report", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for option in ("--out", "--target", "--engine", "--profiles-dir", "--project-dir", "--vars"):
        assert option in result.stdout


def in_env_of(project: DbtProject, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)


FailedReport = Callable[..., tuple[int, str]]


@pytest.fixture
def failed_report(
    project: DbtProject,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> FailedReport:
    """Runs the report in-process in the built project's environment (another
    `project_dir` if given); returns its exit status and its one-line error,
    having checked that it wrote nothing."""
    in_env_of(project, monkeypatch)
    out = tmp_path / "x"

    def run(*args: str, project_dir: Path = project.root) -> tuple[int, str]:
        status = cli.main(["--project-dir", str(project_dir), "--out", str(out), *args])
        error = capsys.readouterr().err
        assert error.startswith("python -m report: ") and error.count("\n") == 1, error
        assert not out.exists()
        return status, error

    return run


def test_bad_vars_are_a_usage_error(failed_report: FailedReport) -> None:
    status, error = failed_report("--vars", "{a: [1,")
    assert status == 2 and "--vars" in error


def test_missing_warehouse_is_a_clear_error(
    failed_report: FailedReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(tmp_path / "not_built.duckdb"))
    status, error = failed_report()
    assert status == 1 and "dbt seed && dbt build" in error


def test_missing_semantic_layer_is_a_clear_error(
    failed_report: FailedReport, project: DbtProject, tmp_path: Path
) -> None:
    """The marts are there, dbt's artifacts are not (never parsed, or cleaned)."""
    unparsed = tmp_path / "project"
    shutil.copytree(project.root, unparsed, ignore=shutil.ignore_patterns("target", "*.duckdb"))
    status, error = failed_report(project_dir=unparsed)
    assert status == 1
    assert "semantic_manifest.json: run `dbt parse` or `dbt build` first" in error


def test_a_dbt_exposure_declares_the_models_the_report_reads(
    project: DbtProject, report_html: Path
) -> None:
    """The report is a dbt exposure, and its depends_on is exactly what it reads:
    the marts of its own queries and those MetricFlow's SQL joins for its metrics."""
    import yaml

    semantic = SemanticLayer(project.root / "target" / "semantic_manifest.json", "duckdb")
    read = marts_read(report_queries(semantic))
    assert {"fct_site_months", "onboarding_site_signals"} <= set(read)

    declared = [
        exposure
        for path in sorted((REPO_ROOT / "models").rglob("*.yml"))
        for exposure in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(
            "exposures", []
        )
        if "python -m report" in exposure.get("description", "")
    ]
    assert len(declared) == 1, [exposure["name"] for exposure in declared]
    refs = {re.fullmatch(r"ref\('(\w+)'\)", ref)[1] for ref in declared[0]["depends_on"]}
    assert refs == set(read)
    assert ", ".join(read) in report_html.read_text(encoding="utf-8")  # the page's footer


# --------------------------------------------------------------------------- the file


class _Resources(HTMLParser):
    """Every attribute of the page's own elements that could load something
    (script content is data to this parser, so the inlined library's strings
    are not mistaken for elements)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loads: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "poster", "action"} and not (
                name == "href" and (value or "").startswith("#")
            ):
                self.loads.append((tag, name, value or ""))


def test_the_file_is_self_contained(report_html: Path) -> None:
    page = report_html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    resources = _Resources()
    resources.feed(page)
    assert resources.loads == []  # only in-page anchors
    assert "link" not in resources.tags and "iframe" not in resources.tags
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.DOTALL)
    assert styles and not any(re.search(r"@import|url\(", css) for css in styles)
    assert "vegaEmbed" in page  # the library is inlined


def test_same_data_gives_the_same_bytes_through_either_engine(
    project: DbtProject,
    report_html: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reproducible (another process, the same bytes), and the dbt-adapter path
    (the one BigQuery takes) reads the marts to the same page as the direct
    DuckDB read."""
    in_env_of(project, monkeypatch)
    run_results = project.root / "target" / "run_results.json"
    before = run_results.read_bytes()
    through_dbt = cli.build_report(
        cli.Options(project_dir=project.root, out=tmp_path / "dbt.html", engine="dbt")
    )
    assert through_dbt.read_bytes() == report_html.read_bytes()
    # dbt's artifacts went to their own folder, not over the build's
    assert (project.root / "target" / "usage_report_dbt" / "manifest.json").is_file()
    assert run_results.read_bytes() == before  # `dbt retry` still sees the last real run


# --------------------------------------------------------------------------- in Chromium


def test_every_chart_drew(rendered: Rendered) -> None:
    assert rendered.charts_failed == "0", rendered.console
    assert rendered.charts_rendered == str(len(CHARTS))
    for chart in CHARTS:
        assert rendered.chart_state[chart] == "true", chart
        assert rendered.chart_marks[chart] > 0, f"{chart} has no marks"


def test_every_chart_is_visible(rendered: Rendered) -> None:
    for chart, png in rendered.screenshots.items():
        pixels = grey_pixels(png)
        assert pixels.shape[0] > 100 and pixels.shape[1] > 300, chart
        assert pixels.std() > 8, f"{chart}: screenshot is blank (std {pixels.std():.1f})"
        assert (pixels < 200).mean() > 0.01, f"{chart}: almost nothing drawn"
    page = grey_pixels(rendered.page_screenshot)
    assert page.std() > 8


def test_no_console_errors_and_no_network(rendered: Rendered) -> None:
    problems = [(kind, text) for kind, text in rendered.console if kind != "log"]
    assert problems == []
    assert rendered.requests == [rendered.url]


def test_each_chart_says_how_to_read_it_and_defines_its_metric(rendered: Rendered) -> None:
    assert len(rendered.captions) == len(CHARTS)
    for how, definition in rendered.captions:
        assert how.startswith("How to read it.") and len(how) > 60
        assert definition.startswith("Definition.") and len(definition) > 60


def test_month_axes_read_in_utc(rendered: Rendered, project: DbtProject) -> None:
    first = project.query("select min(month_start) as m from main.seg_account_tier_months")
    label = first["m"].iloc[0].strftime("%b %Y")  # e.g. "Jan 2024", even in Los Angeles
    assert label in rendered.chart_text["chart-active-users"]
    assert label in rendered.chart_text["chart-storage"]


def test_headline_numbers_match_the_marts(rendered: Rendered, project: DbtProject) -> None:
    latest = project.query(
        """
        select sum(active_users) as active_users, sum(events_total) as events_total,
               sum(customers) as customers
        from main.seg_account_tier_months
        where month_start = (select max(month_start) from main.seg_account_tier_months)
        """
    ).iloc[0]
    assert rendered.kpis["active_users"] == f"{int(latest['active_users']):,}"
    assert rendered.kpis["events"] == f"{int(latest['events_total']):,}"
    assert rendered.kpis["customers"] == f"{int(latest['customers']):,}"


def test_utilisation_and_storage_match_the_fact_tables(
    rendered: Rendered, project: DbtProject
) -> None:
    """Recomputed from the fact tables: distinct users of external customers active
    in the latest month over those licensed by its end, and their sites' storage."""
    users = project.query(
        """
        select
            count(distinct case when users.is_active then users.user_key end)
            / count(distinct case when users.is_licensed then users.user_key end) as utilisation
        from main.fct_user_months as users
        inner join main.dim_customers as customers using (customer_id)
        where not customers.is_internal
            and users.month_start = (select max(month_start) from main.fct_user_months)
        """
    )["utilisation"].iloc[0]
    storage = project.query(
        """
        select sum(sites.storage_gib_avg) as gib
        from main.fct_site_months as sites
        inner join main.dim_customers as customers using (customer_id)
        where not customers.is_internal
            and sites.month_start = (select max(month_start) from main.fct_site_months)
        """
    )["gib"].iloc[0]
    assert rendered.kpis["licence_utilisation"] == f"{users:.1%}"
    assert rendered.kpis["storage_gib"] == f"{storage:,.1f}"


def test_heavy_background_customers_match_the_mart(rendered: Rendered, project: DbtProject) -> None:
    heavy = project.query(
        """
        select count(distinct customer_id) as n
        from main.customer_background_job_months
        where is_heavy_background_user and not is_internal
        """
    )["n"].iloc[0]
    assert heavy > 0, "small data plants a heavy background user"
    assert rendered.kpis["heavy_background_customers"] == str(heavy)
    assert rendered.table_rows["table-heavy-background"] == heavy
    customers = project.query(
        """
        select count(distinct customer_id) as n from main.customer_background_job_months
        where not is_internal and job_minutes_total > 0
        """
    )["n"].iloc[0]
    assert rendered.background_bars == min(customers, 25)


def test_onboarding_signals_match_the_mart(rendered: Rendered, project: DbtProject) -> None:
    sites = project.query(
        """
        select signals.*
        from main.onboarding_site_signals as signals
        inner join main.dim_customers as customers using (customer_id)
        where not customers.is_internal
        """
    )
    flags = sites[list(SIGNAL_COLUMNS)].astype(bool)
    flagged = int(flags.any(axis=1).sum())
    assert flagged > 0, "small data plants onboarding signals"
    assert rendered.kpis["onboarding_sites_flagged"] == str(flagged)
    assert rendered.table_rows["table-onboarding"] == flagged
    assert rendered.onboarding_bars == flagged  # one bar per flagged site
    assert rendered.raised_signal_dots == int(flags[flags.any(axis=1)].to_numpy().sum())


def test_industry_heatmap_has_a_cell_per_mart_row(rendered: Rendered, project: DbtProject) -> None:
    rows = project.query("select count(*) as n from main.seg_industry_months")["n"].iloc[0]
    assert rendered.chart_marks["chart-industries"] == rows
