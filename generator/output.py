"""Turn entity codes into Arrow tables, and write them as CSV or Parquet.

CSV: one file per table, ``<out>/<table>.csv``, a header line, no quoting (no
value contains a comma, quote or newline), ``\\n`` line ends, ISO dates, plain
integers. Parquet: one directory per table, ``<out>/<table>.parquet/``, holding
``part-00000.parquet``, ``part-00001.parquet``, ... (read them with the glob
``<table>.parquet/*.parquet``); every column is ``string`` holding exactly the
CSV's text (ISO dates, plain integers): the raw layer is text in every format,
so the project's staging models (and a ``bq load`` into BigQuery) read Parquet
and CSV alike. Files are written under a temporary name and renamed when
complete, so a failed run never leaves a half-written table behind.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from generator.config import (
    ACCOUNT_TIERS,
    ACTIVITY_TYPES,
    INDUSTRIES,
    JOB_TYPES,
    LICENSE_TYPES,
    REGIONS,
    TABLE_COLUMNS,
)
from generator.entities import World

STRING = pa.dictionary(pa.int32(), pa.string())
INTEGER_COLUMNS = {"storage_bytes", "event_count", "background_job_min"}
T = TypeVar("T")
R = TypeVar("R")


def text_array(values: list[str] | tuple[str, ...]) -> pa.Array:
    """A UTF-8 Arrow array built from raw buffers.

    (``pa.array`` would import pandas on first use, a third of a second we can skip.)
    """
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = b"".join(encoded)
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def number_array(values: np.ndarray, type_: pa.DataType | None = None) -> pa.Array:
    """An integer Arrow array sharing a contiguous numpy buffer (no pandas import)."""
    type_ = type_ or pa.int64()
    arr = np.ascontiguousarray(values, dtype=np.dtype(f"int{type_.bit_width}"))
    return pa.Array.from_buffers(type_, len(arr), [None, pa.py_buffer(arr)])


def table_schema(name: str, fmt: str) -> pa.Schema:
    """Arrow schema of an output table (strings dictionary-encoded).

    Numbers are ``int64`` for CSV (Arrow's CSV writer prints them) and text for
    Parquet (``Vocab.table`` casts them), so both formats hold the same text.
    """
    fields = []
    for col in TABLE_COLUMNS[name]:
        if col in INTEGER_COLUMNS:
            fields.append(pa.field(col, pa.int64() if fmt == "csv" else pa.string()))
        else:
            fields.append(pa.field(col, STRING))
    return pa.schema(fields)


def sort_order(keys: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Order rows by several non-negative integer keys (most significant first).

    Each key comes with its cardinality; keys are packed into one int64 when they
    fit and sorted with quicksort, several times faster than a stable sort or
    ``np.lexsort``. Every table's key covers all of its columns, so rows that tie
    are identical and the output does not depend on how ties are broken.
    """
    size = 1
    for _, card in keys:
        size *= max(card, 1)
    if size < 2**62:
        packed = np.zeros(len(keys[0][0]), dtype=np.int64)
        for values, card in keys:
            packed = packed * max(card, 1) + values
        return np.argsort(packed, kind="quicksort")
    return np.lexsort([values for values, _ in reversed(keys)])


def _check_plain(values: list[str]) -> None:
    """Refuse strings that would need CSV quoting (we never quote)."""
    bad = [v for v in values if "," in v or '"' in v or "\n" in v or "\r" in v]
    if bad:
        raise ValueError(f"value needs CSV quoting: {bad[0]!r}")


class Vocab:
    """Arrow dictionaries of a world's strings, plus date rendering."""

    def __init__(self, world: World, fmt: str) -> None:
        self.world = world
        self.fmt = fmt
        self.customer_id = text_array(world.customer_id)
        self.site_id = text_array(world.site_id)
        self.user_email = text_array(world.user_email)
        self.first_day = int(min(world.user_registration.min(initial=0), 0))
        n = world.n_days - self.first_day
        days = np.datetime64(world.start, "D") + np.arange(self.first_day, world.n_days)
        self.date_text = text_array(np.datetime_as_string(days[:n], unit="D").tolist())
        _check_plain(world.customer_id + world.site_id + world.user_email)
        _check_plain(world.customer_contact + list(world.internal_reason.values()))
        self.constants = {
            name: text_array(values)
            for name, values in {
                "industry": INDUSTRIES,
                "region": REGIONS,
                "account_tier": ACCOUNT_TIERS,
                "license_type": LICENSE_TYPES,
                "activity_type": ACTIVITY_TYPES,
                "background_job_type": JOB_TYPES,
            }.items()
        }

    @staticmethod
    def strings(
        codes: np.ndarray, values: pa.Array, lo: int = 0, hi: int | None = None
    ) -> pa.Array:
        """Dictionary array of ``values[codes]``; [lo, hi) restricts the dictionary."""
        hi = len(values) if hi is None else hi
        indices = number_array(codes - lo if lo else codes, pa.int32())
        return pa.DictionaryArray.from_arrays(indices, values.slice(lo, hi - lo))

    def dates(self, day: np.ndarray) -> pa.Array:
        """Dates of day numbers as ISO text (dictionary-encoded), in every format."""
        if len(day) and day.min() >= 0:  # in-window days index the text directly
            return self.strings(day, self.date_text.slice(-self.first_day))
        return self.strings(day - self.first_day, self.date_text)

    def table(self, name: str, columns: dict[str, pa.Array]) -> pa.Table:
        schema = table_schema(name, self.fmt)
        if self.fmt == "parquet":  # numbers as their decimal text (see table_schema)
            columns = {
                c: pc.cast(a, pa.string()) if c in INTEGER_COLUMNS else a
                for c, a in columns.items()
            }
        return pa.Table.from_arrays([columns[c] for c in schema.names], schema=schema)


class Sink(Protocol):
    rows: int

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


CSV_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)


