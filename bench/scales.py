"""The data-set sizes the benchmark runs at, as options of the data generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.config import SCALES as GENERATOR_SCALES
from generator.config import Scale


@dataclass(frozen=True)
class BenchScale:
    """One benchmark scale: a generator profile, maybe with fewer customers."""

    name: str
    profile: str  # the generator's --scale
    customers: int | None = None  # the generator's --customers (None: the profile's)
    note: str = ""
    # dbt threads (None: the profile's, 2). From ~10M rows each model is one
    # large query DuckDB already spreads over every core: a second dbt thread
    # only runs another beside it, for the same wall time, and their node
    # times then overlap, so their sum counts the same seconds twice
    # (docs/performance.md). The hand-written baseline runs one statement at
    # a time too.
    threads: int | None = None

    @property
    def generator_profile(self) -> Scale:
        return GENERATOR_SCALES[self.profile]

    @property
    def parquet(self) -> bool:
        """Parquet data sets are read in place by dbt (external sources): nothing to load."""
        return self.generator_profile.fmt == "parquet"

    @property
    def last_day(self) -> dt.date:
        return self.generator_profile.end

    def generator_options(self) -> list[str]:
        options = ["--scale", self.profile]
        if self.customers is not None:
            options += ["--customers", str(self.customers)]
        return options


SCALES: dict[str, BenchScale] = {
    scale.name: scale
    for scale in (
        BenchScale("small", "small", note="8 customers, 6 months, CSV (the tests' scale)"),
        BenchScale("demo", "demo", note="65 customers, 2 years, about 1M activity rows, CSV"),
        BenchScale(
            "medium",
            "large",
            customers=700,
            threads=1,
            note="700 customers, about 12M activity rows, Parquet",
        ),
        BenchScale(
            "large",
            "large",
            threads=1,
            note="7,000 customers, 100M+ activity rows, Parquet, ~25 GB",
        ),
    )
}
