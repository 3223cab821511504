"""Write Arrow tables as CSV or Parquet files (the sinks of a run).

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
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv

from generator.columns import table_schema
from generator.threads import ordered_map


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
