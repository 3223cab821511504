#!/usr/bin/env python3
"""Generate the raw seed data of the SaaS usage project: reproducible, realistic, fast.

Usage::

    python scripts/generate_saas_data.py                       # demo scale into seeds/
    python scripts/generate_saas_data.py --scale small --out /tmp/small
    python scripts/generate_saas_data.py --through 2024-03-31  # rows dated <= 2024-03-31
    python scripts/generate_saas_data.py --scale large --out data/large   # Parquet, chunked

Options: ``--seed`` (default 42), ``--scale small|demo|large`` (default demo),
``--customers``, ``--start``/``--end`` (the data window), ``--through`` (cut the
output at a date), ``--out`` (default: the project's ``seeds/``), ``--format
csv|parquet`` (default csv, parquet for large) and ``--quiet``. Bad options print
one line on stderr and exit with status 2; a failure while writing exits with 1.

Scales
------
========  =========  =======================  ======================================
scale     customers  window                   volume
========  =========  =======================  ======================================
small     8          2024-01-01 .. 2024-06-30 ~30k activity rows, under a second (tests)
demo      65         2023-01-01 .. 2024-12-31 ~1.0M activity rows, about a second
large     7,000      2023-01-01 .. 2024-12-31 ~115M activity rows, Parquet, streamed
========  =========  =======================  ======================================

Outputs
-------
Seven tables, each with a header in exactly this column order:

* ``saas_customer_info``: customer_id, industry, region, account_tier, contact_email
* ``saas_sites``: site_id, customer_id
* ``saas_storage``: customer_id, site_id, date, storage_bytes (one row per site-day)
* ``saas_users``: customer_id, site_id, user_email, registration_date, license_type
  (one row per user-site assignment)
* ``saas_user_activity``: customer_id, user_email, site_id, date, activity_type,
  event_count (one row per customer, user, site, date and activity type; count >= 1)
* ``saas_background_jobs``: customer_id, site_id, date, background_job_type,
  background_job_min (one row per job run; minutes >= 1)
* ``saas_internal_accounts``: customer_id, reason (internal/test tenants): reference
  data, the same for every run and committed as ``seeds/saas_internal_accounts.csv``

plus ``_planted_cases.json``, the manifest of planted signals (below).

CSV (``<out>/<table>.csv``): unquoted, ``\\n`` line ends, ISO dates, plain
integers. Parquet (``<out>/<table>.parquet/part-NNNNN.parquet``, a directory per
table even when it holds one part; read it with the glob
``<table>.parquet/*.parquet``): every column a string holding the CSV's text;
the lookup seed ``saas_internal_accounts`` is also written as CSV (``dbt seed``
loads it from ``seeds/`` while the raw tables are read as external sources).

Ids: customer_id is ``1000000001, 1000000002, ...``; site_id is ``A`` + 11 random
digits; e-mails are ``first.last@company.tld`` (lower case, a single TLD, unique
within a customer; the user's identity is (customer_id, user_email)).

Order and reproducibility. Same options give byte-identical files: numpy draws
from ``default_rng`` seeded with (seed, purpose, block) and Faker is seeded with
``seed_instance(seed)`` (same package versions assumed: requirements.txt pins
them). Every file is sorted: customers by customer_id; sites by (customer_id,
site_id); users by (registration_date, customer_id, site_id, user_email); activity
by (date, customer_id, site_id, user_email, activity_type); storage by (date,
customer_id, site_id); jobs by (date, customer_id, site_id, background_job_type,
background_job_min) - text order, numbers by value, activity and job types
alphabetically. Runs of more than 1,024 customers (and every ``large`` run)
are streamed with bounded memory (about 0.7 GB at ``large``) in chunks of
consecutive customers (blocks of 16 customers, grouped until they hold 2M activity
rows): each chunk's rows are sorted as above and chunks follow in customer order;
a Parquet table rolls over to a new part file every 10M rows.

``--through DATE`` is prefix-stable: the run always simulates the whole window
and then keeps the activity, storage and job rows dated on or before DATE and the
users registered on or before DATE, so those four files are exactly the leading
lines of the full run's files (streamed runs: of each chunk). Customers, sites and
internal accounts are written in full (an account and its sites exist before they
go live). The manifest always describes the full run. ``--end`` is part of the
scenario (go-lives spread over the window), so changing it changes the data; use
``--through`` to replay days.

Behaviour model (parameters in ``generator/config.py``, ``Params``)
----------------------------------------------------------------------------
Customers. Tier SMB 50% / Commercial 35% / Enterprise 15% and region North
America 50% / EMEA 30% / APAC 20% in exact proportions (stratified, shuffled);
industry a weighted draw over ten industries. Each customer has an engagement
factor (lognormal, sigma 0.25). Internal test customers have reserved ids (the
lookup lists ten: 1000000004, 1000000050, then every 1,000th up to 1000008000);
a run creates those below its customer count (none below 4 customers, 1 below 50,
2 below 1,000, then 1 more per 1,000) with industry Technology and our own
e-mail domain. Ids a run does not reach are in the lookup only.

Sites. SMB 1-2, Commercial 2-4, Enterprise 3-7 sites. About 30% of customers went
live before the window (up to 540 days before), the rest on a uniform day of the
window; a customer's further sites follow its first by an exponential delay (mean
120 days). A site whose go-live falls after the window's end is not in the data
(it has not gone live yet), so the last months see the same flow of new sites as
the others. Ordinary sites churn at a constant rate of 3% a year from 30 days
after go-live (about 4% churn inside a two-year window): activity and jobs stop,
storage stays flat for 30 more days, then stops.

Users. Per site, lognormal (sigma 0.35) with median 15 (SMB), 34 (Commercial),
56 (Enterprise) primary users, times the scale's user factor (small 0.65, else
1); licence Viewer 60% / Explorer 25% / Creator 15%.
Registration on or after the site's go-live: 65% in the roll-out burst
(exponential, mean 7 days), the rest a uniform trickle over the site's first 540
days; a user who would register after the window's end or the site's churn is not
in the data. 30% of users whose customer has another
site live at their registration are also assigned to 1 (70%) or 2 (30%) of those
sites: one ``saas_users`` row per assignment, same registration date and licence.

Activity. Each assignment-day from the user's activation (registration plus an
exponential delay, mean 3 days) to dormancy, site churn or window end is active
with probability ``min(1.6 * engagement * site factor * assignment weight, 0.95)
* weekday factor``: engagement ~ Beta(2, 5) times the customer factor and a
licence factor (Viewer 0.8, Explorer 1.0, Creator 1.25); site factor lognormal
(sigma 0.2); an extra site weighs 0.55 of the primary; Monday-Friday 1.0, 1.0,
1.0, 0.95, 0.8 and Saturday/Sunday 0.12/0.08. 8% of users are never active; 25%
go dormant after an exponential lifetime (mean 150 days). On an active day each
activity type occurs with a licence-driven probability (Access, Create, Publish,
View): Viewer 0.85/0/0/0.75, Explorer 0.80/0.30/0/0.75, Creator
0.75/0.45/0.25/0.60 (a day with none drawn is an Access day); event_count is
1 + Poisson(mean * user multiplier) with means Access 1.5, Create 1.5, Publish
0.6, View 4.0 and a lognormal user multiplier (sigma 0.4).

Storage. One row per site-day from go-live (or the window start) on. It starts
near zero (lognormal, median 40 MB) at go-live, grows by 12 MB per Create and
40 MB per Publish event (times a per-site content size, lognormal sigma 0.5, and
daily noise, sigma 0.3) and by a 0.04% daily drift, and a clean-up (probability
1/120 per day) keeps 55-90% of it. A site live before the window starts it with
its pre-window growth (60% of its days live times its mean in-window daily growth).

Background jobs. Runs per site-day ~ Poisson(tier rate * storage effect *
weekend factor): 1.4 / 1.8 / 2.4 runs a day (SMB / Commercial / Enterprise),
storage effect 0.7 + 0.3 * min(GiB / 5, 2), weekends 0.7. Types alert 20%,
bridge 10%, extract 35%, flow run 10%, subscription 25%; minutes lognormal with
medians 1, 5, 8, 12, 2. A normal site runs about 100-1,000 job minutes a month.

Planted cases (written to ``_planted_cases.json``; every scale has each one when
the window allows it: onboarding cases need 127+ days, churn 105+ days)
-------------------------------------------------------------------------------
* ``high_activity_no_storage``: a site going live 7 days to 40% into the window
  (and at least 120 days before its end) whose users are all engaged; its storage
  is exactly 0 for its first 90 days (live connections only) although it has well
  over 500 events in them.
* ``slow_ramp``: a site going live likewise whose users all register in the
  burst but only 30% (at least 3) become active; the others start 100+ days after
  go-live (a quarter never), so activation in the first 90 days is far below 50%
  while the active few keep the site busy until the window end.
* ``stalled``: a site going live likewise, active from go-live, with no activity
  at all from day 48 to day 117 after go-live (the whole tail of its 90-day window).
* ``creators_never_create``: Creators (engaged, registered at least 120 days
  before the end) who only ever View and Access.
* ``licence_exceeders``: Viewers who Create (30% of active days) and Explorers who
  Publish (25%).
* ``heavy_background``: 1 customer (below 20 customers) or 2, at least 2 sites,
  all live before the window, 14 runs a day (weekends 70%) weighted to extracts and flow
  runs at 1.5x duration: about 5,000 job minutes per site per month.
* ``churned_sites``: a planted site (live before the window, churning 75-130 days
  before the end) plus every naturally churned site whose activity stops more than
  65 days before the end.
* ``multi_site_users``: a showcase of engaged users assigned to 2-3 sites (about
  a fifth of all users are multi-site), active on each of them.

Planted sites keep their own users (nobody there is multi-site), and planted users
are picked among users of ordinary, never-churning sites of external customers,
so that no case masks another. Internal customers are never planted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "seeds"
SCALE_NAMES = ("small", "demo", "large")
EXIT_USAGE = 2
EXIT_FAILURE = 1


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are a single line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def iso_date(text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: {exc}") from None


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="generate_saas_data.py",
        description=(
            "Write the raw SaaS usage seeds (customers, sites, users, activity, storage, "
            "background jobs, internal accounts) plus _planted_cases.json. Same options "
            "give byte-identical files."
        ),
        epilog="Scales: small = 8 customers, 2024-01-01..2024-06-30; demo = 65 customers, "
        "2023-01-01..2024-12-31 (~1M activity rows); large = 7,000 customers, same window "
        "(~115M activity rows, Parquet, streamed with a progress bar).",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--scale", choices=SCALE_NAMES, default="demo", help="size profile (default demo)"
    )
    parser.add_argument(
        "--customers", type=int, metavar="N", help="number of customers (default: by scale)"
    )
    parser.add_argument(
        "--start",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="first day of the window (default: by scale)",
    )
    parser.add_argument(
        "--end",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="last day of the window (default: by scale)",
    )
    parser.add_argument(
        "--through",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="write only rows dated on or before this day (prefix of the full run)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("csv", "parquet"),
        help="file format (default csv; parquet for --scale large)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    return parser


def check_out_dir(path: Path) -> str | None:
    """Create the output folder if needed; an error message if it is unusable."""
    if path.exists() and not path.is_dir():
        return f"--out {path} is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create --out {path}: {exc.strerror or exc}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"--out {path} is not writable"
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        return f"--out {path} is not writable: {exc.strerror or exc}"
    return None


def parse_options(argv: list[str] | None, parser: OneLineParser) -> dict[str, object]:
    """Parse and validate ``argv``; errors end the process with status 2."""
    from generator.config import SCALES  # light: no numpy

    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    start = args.start or scale.start
    end = args.end or scale.end
    customers = scale.customers if args.customers is None else args.customers
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if customers <= 0:
        parser.error(f"--customers must be a positive integer, got {customers}")
    if end < start:
        parser.error(f"--end {end} is before --start {start}")
    if args.through is not None and not start <= args.through <= end:
        parser.error(f"--through {args.through} is outside the window {start} .. {end}")
    out = (args.out or DEFAULT_OUT).expanduser().resolve()
    problem = check_out_dir(out)
    if problem:
        parser.error(problem)
    return {
        "seed": args.seed,
        "scale": args.scale,
        "customers": customers,
        "start": start,
        "end": end,
        "through": args.through,
        "out": out,
        "fmt": args.fmt or scale.fmt,
        "quiet": args.quiet,
    }


def main(argv: list[str] | None = None) -> int:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    parser = build_parser()
    values = parse_options(argv, parser)

    from generator.config import params_for_scale
    from generator.runner import Options, run  # heavy imports only once options are valid

    params = params_for_scale(str(values["scale"]))
    opts = Options(**values, params=params)  # type: ignore[arg-type]
    try:
        summary = run(opts)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except (OSError, MemoryError) as exc:
        print(f"{parser.prog}: error: writing {opts.out} failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if not opts.quiet:
        cut = f", through {opts.through}" if opts.through else ""
        print(
            f"wrote {len(summary.rows)} tables ({summary.fmt}) to {summary.out} in "
            f"{summary.seconds:.1f} s (scale {opts.scale}, seed {opts.seed}, "
            f"{opts.customers} customers, {opts.start} .. {opts.end}{cut})"
        )
        for name, rows in summary.rows.items():
            print(f"  {name:<24} {rows:>12,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
