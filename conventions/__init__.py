"""Project lint tooling (run by scripts/lint.sh).

* ``conventions.rules``: dbt-score rules for the project's conventions (naming
  by layer, primary-key tests, sources only in staging, fan-out limits, ...),
  configured in ``[tool.dbt-score]`` of pyproject.toml.
* ``conventions.parse``: ``dbt parse`` for that check, also on a fresh clone
  whose raw seeds have not been generated yet.
* ``conventions/sqlfluff_library``: the slice of dbt's Jinja context that
  sqlfluff's jinja templater needs to render our SQL (``library_path`` in
  ``.sqlfluff``).
"""
