"""Faulty rows planted in generated CSVs (``python -m bench --plant-faults``).

The generator writes clean data, on which the quarantine mart is empty and
half of the row rules never fire. Planting a few faults of every kind in
every raw table (each rule, exact copies and same-key copies, stray spaces
and case, activity on an unassigned site and before registration, a user
whose assignments disagree, identical job runs) lets the benchmark check
that the hand-written baseline quarantines, normalises and counts exactly
what dbt does. Deterministic: the same files get the same faults.

    python -m bench.faults FOLDER      # the CSV files of FOLDER, in place
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

Row = dict[str, str]
UNKNOWN_SITE = "A99999999999"  # well-formed, owned by nobody

# (table, changed columns) -- one appended copy of the table's first row each
ROW_FAULTS: list[tuple[str, Row]] = [
    ("saas_customer_info", {"customer_id": ""}),
    ("saas_customer_info", {"customer_id": "12345"}),
    ("saas_customer_info", {"customer_id": "1999999991", "region": "Mars"}),
    ("saas_sites", {"site_id": ""}),
    ("saas_sites", {"site_id": "B123"}),
    ("saas_sites", {"site_id": "A99999999998", "customer_id": "1999999999"}),
    ("saas_users", {"registration_date": "2024-02-30"}),
    ("saas_users", {"registration_date": "1999-01-01"}),
    ("saas_users", {"license_type": "Admin"}),
    ("saas_users", {"user_email": ""}),
    ("saas_users", {"user_email": "not-an-email"}),
    ("saas_users", {"site_id": UNKNOWN_SITE}),
    ("saas_user_activity", {"date": "2024-02-30"}),
    ("saas_user_activity", {"event_count": "12abc"}),
    ("saas_user_activity", {"event_count": "-8003"}),
    ("saas_user_activity", {"date": "2034-12-31"}),
    ("saas_user_activity", {"event_count": "999999999999999999"}),
    ("saas_user_activity", {"activity_type": "Download"}),
    ("saas_user_activity", {"site_id": ""}),
    ("saas_user_activity", {"customer_id": "12345"}),
    ("saas_user_activity", {"site_id": UNKNOWN_SITE}),
    ("saas_user_activity", {"user_email": "ghost@example.com"}),
    ("saas_storage", {"date": "2024-13-01"}),
    ("saas_storage", {"storage_bytes": "lots"}),
    ("saas_storage", {"storage_bytes": "-777003"}),
    ("saas_storage", {"date": "1999-01-01"}),
    ("saas_storage", {"storage_bytes": "777000000000000000"}),
    ("saas_storage", {"customer_id": ""}),
    ("saas_storage", {"site_id": "A123"}),
    ("saas_storage", {"site_id": UNKNOWN_SITE}),
    ("saas_background_jobs", {"date": "yesterday"}),
    ("saas_background_jobs", {"background_job_min": "1.5"}),
    ("saas_background_jobs", {"background_job_min": "-5503"}),
    ("saas_background_jobs", {"date": "2099-01-01"}),
    ("saas_background_jobs", {"background_job_min": "550003"}),
    ("saas_background_jobs", {"background_job_type": "backup"}),
    ("saas_background_jobs", {"site_id": ""}),
    ("saas_background_jobs", {"site_id": UNKNOWN_SITE}),
]
# stray spaces and case on the third row: normalised, never quarantined
MESSY_SPELLINGS: dict[str, dict[str, str]] = {
    "saas_customer_info": {
        "customer_id": "  {} ",
        "region": " {lower}  ",
        "account_tier": "{upper}",
    },
    "saas_sites": {"site_id": " {lower} "},
    "saas_users": {"user_email": "  {upper} ", "site_id": "{lower}", "license_type": " {lower}"},
    "saas_user_activity": {"date": " {} ", "user_email": " {upper}", "activity_type": "{upper} "},
    "saas_storage": {"storage_bytes": "{}  ", "site_id": " {lower}"},
    "saas_background_jobs": {"background_job_type": " {upper} "},
}


def _read(path: Path) -> tuple[list[str], list[Row]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[Row]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _respell(row: Row, spellings: dict[str, str]) -> Row:
    changed = dict(row)
    for column, pattern in spellings.items():
        value = row[column]
        changed[column] = pattern.format(value, lower=value.lower(), upper=value.upper())
    return changed


def _same_key_copy(name: str, tables: dict[str, list[Row]]) -> Row | None:
    """A copy of a row with the same key and other values, ranked after it (so
    that the original stays clean and nothing else changes)."""
    row = tables[name][2]
    if name == "saas_customer_info":
        return row | {"contact_email": "zz@zz.example"}
    if name == "saas_sites":
        last = max(site["customer_id"] for site in tables[name])
        site = next(site for site in tables[name] if site["customer_id"] < last)
        return site | {"customer_id": last}
    if name == "saas_users":
        later = dt.date.fromisoformat(row["registration_date"]) + dt.timedelta(days=1)
        return row | {"registration_date": later.isoformat()}
    if name == "saas_user_activity":
        return row | {"event_count": str(int(row["event_count"]) + 8500)}
    if name == "saas_storage":
        return row | {"storage_bytes": str(int(row["storage_bytes"]) + 10**12)}
    return None  # background-job runs have no key


def _lookup_faults(tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """Rows naming a site of another customer (quarantined as a mismatch)."""
    owners = {row["site_id"]: row["customer_id"] for row in tables["saas_sites"]}
    added = {}
    for name in ("saas_users", "saas_user_activity", "saas_storage", "saas_background_jobs"):
        row = tables[name][0]
        foreign = next(s for s, c in sorted(owners.items()) if c != row["customer_id"])
        added[name] = [row | {"site_id": foreign}]
    return added


def _soft_anomalies(tables: dict[str, list[Row]]) -> list[tuple[str, Row]]:
    """Rows no rule catches but the marts must count right: a user assigned
    again (earlier, higher licence), activity on a site of the customer the
    user is not assigned to, and activity before registration."""
    users = tables["saas_users"]
    owners = {row["site_id"]: row["customer_id"] for row in tables["saas_sites"]}
    assigned = {(u["customer_id"], u["user_email"], u["site_id"]) for u in users}
    registered: dict[tuple[str, str], str] = {}
    for user in users:
        key = (user["customer_id"], user["user_email"])
        registered[key] = min(registered.get(key, "9999"), user["registration_date"])

    def unassigned_site(customer_id: str, email: str) -> str | None:
        sites = (s for s, c in sorted(owners.items()) if c == customer_id)
        return next((s for s in sites if (customer_id, email, s) not in assigned), None)

    added: list[tuple[str, Row]] = []
    for user in users:
        site = unassigned_site(user["customer_id"], user["user_email"])
        if site:
            earlier = dt.date.fromisoformat(user["registration_date"]) - dt.timedelta(days=10)
            changes = {"site_id": site, "registration_date": earlier.isoformat()}
            added.append(("saas_users", user | changes | {"license_type": "Creator"}))
            break
    for row in tables["saas_user_activity"][1:]:
        site = unassigned_site(row["customer_id"], row["user_email"])
        if site:
            before = dt.date.fromisoformat(registered[row["customer_id"], row["user_email"]])
            before -= dt.timedelta(days=10)
            added.append(("saas_user_activity", row | {"site_id": site}))
            added.append(("saas_user_activity", row | {"date": before.isoformat()}))
            break
    return added


def plant_faults(folder: Path) -> dict[str, int]:
    """Append faulty rows to the raw CSVs in ``folder``; rows added per table."""
    paths = {name: folder / f"{name}.csv" for name in MESSY_SPELLINGS}
    headers, tables = {}, {}
    for name, path in paths.items():
        headers[name], tables[name] = _read(path)
    added = _lookup_faults(tables)
    for name, changes in ROW_FAULTS:
        added.setdefault(name, []).append(tables[name][0] | changes)
    for name, row in _soft_anomalies(tables):
        added.setdefault(name, []).append(row)
    for name, rows in tables.items():
        extra = added.setdefault(name, [])
        extra.append(dict(rows[1]))  # an exact copy (of a job run: a second, legitimate run)
        same_key = _same_key_copy(name, tables)
        if same_key is not None:
            extra.append(same_key)
        rows[3] = _respell(rows[3], MESSY_SPELLINGS[name])
    for name, path in paths.items():
        _write(path, headers[name], tables[name] + added[name])
    return {name: len(rows) for name, rows in added.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("folder", type=Path, help="the folder of the generated raw CSV files")
    args = parser.parse_args(argv)
    print(json.dumps(plant_faults(args.folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
