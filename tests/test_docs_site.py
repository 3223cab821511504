"""The dbt docs site, opened in headless Chromium and checked from the rendered
page (never from manifest.json / catalog.json): the project overview, the
fct_site_months page with its column descriptions, the lineage graph, and the
semantic layer's and exposures' pages.

The site of a `small` build is generated with `dbt docs generate --static`,
served over loopback by `dbt docs serve` (the documented way to browse it),
and the single-file static site is opened from disk as well. The browser is
the machine's Chromium (tests/browser.py: skipped, in one line, where there
is none). Screenshots of every page checked land in the session's temporary
folder (printed on failure).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestration.dbt_runner import REPO_ROOT, DbtProject, dbt_executable
from tests.browser import headless_chromium

pytestmark = [pytest.mark.docs, pytest.mark.dbt, pytest.mark.slow]

FCT = "model.saas_usage.fct_site_months"


def declared_columns(model_name: str) -> list[str]:
    """The columns a model's YAML (wherever under models/) declares."""
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            if model["name"] == model_name:
                return [column["name"] for column in model.get("columns") or []]
    raise LookupError(f"no YAML declares {model_name}")


# The public contract of fct_site_months, as its YAML declares it: each column
# must be on the rendered page with a description.
FCT_CONTRACT_COLUMNS = declared_columns("fct_site_months")
# A phrase of the doc block each of these columns must show.
FCT_COLUMN_PHRASES = {
    "month_start": "First day of the calendar month",
    "licensed_users": "registered on or before the month's last day",
    "active_users": "at least one event",
    "events_total": "Sum of `event_count`",
    "events_after_onboarding": "at least\n`onboarding_days`",
    "storage_gib_avg": "1024^3",
}
# Graph nodes around fct_site_months: itself, downstream marts, an exposure
# (by label) and a metric (by label); its parents come from the manifest.
GRAPH_NODES = [
    "fct_site_months",
    "seg_account_tier_months",
    "customer_background_job_months",
    "Executive usage report",
    "Events",
]


@pytest.fixture(scope="module")
def docs_project(small_built: DbtProject) -> DbtProject:
    project = small_built
    project.dbt("docs", "generate", "--static")
    return project


