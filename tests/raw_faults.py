"""Broken raw files, one fault each, made from freshly generated files: the
catalogue tests/test_raw_files.py holds the pre-flight check and the loader
to (docs/data-quality.md, "Broken files", is the same table in words).

A ``Fault`` edits a generated file's lines (LF-separated UTF-8 text), then
writes them with a line ending, an encoding and a last byte-level change;
it says what the pre-flight check must answer (``stops`` and ``line``: the
problem's words and line; nothing for a file that loads) and which lines
the loader rejects.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Edit = Callable[[list[str]], list[str]]


def _same(lines: list[str]) -> list[str]:
    return lines


@dataclass(frozen=True)
class Fault:
    """How to corrupt one raw file, and what must become of it."""

    table: str
    edit: Edit = _same  # on the generated lines (LF-separated UTF-8 text)
    stops: str = ""  # words of the pre-flight problem; "" = the file loads
    line: int | None = None  # the line the problem names
    rejected: tuple[int, ...] = ()  # lines the loader rejects (a file that loads)
    ending: str = "\n"
    final_break: bool = True
    encoding: str = "utf-8"
    declared: str | None = None  # the table's declared encoding
    mangle: Callable[[bytes], bytes] | None = None  # bytes, after encoding

    def write(self, path: Path, lines: list[str]) -> None:
        text = self.ending.join(self.edit(lines)) + (self.ending if self.final_break else "")
        data = text.encode(self.encoding)
        path.write_bytes(self.mangle(data) if self.mangle else data)


def change(number: int, how: Callable[[str], str]) -> Edit:
    """Change physical line ``number`` (1 = the header)."""
    return lambda lines: [how(x) if i == number else x for i, x in enumerate(lines, 1)]


def insert(before: int, *new: str) -> Edit:
    """New lines, the first of them becoming physical line ``before``."""
    return lambda lines: [*lines[: before - 1], *new, *lines[before - 1 :]]


def every_line(how: Callable[[str], str]) -> Edit:
    return lambda lines: [how(x) for x in lines]


def chain(*edits: Edit) -> Edit:
    def edited(lines: list[str]) -> list[str]:
        for edit in edits:
            lines = edit(lines)
        return lines

    return edited


def quote_all(line: str) -> str:
    return ",".join('"' + v.replace('"', '""') + '"' for v in next(csv.reader([line])))


def drop_column(name: str) -> Edit:
    def dropped(lines: list[str]) -> list[str]:
        index = lines[0].split(",").index(name)
        return [",".join(v for i, v in enumerate(x.split(",")) if i != index) for x in lines]

    return dropped


def cut_last_line(lines: list[str]) -> list[str]:
    return [*lines[:-1], ",".join(lines[-1].split(",")[:3])[:-2]]


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def utf16_unmarked(data: bytes) -> bytes:
    return data[2:]  # UTF-16 without its byte-order mark


ACCENT = change(3, lambda x: x.replace("@", "\u00e9@", 1))
FAULTS = {
    # ------------------------------------------------------------ loads
    "UTF-8 byte-order mark": Fault("saas_customer_info", encoding="utf-8-sig"),
    "every field quoted, quoted commas and quotes": Fault(
        "saas_customer_info",
        chain(every_line(quote_all), change(4, lambda x: x.replace('","', '","Re,t""ail ', 1))),
    ),
    "CRLF line endings": Fault("saas_storage", ending="\r\n"),
    "CR line endings": Fault("saas_sites", ending="\r"),
    "no line break after the last line": Fault("saas_sites", final_break=False),
    "columns in another order": Fault(
        "saas_user_activity", every_line(lambda x: ",".join(reversed(x.split(","))))
    ),
    "header names padded, quoted, in another case": Fault(
        "saas_background_jobs", change(1, lambda x: ' "Customer_ID" ,SITE_ID' + x[19:])
    ),
    "header only": Fault("saas_internal_accounts", lambda lines: lines[:1]),
    "blank and whitespace-only lines": Fault("saas_storage", insert(6, "", "   "), rejected=(7,)),
    "rows with too few or too many fields": Fault(
        "saas_background_jobs", insert(11, "1,2,3", "a,b,c,d,e,f,g,h"), rejected=(11, 12)
    ),
    "stray quotes": Fault(
        "saas_users",
        chain(change(3, lambda x: x.replace("@", 'x"y@', 1)), change(8, lambda x: '"1"' + x)),
        rejected=(8,),
    ),
    "control characters": Fault("saas_users", change(4, lambda x: x.replace("@", "\x07\x1b@", 1))),
    "Latin-1, declared, over 1 MiB": Fault(
        "saas_user_activity", ACCENT, encoding="latin-1", declared="latin-1"
    ),
    "UTF-16, declared, over 1 MiB": Fault(
        "saas_user_activity", ACCENT, encoding="utf-16", declared="utf-16"
    ),
    # ------------------------------------------------------------ stops
    "0-byte file": Fault("saas_sites", stops="is empty (0 bytes", mangle=lambda _: b""),
    "Latin-1, not declared": Fault(
        "saas_customer_info", ACCENT, "is not valid UTF-8", 3, encoding="latin-1"
    ),
    "Latin-1 declared, under 1 MiB": Fault(
        "saas_customer_info", ACCENT, "1 MiB or less", encoding="latin-1", declared="latin-1"
    ),
    "Windows-1252 declared as Latin-1": Fault(
        "saas_user_activity",
        change(40, lambda x: x.replace("@", "\u20ac@", 1)),
        "Windows-1252",
        40,
        encoding="cp1252",
        declared="latin-1",
    ),
    "an encoding the loader cannot read": Fault(
        "saas_customer_info", stops="cannot read", declared="cp1252"
    ),
    "UTF-16, not declared": Fault("saas_sites", stops="is UTF-16", line=1, encoding="utf-16"),
    "UTF-16 without a byte-order mark": Fault(
        "saas_sites", stops="NUL byte", line=1, encoding="utf-16", mangle=utf16_unmarked
    ),
    "NUL byte": Fault("saas_background_jobs", change(7, lambda x: x + "\x00"), "NUL byte", 7),
    "gzip-compressed": Fault("saas_storage", stops="gzip-compressed", line=1, mangle=gzipped),
    "mixed line endings": Fault(
        "saas_user_activity",
        lambda lines: [x + "\r" if i < 100 else x for i, x in enumerate(lines)],
        "mixes line endings",
        101,
    ),
    "quote never closed": Fault(
        "saas_user_activity", change(10, lambda x: x.replace(",A", ',"A', 1)), "never closed", 10
    ),
    "quote never closed on the last line": Fault(
        "saas_users", lambda lines: [*lines[:-1], lines[-1] + ',"'], "never closed", -1
    ),
    "truncated last line": Fault(
        "saas_user_activity", cut_last_line, "looks truncated", -1, final_break=False
    ),
    "missing column": Fault(
        "saas_user_activity", drop_column("event_count"), "lacks event_count (", 1
    ),
    "renamed column": Fault(
        "saas_users",
        change(1, lambda x: x.replace("license_type", "licence")),
        "lacks license_type and has unexpected licence",
        1,
    ),
    "extra column": Fault("saas_sites", every_line(lambda x: x + ",x"), "has unexpected x (", 1),
    "repeated column": Fault(
        "saas_storage", change(1, lambda x: x.replace("storage_bytes", "Date")), "twice", 1
    ),
    "column without a name": Fault(
        "saas_background_jobs", change(1, lambda x: x.replace("site_id", "")), "no name", 1
    ),
    "semicolon-separated": Fault(
        "saas_customer_info", every_line(lambda x: x.replace(",", ";")), "not comma-separated", 1
    ),
}


def generated_lines(folder: Path, table: str) -> list[str]:
    return (folder / f"{table}.csv").read_text(encoding="utf-8").splitlines()


def combined(faults: list[Fault]) -> Fault:
    """One file carrying every fault of ``faults``."""
    return Fault(
        faults[0].table,
        chain(*(f.edit for f in faults)),
        rejected=tuple(sorted({n for f in faults for n in f.rejected})),
        ending=next((f.ending for f in faults if f.ending != "\n"), "\n"),
        final_break=all(f.final_break for f in faults),
        encoding=next((f.encoding for f in faults if f.encoding != "utf-8"), "utf-8"),
        declared=next((f.declared for f in faults if f.declared), None),
    )
