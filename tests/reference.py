"""Independent pandas recomputation of the marts, straight from the raw CSVs.

Nothing here reuses the project's SQL: each definition is re-implemented from
the marts' documented contract so that the dbt build can be checked column
by column. Its thresholds and category lists are the project's dbt vars, read
from dbt_project.yml, so that changing one changes both sides. It assumes
clean input (the generator's output); the data-quality tests cover dirty
input separately.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from bench.handwritten import project_vars, user_key_secret

VARS = project_vars(Path(__file__).resolve().parents[1])
LICENCE_ORDER = list(VARS["license_types"])
ACTIVITY_TYPES = list(VARS["activity_types"])
JOB_TYPES = list(VARS["background_job_types"])
ENTITLED = {lic: set(types) for lic, types in VARS["license_entitled_activity_types"].items()}
ONBOARDING_DAYS = int(VARS["onboarding_days"])
GIB = 1024**3


def user_key(customer_id: str, email: str) -> str:
    """The keyed hash of macros/utils/text.sql, with the secret the build used."""
    secret = user_key_secret(VARS)
    inner = hashlib.md5(f"{secret}|{customer_id}|{email.lower()}".encode()).hexdigest()
    return hashlib.md5(f"{secret}{inner}".encode()).hexdigest()


def month_start(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


def month_end(months: pd.Series) -> pd.Series:
    return months + pd.offsets.MonthEnd(0)


def suffix(value: str) -> str:
    return value.lower().replace(" ", "_")


def per_category(
    frame: pd.DataFrame, category: str, values: str, aggfunc: str, order: Sequence[str], name: str
) -> pd.DataFrame:
    """`values` aggregated per site, month and `category`: one column per
    category of `order`, named `name` with the category's suffix for `{}`."""
    table = frame.pivot_table(
        index=["site_id", "month_start"], columns=category, values=values, aggfunc=aggfunc
    ).reindex(columns=order)
    table.columns = [name.format(suffix(c)) for c in order]
    return table