def render_csv_rows(table: pa.Table) -> pa.Buffer:
    """The CSV lines of ``table``: no header, ``\\n`` ends, nothing quoted.

    ``quoting_style="none"`` makes Arrow fail on a value that would need quotes;
    ``Vocab`` already refuses such strings with a clearer message.
    """
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, CSV_OPTIONS)
    return sink.getvalue()


class CsvSink:
    """``<out>/<name>.csv``, written through a temporary file.

    Large tables are cut into slices rendered in parallel threads (Arrow releases
    the GIL) and appended in order, so the bytes do not depend on the threads.
    """

    SLICE_ROWS = 1 << 16  # small slices: buffers stay in cache and get reused

    def __init__(self, out: Path, name: str, schema: pa.Schema) -> None:
        self.final = out / f"{name}.csv"
        self.tmp = out / f".{name}.csv.tmp"
        self.schema = schema
        self.file = self.tmp.open("wb")
        self.file.write((",".join(schema.names) + "\n").encode())
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        n = table.num_rows
        slices = [table.slice(i, self.SLICE_ROWS) for i in range(0, n, self.SLICE_ROWS)]
        if len(slices) > 1:
            for buf in ordered_map(render_csv_rows, slices):
                self.file.write(buf)
        elif slices:
            self.file.write(render_csv_rows(slices[0]))
        self.rows += n

    def close(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def workers() -> int:
    """Worker threads for parallel numpy / Arrow work (both release the GIL)."""
    return max(1, min(os.cpu_count() or 1, 4))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], ahead: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on worker threads, in order, with at most ``ahead`` in flight.

    Bounding the results that wait keeps memory flat and lets freed buffers be
    reused; the output order (and so every byte written) does not depend on it.
    """
    n = workers()
    ahead = ahead or 2 * n
    with ThreadPoolExecutor(max_workers=n) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class ParquetSink:
    """``<out>/<name>.parquet/part-NNNNN.parquet``, rolled every ``rows_per_part`` rows."""

    def __init__(
        self, out: Path, name: str, schema: pa.Schema, rows_per_part: int = 10_000_000
    ) -> None:
        self.final = out / f"{name}.parquet"
        self.tmp = out / f".{name}.parquet.tmp"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        self.schema = schema
        self.rows_per_part = rows_per_part
        self.writer: Any = None  # pyarrow.parquet.ParquetWriter (imported when needed)
        self.parts = 0
        self.part_rows = 0
        self.rows = 0

    def _roll(self) -> None:
        import pyarrow.parquet as pq

        if self.writer is not None:
            self.writer.close()
        path = self.tmp / f"part-{self.parts:05d}.parquet"
        self.writer = pq.ParquetWriter(
            str(path), self.schema, compression="snappy", store_schema=False
        )
        self.parts += 1
        self.part_rows = 0

    def write(self, table: pa.Table) -> None:
        if self.writer is None or self.part_rows >= self.rows_per_part:
            self._roll()
        assert self.writer is not None
        self.writer.write_table(table, row_group_size=1 << 20)
        self.part_rows += table.num_rows
        self.rows += table.num_rows

    def close(self) -> None:
        if self.writer is None:
            self._roll()  # an empty table still gets one (empty) part with its schema
        assert self.writer is not None
        self.writer.close()
        if self.final.is_dir():
            shutil.rmtree(self.final)
        elif self.final.exists():
            self.final.unlink()
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def open_sink(out: Path, name: str, fmt: str) -> Sink:
    schema = table_schema(name, fmt)
    return ParquetSink(out, name, schema) if fmt == "parquet" else CsvSink(out, name, schema)


# --------------------------------------------------------------------------
# Dimension tables (written once per run)
# --------------------------------------------------------------------------
def customers_table(v: Vocab) -> pa.Table:
    w = v.world
    idx = np.arange(w.n_customers)
    return v.table(
        "saas_customer_info",
        {
            "customer_id": v.strings(idx, v.customer_id),
            "industry": v.strings(w.customer_industry, v.constants["industry"]),
            "region": v.strings(w.customer_region, v.constants["region"]),
            "account_tier": v.strings(w.customer_tier, v.constants["account_tier"]),
            "contact_email": v.strings(idx, text_array(w.customer_contact)),
        },
    )


def sites_table(v: Vocab) -> pa.Table:
    w = v.world
    return v.table(
        "saas_sites",
        {
            "site_id": v.strings(np.arange(w.n_sites), v.site_id),
            "customer_id": v.strings(w.site_customer, v.customer_id),
        },
    )


def internal_table(v: Vocab) -> pa.Table:
    w = v.world
    ids = sorted(w.internal_reason)
    reasons = text_array([w.internal_reason[c] for c in ids])
    return v.table(
        "saas_internal_accounts",
        {
            "customer_id": v.strings(np.asarray(ids, dtype=np.int64), v.customer_id),
            "reason": v.strings(np.arange(len(ids)), reasons),
        },
    )


def users_table(v: Vocab, through_day: int) -> pa.Table:
    """One row per user-site assignment, by (registration_date, customer, site, e-mail)."""
    w = v.world
    user, site = w.assignment_user, w.assignment_site
    reg = w.user_registration[user]
    order = sort_order(
        [(reg - v.first_day, w.n_days - v.first_day), (site, w.n_sites), (user, w.n_users)]
    )
    order = order[reg[order] <= through_day]
    user, site, reg = user[order], site[order], reg[order]
    return v.table(
        "saas_users",
        {
            "customer_id": v.strings(w.user_customer[user], v.customer_id),
            "site_id": v.strings(site, v.site_id),
            "user_email": v.strings(user, v.user_email),
            "registration_date": v.dates(reg),
            "license_type": v.strings(w.user_license[user], v.constants["license_type"]),
        },
    )


# --------------------------------------------------------------------------
# Fact tables (from simulated codes; optionally a block's local dictionaries)
# --------------------------------------------------------------------------
def _prefix(day_sorted: np.ndarray, through_day: int) -> int:
    return int(np.searchsorted(day_sorted, through_day, side="right"))


def day_order(day: np.ndarray, n_days: int) -> np.ndarray:
    """Stable order by day: a linear-time radix sort when days fit in 16 bits."""
    if n_days < 2**15:
        return np.argsort(day.astype(np.int16), kind="stable")
    return np.argsort(day, kind="stable")


def activity_table(
    v: Vocab,
    day: np.ndarray,
    site: np.ndarray,
    user: np.ndarray,
    type_: np.ndarray,
    count: np.ndarray,
    through_day: int,
    local: tuple[int, int, int, int, int, int] | None = None,
) -> pa.Table:
    """Activity rows sorted by (date, customer, site, e-mail, type), cut at ``through_day``.

    The rows must arrive in (site, user, day, type) order, as ``simulate_block``
    emits them (blocks concatenated in customer order): a stable sort by day then
    gives the output order.
    """
    w = v.world
    order = day_order(day, w.n_days)
    order = order[: _prefix(day[order], through_day)]
    c0, c1, s0, s1, u0, u1 = local or (0, w.n_customers, 0, w.n_sites, 0, w.n_users)
    site_o = site[order]
    return v.table(
        "saas_user_activity",
        {
            "customer_id": v.strings(w.site_customer[site_o], v.customer_id, c0, c1),
            "user_email": v.strings(user[order], v.user_email, u0, u1),
            "site_id": v.strings(site_o, v.site_id, s0, s1),
            "date": v.dates(day[order]),
            "activity_type": v.strings(type_[order], v.constants["activity_type"]),
            "event_count": number_array(count[order]),
        },
    )


def storage_table(
    v: Vocab,
    day: np.ndarray,
    site: np.ndarray,
    nbytes: np.ndarray,
    through_day: int,
    local: tuple[int, int, int, int, int, int] | None = None,
) -> pa.Table:
    """Storage rows sorted by (date, customer, site), cut at ``through_day``."""
    w = v.world
    order = day_order(day, w.n_days)  # blocks come in site order, each in (day, site) order
    order = order[: _prefix(day[order], through_day)]
    c0, c1, s0, s1, _, _ = local or (0, w.n_customers, 0, w.n_sites, 0, w.n_users)
    site_o = site[order]
    return v.table(
        "saas_storage",
        {
            "customer_id": v.strings(w.site_customer[site_o], v.customer_id, c0, c1),
            "site_id": v.strings(site_o, v.site_id, s0, s1),
            "date": v.dates(day[order]),
            "storage_bytes": number_array(nbytes[order]),
        },
    )


def jobs_table(
    v: Vocab,
    day: np.ndarray,
    site: np.ndarray,
    type_: np.ndarray,
    minutes: np.ndarray,
    through_day: int,
    local: tuple[int, int, int, int, int, int] | None = None,
) -> pa.Table:
    """Job rows sorted by (date, customer, site, type, minutes), cut at ``through_day``."""
    w = v.world
    p = w.params
    order = sort_order(
        [
            (day, w.n_days),
            (site, w.n_sites),
            (type_, len(JOB_TYPES)),
            (minutes, p.job_max_minutes + 1),
        ]
    )
    order = order[: _prefix(day[order], through_day)]
    c0, c1, s0, s1, _, _ = local or (0, w.n_customers, 0, w.n_sites, 0, w.n_users)
    site_o = site[order]
    return v.table(
        "saas_background_jobs",
        {
            "customer_id": v.strings(w.site_customer[site_o], v.customer_id, c0, c1),
            "site_id": v.strings(site_o, v.site_id, s0, s1),
            "date": v.dates(day[order]),
            "background_job_type": v.strings(type_[order], v.constants["background_job_type"]),
            "background_job_min": number_array(minutes[order]),
        },
    )
