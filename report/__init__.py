"""The executive usage report: one self-contained HTML page built from the dbt marts
and the semantic layer (``python -m report``; see report/cli.py).

Modules, in the order the data flows: project (profile target, dbt vars),
warehouse (the engines that run queries), semantic (MetricFlow compiles the
semantic layer's metrics to SQL), queries (the report's questions), data
(results, metric definitions, thresholds), records (chart and table rows),
charts (Vega-Lite specs), page, sections and watchlists (the page's content),
render (the HTML file), cli.
"""
