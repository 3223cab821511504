"""The HTML file: the template filled in, the Vega JavaScript and the chart specs
inlined, so the page opens from a file with no network and the same data gives
the same bytes (no timestamps, fixed element ids, sorted JSON)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from report.errors import ReportError
from report.page import Kpi, Section, month_label
from report.project import Target

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "usage_report.html.j2"
_CODE_SPAN = re.compile(r"`([^`]+)`")


def script_safe_json(value: object) -> str:
    """JSON that can sit inside a <script> element: sorted, compact, ASCII, no '<'."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def with_code_spans(text: str) -> Any:
    """Escaped text with its `backquoted` names set as <code>."""
    from markupsafe import Markup, escape

    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


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


def render_html(
    kpis: list[Kpi], sections: list[Section], target: Target, months: list[str], marts: list[str]
) -> str:
    import jinja2
    from markupsafe import Markup

    bundle, versions = javascript_bundle()
    specs = {
        item.id: item.spec
        for section in sections
        for item in section.items
        if item.kind == "chart" and item.spec is not None
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["code"] = with_code_spans
    period = f"{month_label(months[0])} to {month_label(months[-1])}"
    return environment.get_template(TEMPLATE_NAME).render(
        title="SaaS usage report",
        subtitle=(
            f"Data from {period}, read from the dbt marts and semantic layer of target "
            f"“{target.name}” ({target.adapter_type}). Internal (test) accounts are left out."
        ),
        kpis=kpis,
        sections=sections,
        specs_json=Markup(script_safe_json(specs)),
        javascript_bundle=Markup(bundle),
        versions=versions,
        footer=(
            "Built by the report package (python -m report) from the models "
            + ", ".join(marts)
            + ". Re-run `python -m report` after `dbt build` to refresh it."
        ),
    )