@pytest.fixture(scope="module")
def served_url(docs_project: DbtProject) -> Iterator[str]:
    """`dbt docs serve` on a free loopback port; stopped after the module."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            dbt_executable(),
            "docs",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-browser",
        ],
        cwd=docs_project.root,
        env={**os.environ, **docs_project.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "catalog.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dbt docs serve did not come up on {url}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs_screenshots")


def _open(page: Any, url: str, route: str, wait_for_text: str) -> str:
    """Go to a docs route; wait until its main pane shows `wait_for_text`."""
    page.goto(url + "#!/" + route)
    page.wait_for_function(
        """(text) => {
            const pane = document.querySelector('.app-content');
            return pane !== null && pane.innerText.includes(text);
        }""",
        arg=wait_for_text,
    )
    return page.locator(".app-content").first.inner_text()


def _column_rows(page: Any) -> dict[str, dict[str, str]]:
    """The rendered columns table of a model page: name -> type, description."""
    return page.evaluate(
        """() => Object.fromEntries(
            [...document.querySelectorAll('tr.column-row')].map(row => {
                const cells = row.querySelectorAll('td');
                return [cells[0].innerText.trim(),
                        {type: cells[1].innerText.trim(), description: cells[2].innerText.trim()}];
            }))"""
    )


def _check_overview(page: Any, url: str, shot: Path) -> None:
    main = _open(page, url, "overview", "How to run it")
    page.screenshot(path=str(shot))
    for text in (
        "SaaS usage analytics",
        "Lineage, in words",
        "The marts and their grain",
        "Metric definitions",
        "Semantic layer",
        "How to run it",
        "dbt docs serve",
    ):
        assert text in main, f"overview lacks {text!r} ({shot})"
    # the marts table links to the model pages
    assert page.locator(f'.app-content a[href="#!/model/{FCT}"]').count() >= 1, shot


def _check_fct_site_months(page: Any, url: str, shot: Path) -> None:
    main = _open(page, url, f"model/{FCT}", "storage_gib_avg")
    page.screenshot(path=str(shot), full_page=True)
    assert page.locator(".app-title").first.inner_text().startswith("fct_site_months"), shot
    assert "The site-month fact table" in main, shot
    rows = _column_rows(page)
    missing = [column for column in FCT_CONTRACT_COLUMNS if column not in rows]
    assert not missing, f"columns not on the page: {missing} ({shot})"
    undocumented = [name for name, row in rows.items() if not row["description"]]
    assert not undocumented, f"columns without a description: {undocumented} ({shot})"
    for column, phrase in FCT_COLUMN_PHRASES.items():
        shown = " ".join(rows[column]["description"].split())
        assert " ".join(phrase.split()) in shown, f"{column}: {shown!r} ({shot})"
    # types come from the catalog of the built DuckDB tables
    assert rows["month_start"]["type"] == "DATE", rows["month_start"]
    assert rows["is_internal"]["type"] == "BOOLEAN", rows["is_internal"]


def test_overview_page(page: Any, served_url: str, screenshots: Path) -> None:
    _check_overview(page, served_url, screenshots / "served_overview.png")


def test_fct_site_months_page_and_column_descriptions(
    page: Any, served_url: str, screenshots: Path
) -> None:
    _check_fct_site_months(page, served_url, screenshots / "served_fct_site_months.png")


def test_lineage_graph_renders_nodes(
    page: Any, served_url: str, docs_project: DbtProject, screenshots: Path
) -> None:
    shot = screenshots / "served_lineage_graph.png"
    nodes = json.loads((docs_project.root / "target" / "manifest.json").read_text())["nodes"]
    parents = [nodes[p]["name"] for p in nodes[FCT]["depends_on"]["nodes"] if p in nodes]
    expected = [*parents, *GRAPH_NODES]
    _open(page, served_url, f"model/{FCT}", "storage_gib_avg")
    page.click('a[title="View Lineage Graph"]')
    page.click('a[title="View Fullscreen"][ng-click="showExpanded()"]')
    canvas = 'canvas[data-id="layer2-node"]'
    page.wait_for_selector(canvas)
    # The graph is drawn by cytoscape on a canvas: read the rendered graph's
    # visible nodes (label and on-screen position) and the painted pixels.
    rendered = page.wait_for_function(
        """(canvasSelector) => {
            const canvas = document.querySelector(canvasSelector);
            let element = canvas;
            while (element && !element._cyreg) element = element.parentElement;
            const cy = element && element._cyreg && element._cyreg.cy;
            if (!cy || cy.nodes(':visible').length === 0) return null;
            const box = canvas.getBoundingClientRect();
            const nodes = cy.nodes(':visible').map(node => {
                const at = node.renderedPosition();
                return {label: node.data('label'), x: at.x, y: at.y};
            });
            const pixels = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            if (painted === 0) return null;
            return {nodes, painted, width: box.width, height: box.height,
                    edges: cy.edges(':visible').length};
        }""",
        arg=canvas,
    ).json_value()
    time.sleep(0.5)  # let the layout animation settle for the screenshot
    page.screenshot(path=str(shot))
    labels = {node["label"] for node in rendered["nodes"]}
    missing = [label for label in expected if label not in labels]
    assert parents and not missing, f"lineage graph lacks {missing} ({shot})"
    assert rendered["edges"] >= len(expected), rendered["edges"]
    assert rendered["painted"] > 1000, f"the graph canvas is blank ({shot})"
    off_screen = [
        node["label"]
        for node in rendered["nodes"]
        if not (0 <= node["x"] <= rendered["width"] and 0 <= node["y"] <= rendered["height"])
    ]
    assert not off_screen, f"nodes drawn outside the canvas: {off_screen} ({shot})"
    selection = page.locator('input[ng-model="selectorService.selection.dirty.include"]')
    assert selection.input_value() == "+fct_site_months+"


def test_semantic_layer_and_exposure_pages(page: Any, served_url: str, screenshots: Path) -> None:
    checks = {
        "metric/metric.saas_usage.active_users": ["active_users", "counts once"],
        "metric/metric.saas_usage.licence_utilisation": ["Active users divided by licensed"],
        "semantic_model/semantic_model.saas_usage.site_months": ["fct_site_months", "Entities"],
        "saved_query/saved_query.saas_usage.usage_by_account_tier": ["licence_utilisation"],
        "exposure/exposure.saas_usage.executive_usage_report": [
            "python -m report",
            "Analytics Engineering",
        ],
        "macro/macro.saas_usage.saas_check_target_dataset": ["Refuses, before anything", "base"],
        "source/source.saas_usage.saas.saas_users": ["user_email", "Personal"],
    }
    for route, phrases in checks.items():
        shot = screenshots / (route.split("/")[-1] + ".png")
        text = _open(page, served_url, route, phrases[0])
        page.screenshot(path=str(shot))
        for phrase in phrases:
            assert phrase in text, f"{route}: {phrase!r} not on the page ({shot})"


def test_static_site(page: Any, docs_project: DbtProject, screenshots: Path) -> None:
    static = docs_project.root / "target" / "static_index.html"
    assert static.exists()
    url = static.as_uri()
    _check_overview(page, url, screenshots / "static_overview.png")
    _check_fct_site_months(page, url, screenshots / "static_fct_site_months.png")
