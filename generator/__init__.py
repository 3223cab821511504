"""The synthetic SaaS usage-data generator (entry point: scripts/generate_saas_data.py).

Modules, in the order a run uses them:

* ``config``: value sets, scales, behaviour parameters, the reserved internal accounts
* ``customers``, ``sites``, ``users``, ``names``, ``planted_users``: draw the entities;
  ``entities`` assembles them into a ``world.World``
* ``simulate``: daily activity, storage and background jobs, block by block
* ``columns``, ``tables``: the output tables as Arrow tables
* ``sinks``, ``threads``: CSV and Parquet writers, ordered work on threads
* ``manifest``: ``_planted_cases.json``
* ``runner``: one run, end to end
"""