@dataclass
class Reference:
    """Raw CSVs of one generated data set and the marts recomputed from them."""

    seeds: Path

    def _read(self, name: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:
        frame = pd.read_csv(self.seeds / f"{name}.csv", dtype=str, keep_default_na=False)
        for column in dates:
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def _read_feed(self, name: str, count: str) -> pd.DataFrame:
        """A daily feed: its date parsed, its month, and its `count` column as an integer."""
        frame = self._read(name, dates=("date",))
        frame[count] = frame[count].astype(np.int64)
        frame["month_start"] = month_start(frame["date"])
        return frame

    @cached_property
    def customers(self) -> pd.DataFrame:
        frame = self._read("saas_customer_info")
        internal = set(self._read("saas_internal_accounts")["customer_id"])
        frame["is_internal"] = frame["customer_id"].isin(internal)
        return frame

    @cached_property
    def sites(self) -> pd.DataFrame:
        return self._read("saas_sites")

    @cached_property
    def assignments(self) -> pd.DataFrame:
        frame = self._read("saas_users", dates=("registration_date",))
        frame["user_key"] = [
            user_key(c, e) for c, e in zip(frame["customer_id"], frame["user_email"], strict=True)
        ]
        return frame

    @cached_property
    def users(self) -> pd.DataFrame:
        """One row per user: earliest registration, highest licence."""
        frame = self.assignments.copy()
        frame["rank"] = frame["license_type"].map(LICENCE_ORDER.index)
        users = frame.groupby(["user_key", "customer_id"], as_index=False).agg(
            registration_date=("registration_date", "min"),
            rank=("rank", "max"),
            assigned_sites=("site_id", "nunique"),
        )
        users["license_type"] = users["rank"].map(lambda r: LICENCE_ORDER[r])
        return users.drop(columns="rank")

    @cached_property
    def activity(self) -> pd.DataFrame:
        frame = self._read_feed("saas_user_activity", "event_count")
        frame["user_key"] = [
            user_key(c, e) for c, e in zip(frame["customer_id"], frame["user_email"], strict=True)
        ]
        return frame.merge(
            self.users[["user_key", "registration_date", "license_type"]], on="user_key"
        )

    @cached_property
    def storage(self) -> pd.DataFrame:
        return self._read_feed("saas_storage", "storage_bytes")

    @cached_property
    def jobs(self) -> pd.DataFrame:
        return self._read_feed("saas_background_jobs", "background_job_min")

    @cached_property
    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        dates = pd.concat([self.activity["date"], self.storage["date"], self.jobs["date"]])
        return dates.min(), dates.max()

    @cached_property
    def site_users(self) -> pd.DataFrame:
        """Assignments carrying the user's deduplicated registration and licence."""
        return self.assignments[["site_id", "user_key"]].merge(self.users, on="user_key")

    @cached_property
    def go_live(self) -> pd.Series:
        """First date with any data (registration, activity, storage, job), per site."""
        parts = [
            self.site_users[["site_id", "registration_date"]].rename(
                columns={"registration_date": "d"}
            ),
            self.activity.loc[self.activity["event_count"] > 0, ["site_id", "date"]],
            self.storage[["site_id", "date"]],
            self.jobs[["site_id", "date"]],
        ]
        dates = pd.concat([p.set_axis(["site_id", "d"], axis=1) for p in parts])
        return dates.groupby("site_id")["d"].min()

    # ------------------------------------------------------------------ marts
    @cached_property
    def fct_site_months(self) -> pd.DataFrame:
        start, end = self.data_range
        first_month, last_month = month_start(pd.Series([start, end]))
        months = pd.date_range(first_month, last_month, freq="MS")
        rows = []
        for site_id, live in self.go_live.items():
            site_first = max(pd.Timestamp(live).to_period("M").to_timestamp(), first_month)
            rows += [(site_id, m) for m in months if m >= site_first]
        spine = pd.DataFrame(rows, columns=["site_id", "month_start"])
        spine = spine.merge(self.sites, on="site_id").merge(
            self.customers.drop(columns="contact_email"), on="customer_id"
        )
        spine["month_end"] = month_end(spine["month_start"])

        # licences as of month end, with the user's deduplicated attributes
        licensed = spine[["site_id", "month_start", "month_end"]].merge(
            self.site_users, on="site_id"
        )
        licensed = licensed[licensed["registration_date"] <= licensed["month_end"]]
        licensed["is_new"] = licensed["registration_date"] >= licensed["month_start"]
        counts = licensed.groupby(["site_id", "month_start"]).agg(
            licensed_users=("user_key", "nunique"), new_users=("is_new", "sum")
        )
        by_licence = per_category(
            licensed, "license_type", "user_key", "nunique", LICENCE_ORDER, "licensed_{}s"
        )

        act = self.activity
        act = act.assign(
            after=np.where(
                (act["date"] - act["registration_date"]).dt.days >= ONBOARDING_DAYS,
                act["event_count"],
                0,
            )
        )
        activity = act.groupby(["site_id", "month_start"]).agg(
            events_total=("event_count", "sum"), events_after_onboarding=("after", "sum")
        )
        activity["active_users"] = (
            act[act["event_count"] > 0].groupby(["site_id", "month_start"])["user_key"].nunique()
        )
        by_type = per_category(
            act, "activity_type", "event_count", "sum", ACTIVITY_TYPES, "events_{}"
        )

        st = self.storage.sort_values("date")
        storage = st.groupby(["site_id", "month_start"]).agg(
            storage_days=("storage_bytes", "size"),
            storage_bytes_avg=("storage_bytes", "mean"),
            storage_bytes_max=("storage_bytes", "max"),
            storage_bytes_month_end=("storage_bytes", "last"),
        )

        jobs = self.jobs.groupby(["site_id", "month_start"]).agg(
            job_runs=("background_job_min", "size"),
            job_minutes_total=("background_job_min", "sum"),
        )
        job_type = (self.jobs, "background_job_type", "background_job_min")
        minutes = per_category(*job_type, "sum", JOB_TYPES, "job_minutes_{}")
        runs = per_category(*job_type, "size", JOB_TYPES, "job_runs_{}")

        fact = spine.set_index(["site_id", "month_start"])
        for part in (counts, by_licence, activity, by_type, storage, jobs, minutes, runs):
            fact = fact.join(part)
        zero_filled = [
            c
            for c in fact.columns
            if c.startswith(("licensed_", "events_", "job_", "active_users", "new_users"))
            or c == "storage_days"
        ]
        fact[zero_filled] = fact[zero_filled].fillna(0)
        fact["storage_gib_avg"] = fact["storage_bytes_avg"] / GIB
        return fact.reset_index().drop(columns="month_end")

    @cached_property
    def user_months(self) -> pd.DataFrame:
        """Distinct-user activity per user and month (any site)."""
        act = self.activity
        act = act.assign(
            creation=np.where(
                act["activity_type"].isin(["Create", "Publish"]), act["event_count"], 0
            ),
            beyond=[
                0 if t in ENTITLED[lic] else n
                for t, lic, n in zip(
                    act["activity_type"], act["license_type"], act["event_count"], strict=True
                )
            ],
        )
        return act.groupby(["user_key", "customer_id", "month_start"], as_index=False).agg(
            events_total=("event_count", "sum"),
            events_creation=("creation", "sum"),
            events_beyond_license=("beyond", "sum"),
        )

    def licensed_user_months(self) -> pd.DataFrame:
        """Every (user, month) in the data with the user registered by month end."""
        start, end = self.data_range
        months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
        frame = self.users.merge(pd.DataFrame({"month_start": months}), how="cross")
        frame = frame[frame["registration_date"] <= month_end(frame["month_start"])]
        return frame

    def segment_months(self, segment: str) -> pd.DataFrame:
        customers = self.customers[~self.customers["is_internal"]]
        fact = self.fct_site_months[
            self.fct_site_months["customer_id"].isin(customers["customer_id"])
        ]
        site = fact.groupby([segment, "month_start"]).agg(
            customers=("customer_id", "nunique"),
            sites=("site_id", "size"),
            active_sites=("events_total", lambda s: int((s > 0).sum())),
            events_total=("events_total", "sum"),
            storage_gib_avg=("storage_gib_avg", lambda s: s.sum(min_count=1)),
            job_minutes_total=("job_minutes_total", "sum"),
        )
        attrs = customers[["customer_id", segment]]
        licensed = self.licensed_user_months().merge(attrs, on="customer_id")
        active = self.user_months[self.user_months["events_total"] > 0].merge(
            attrs, on="customer_id"
        )
        users = pd.DataFrame(
            {
                "licensed_users": licensed.groupby([segment, "month_start"])["user_key"].nunique(),
                "active_users": active.groupby([segment, "month_start"])["user_key"].nunique(),
            }
        )
        start, end = self.data_range
        months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
        index = pd.MultiIndex.from_product(
            [sorted(customers[segment].unique()), months], names=[segment, "month_start"]
        )
        out = site.join(users, how="outer").reindex(index)
        counts = [
            "customers",
            "sites",
            "active_sites",
            "events_total",
            "job_minutes_total",
            "licensed_users",
            "active_users",
        ]
        out[counts] = out[counts].fillna(0)
        out["licence_utilisation"] = out["active_users"] / out["licensed_users"].replace(0, np.nan)
        out["events_per_active_user"] = out["events_total"] / out["active_users"].replace(0, np.nan)
        out["job_minutes_per_site"] = out["job_minutes_total"] / out["sites"].replace(0, np.nan)
        for column in ("events_total", "active_users"):
            previous = out.groupby(level=0)[column].shift(1)
            out[f"{column}_mom_growth"] = (out[column] - previous) / previous.replace(0, np.nan)
        return out.reset_index()

    def customer_license_months(self) -> pd.DataFrame:
        """Licensed / active users and licence-fit candidates per customer, month, licence."""
        licensed = self.licensed_user_months()
        activity = self.user_months.merge(self.users[["user_key", "license_type"]], on="user_key")
        merged = licensed.merge(
            activity[
                [
                    "user_key",
                    "month_start",
                    "events_total",
                    "events_creation",
                    "events_beyond_license",
                ]
            ],
            on=["user_key", "month_start"],
            how="left",
        ).fillna({"events_total": 0, "events_creation": 0, "events_beyond_license": 0})
        merged["active"] = merged["events_total"] > 0
        merged["downgrade"] = (merged["license_type"] == "Creator") & (
            merged["events_creation"] == 0
        )
        merged["upgrade"] = merged["events_beyond_license"] > 0
        keys = ["customer_id", "month_start", "license_type"]
        licences = merged.groupby(keys, as_index=False).agg(
            licensed_users=("user_key", "nunique"),
            active_licensed_users=("active", "sum"),
            downgrade_candidates=("downgrade", "sum"),
            upgrade_candidates=("upgrade", "sum"),
        )
        # every user's activity in the month, licensed by then or not
        usage = activity.groupby(keys, as_index=False).agg(
            active_users=("events_total", lambda events: int((events > 0).sum())),
            events_total=("events_total", "sum"),
        )
        return licences.merge(usage, on=keys, how="outer").fillna(0)

    def onboarding(
        self,
        window_days: int = int(VARS["onboarding_window_days"]),
        tail_days: int = int(VARS["signal_stalled_tail_days"]),
        high_activity_events: int = int(VARS["signal_high_activity_min_events"]),
        slow_ramp_rate: float = float(VARS["signal_slow_ramp_max_activation_rate"]),
    ) -> pd.DataFrame:
        """Onboarding window measures and signals for sites going live inside the data."""
        start, end = self.data_range
        rows = []
        for site_id, live in self.go_live.items():
            if live <= start:
                continue
            window_end = live + pd.Timedelta(days=window_days - 1)
            tail_start = live + pd.Timedelta(days=window_days - tail_days)
            act = self.activity[
                (self.activity["site_id"] == site_id)
                & self.activity["date"].between(live, window_end)
            ]
            stor = self.storage[
                (self.storage["site_id"] == site_id)
                & self.storage["date"].between(live, window_end)
            ]
            users = self.site_users[
                (self.site_users["site_id"] == site_id)
                & (self.site_users["registration_date"] <= window_end)
            ]
            events = int(act["event_count"].sum())
            tail = int(act.loc[act["date"] >= tail_start, "event_count"].sum())
            active = act.loc[act["event_count"] > 0, "user_key"].nunique()
            licensed = users["user_key"].nunique()
            peak = stor["storage_bytes"].max() if len(stor) else np.nan
            complete = window_end <= end
            rate = active / licensed if licensed else np.nan
            stalled = bool(complete and licensed > 0 and tail == 0)
            rows.append(
                {
                    "site_id": site_id,
                    "go_live_date": live,
                    "events_in_window": events,
                    "active_users_in_window": active,
                    "licensed_users_in_window": licensed,
                    "storage_bytes_peak_in_window": peak,
                    "is_window_complete": complete,
                    "is_high_activity_no_storage": bool(
                        events >= high_activity_events
                        and (0 if np.isnan(peak) else peak) <= VARS["signal_no_storage_max_bytes"]
                    ),
                    "is_stalled": stalled,
                    "is_slow_ramp": bool(
                        complete
                        and not stalled
                        and (0 if np.isnan(rate) else rate) < slow_ramp_rate
                    ),
                }
            )
        return pd.DataFrame(rows)
