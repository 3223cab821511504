"""Arrow columns of the output tables: text and number arrays, schemas, sort orders, and
``Vocab``, the Arrow dictionaries of a world's strings.

Every string column is dictionary-encoded; numbers are ``int64`` for CSV and their
decimal text for Parquet, so that both formats hold the same text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.config import (
    ACCOUNT_TIERS,
    ACTIVITY_TYPES,
    INDUSTRIES,
    INTERNAL_ACCOUNTS,
    JOB_TYPES,
    LICENSE_TYPES,
    REGIONS,
    TABLE_COLUMNS,
)
from generator.world import World

STRING = pa.dictionary(pa.int32(), pa.string())
INTEGER_COLUMNS = {"storage_bytes", "event_count", "background_job_min"}


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
        _check_plain(world.customer_contact + [reason for _, reason in INTERNAL_ACCOUNTS])
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
