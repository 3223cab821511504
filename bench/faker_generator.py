"""The generation baseline: the original project's generator, one row at a time.

The original algorithm and its costs: one Python dict per row from Faker and
``random`` calls, the sites walked with pandas ``iterrows`` (every row
reads its site's columns from a pandas row), the users of a site found with
a pandas filter, a ``groupby`` that turns raw events into event counts,
``to_csv``. Every user of a customer gets 1-4 random events on every site
and day; storage is one random value per site-day and jobs one random run
per site-day and job type; Faker draws user names, domains and registration
dates. It stops at the site-day where the distinct (user, site, date, type)
rows reach ``--rows`` and keeps exactly that many, so that it writes as many
activity rows as the generator it is compared with.

    python -m bench.faker_generator --rows 1000000 --customers 65 --out /tmp/faker
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.config import ACCOUNT_TIERS, ACTIVITY_TYPES, INDUSTRIES, JOB_TYPES, REGIONS

Rows = list[dict[str, Any]]


class RowByRow:
    """The original algorithm's state: its random sources and the date range."""

    def __init__(self, seed: int, start: dt.date, end: dt.date) -> None:
        import pandas as pd
        from faker import Faker

        self.fake = Faker()
        self.fake.seed_instance(seed)
        random.seed(seed)
        self.start, self.end = start, end
        self.dates = pd.date_range(start=start, end=end, freq="D")

    def customers(self, count: int) -> Any:
        import pandas as pd

        rows = []
        for i in range(count):
            rows.append(
                {
                    "customer_id": str(1_000_000_001 + i),
                    "industry": random.choice(INDUSTRIES),
                    "region": random.choice(REGIONS),
                    "account_tier": random.choice(ACCOUNT_TIERS),
                    "contact_email": self.fake.company_email(),
                }
            )
        return pd.DataFrame(rows)

    def sites(self, customers: Any) -> Any:
        import pandas as pd

        seen: set[str] = set()
        rows = []
        for customer_id in customers["customer_id"]:
            for _ in range(random.randint(1, 3)):
                site_id = "A" + "".join(random.choices("0123456789", k=11))
                while site_id in seen:
                    site_id = "A" + "".join(random.choices("0123456789", k=11))
                seen.add(site_id)
                rows.append({"customer_id": customer_id, "site_id": site_id})
        return pd.DataFrame(rows)

    def storage(self, sites: Any) -> Rows:
        rows = []
        for _, site in sites.iterrows():
            for day in self.dates:
                rows.append(
                    {
                        "customer_id": site["customer_id"],
                        "site_id": site["site_id"],
                        "date": day.strftime("%Y-%m-%d"),
                        "storage_bytes": random.randint(1_000_000, 100_000_000),
                    }
                )
        return rows

    def users(self, customers: Any, sites: Any) -> Any:
        import pandas as pd

        rows = []
        for customer_id in customers["customer_id"]:
            on_sites = sites[sites["customer_id"] == customer_id]["site_id"].tolist()
            pool = []
            for _ in range(random.randint(3, 12)):
                registered = self.fake.date_between(self.start, self.end)
                pool.append(
                    {
                        "customer_id": customer_id,
                        "user_email": f"{self.fake.user_name()}@{self.fake.domain_name()}",
                        "registration_date": registered.strftime("%Y-%m-%d"),
                        "license_type": random.choice(("Viewer", "Explorer", "Creator")),
                    }
                )
            for site_id in on_sites:
                for user in random.sample(pool, random.randint(1, len(pool))):
                    rows.append(user | {"site_id": site_id})
        return pd.DataFrame(rows)

    def events(self, sites: Any, users: Any, rows: int) -> Rows:
        """Raw events, site by site and day by day, until ``rows`` distinct rows."""
        import pandas as pd

        events: Rows = []
        distinct, dates = 0, self.dates
        while True:  # further passes (later years) only if one pass falls short
            for _, site in sites.iterrows():
                emails = users[users["customer_id"] == site["customer_id"]]["user_email"].unique()
                for day in dates:
                    for email in emails.tolist():
                        kinds = set()
                        for _ in range(random.randint(1, 4)):
                            kind = random.choice(ACTIVITY_TYPES)
                            kinds.add(kind)
                            events.append(
                                {
                                    "customer_id": site["customer_id"],
                                    "user_email": email,
                                    "site_id": site["site_id"],
                                    "date": day.strftime("%Y-%m-%d"),
                                    "activity_type": kind,
                                }
                            )
                        distinct += len(kinds)
                    if distinct >= rows:
                        return events
            dates = dates + pd.DateOffset(years=len(dates) // 365 + 1)

    def jobs(self, sites: Any) -> Rows:
        rows = []
        for _, site in sites.iterrows():
            for day in self.dates:
                for job_type in JOB_TYPES:
                    rows.append(
                        {
                            "customer_id": site["customer_id"],
                            "site_id": site["site_id"],
                            "date": day.strftime("%Y-%m-%d"),
                            "background_job_type": job_type,
                            "background_job_min": random.randint(1, 80),
                        }
                    )
        return rows


def generate(
    rows: int, customers: int, seed: int, window: tuple[dt.date, dt.date], out: Path
) -> int:
    """Write the six tables to ``out``, with exactly ``rows`` activity rows; that count."""
    import pandas as pd

    source = RowByRow(seed, *window)
    customer_df = source.customers(customers)
    site_df = source.sites(customer_df)
    storage_rows = source.storage(site_df)
    users_df = source.users(customer_df, site_df)
    activity = (
        pd.DataFrame(source.events(site_df, users_df, rows))
        .groupby(["customer_id", "user_email", "site_id", "date", "activity_type"])
        .size()
        .reset_index(name="event_count")
        .iloc[:rows]
    )
    job_rows = source.jobs(site_df)
    out.mkdir(parents=True, exist_ok=True)
    customer_df.to_csv(out / "saas_customer_info.csv", index=False)
    site_df[["site_id", "customer_id"]].to_csv(out / "saas_sites.csv", index=False)
    pd.DataFrame(storage_rows).to_csv(out / "saas_storage.csv", index=False)
    users_df.to_csv(out / "saas_users.csv", index=False)
    activity.to_csv(out / "saas_user_activity.csv", index=False)
    pd.DataFrame(job_rows).to_csv(out / "saas_background_jobs.csv", index=False)
    return len(activity)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faker_generator",
        description=(__doc__ or "").split("\n\n")[0],
    )
    parser.add_argument("--rows", type=int, required=True, help="activity rows to write")
    parser.add_argument("--customers", type=int, required=True, help="number of customers")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 1, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2024, 12, 31))
    parser.add_argument("--out", type=Path, required=True, help="folder of the CSV files")
    args = parser.parse_args(argv)
    written = generate(args.rows, args.customers, args.seed, (args.start, args.end), args.out)
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
