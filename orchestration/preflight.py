"""Pre-flight check of the raw CSV files, before anything loads them.

``dbt seed`` reads seed files of 1 MiB or less through dbt-core's own parser
before any project code runs, so a file that is not UTF-8 stops it with a
Python traceback; other faults of a whole file (mixed line endings, a quote
that is never closed, a truncated transfer, a header that does not match)
would stop it with a database message, or load something wrong. The
project's entry points (``make build``, the daily job, the orchestrator's
load step) run this check first: a broken file stops the run with one line
naming the file, the line and the problem. docs/data-quality.md ("Broken
files") lists every fault and what becomes of it.

A file's encoding is UTF-8 (a byte-order mark is fine) unless declared per
raw table as a seed config (``config: {encoding: latin-1}`` in
``seeds/_seeds.yml`` or ``+encoding`` in ``dbt_project.yml``; the loader,
DuckDB's ``read_csv``, reads ``utf-8``, ``utf-16`` and ``latin-1``). The
columns a raw file must have are its seed's ``column_types`` (in
``seeds/_seeds.yml``), in any order.

Interface (stable):

* ``check_raw_files(folder, encodings=None)`` returns the problems found
  (empty = fine), at most one per file; ``encodings`` (table -> encoding)
  overrides the declared ones;
* ``python -m orchestration.preflight [--seeds-dir DIR] [--encoding TABLE=ENC]``
  prints one line per problem and exits ``EXIT_BAD_FILE`` when there is any.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.config import RAW_TABLES

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_BAD_FILE = 65  # EX_DATAERR: the input data is malformed

# What DuckDB's read_csv decodes without an extension (it has no Windows-1252).
LOADER_ENCODINGS = ("utf-8", "utf-16", "latin-1")
# dbt-core decodes seed files up to this size as UTF-8 (to checksum them).
DBT_DECODES_UP_TO = 1024 * 1024
CHUNK_CHARS = 1 << 24
ENDINGS = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}
# In a CRLF file, the first line break of another style.
FOREIGN_CRLF = re.compile("\r(?!\n)|(?<!\r)\n")
C1_CONTROL = re.compile("[\x80-\x9f]")
COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class RawFileProblem:
    """A fault that stops the load: the file, the line (when known), the problem."""

    path: Path
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.problem}"


class FileFaultError(Exception):
    """A file's first problem: its line (or None) and the words for it."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass
class _Text:
    """What one pass over a file's decoded text found."""

    first_line: str | None = None
    lines: int = 0  # line breaks seen
    ending: str | None = None  # the first line's ending
    foreign_ending_line: int | None = None
    bad_char_line: int | None = None  # first NUL (or C1 control in Latin-1)
    bad_char: str = ""
    has_quote: bool = False
    last_line: str = ""  # text after the last line break


def check_raw_files(
    folder: Path, encodings: Mapping[str, str] | None = None
) -> list[RawFileProblem]:
    """The faults of the raw CSV files in ``folder`` that would stop the load."""
    declared, columns = _declarations()
    declared.update(encodings or {})
    problems = []
    for table in RAW_TABLES:
        path = folder / f"{table}.csv"
        if not path.is_file():
            continue  # nothing to load is not a broken file
        try:
            _check_file(path, table, declared.get(table, "utf-8").lower(), columns.get(table))
        except FileFaultError as fault:
            problems.append(RawFileProblem(path, fault.line, fault.problem))
        except OSError as exc:
            problems.append(RawFileProblem(path, None, f"cannot be read: {exc.strerror}"))
    return problems


def _declarations() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The raw tables' declared encodings and columns (their seeds' configs).

    A seed's config may sit in dbt_project.yml (``+encoding``,
    ``+column_types``) or in its properties under seeds/ (``config:``); the
    properties win, as in dbt.
    """
    encodings: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    configs = [
        (name, {key.lstrip("+"): value for key, value in config.items()})
        for name, config in (project.get("seeds") or {}).get("saas_usage", {}).items()
        if isinstance(config, dict)
    ]
    for properties in sorted((REPO_ROOT / "seeds").glob("*.yml")):
        for seed in (yaml.safe_load(properties.read_text(encoding="utf-8")) or {}).get("seeds", []):
            configs.append((seed["name"], seed.get("config") or {}))
    for name, config in configs:
        if config.get("column_types"):
            columns[name] = list(config["column_types"])
        if config.get("encoding"):
            encodings[name] = config["encoding"]
    return encodings, columns


def _check_file(path: Path, table: str, encoding: str, columns: list[str] | None) -> None:
    """Raise FileFaultError with the file's first fault."""
    _check_start(path, table, encoding)
    text = _read_text(path, encoding)
    if encoding != "utf-8" and path.stat().st_size <= DBT_DECODES_UP_TO:
        _check_dbt_can_read(path, encoding)
    if text.bad_char_line is not None:
        raise FileFaultError(text.bad_char_line, text.bad_char)
    header = _header(text.first_line or "")
    _check_header(header, columns)
    if text.has_quote:
        _check_quotes(path, encoding)
    if text.foreign_ending_line is not None and text.ending is not None:
        raise FileFaultError(
            text.foreign_ending_line,
            f"ends differently from line 1 ({ENDINGS[text.ending]}): the file mixes line "
            "endings (exports joined together?); convert it to one style, e.g. with dos2unix",
        )
    fields = next(csv.reader([text.last_line]), [])
    if text.last_line and text.lines > 0 and len(fields) < len(header):
        raise FileFaultError(
            text.lines + 1,
            f"the last line has {len(fields)} of the header's {len(header)} fields and no line "
            "break after it: the file looks truncated (an interrupted transfer?); fetch it again",
        )


def _check_start(path: Path, table: str, encoding: str) -> None:
    """Faults seen in a file's first bytes or its declaration."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise FileFaultError(
            None,
            "is empty (0 bytes, not even a header line): the export probably "
            "failed; a file with only the header line loads as an empty table",
        )
    if encoding not in LOADER_ENCODINGS:
        raise FileFaultError(
            None,
            f"is declared as {encoding}, which the loader cannot read (it reads "
            f"{', '.join(LOADER_ENCODINGS)}): convert the file to UTF-8",
        )
    for magic, kind in COMPRESSED.items():
        if head.startswith(magic):
            raise FileFaultError(
                1, f"is {kind}-compressed, not a CSV text file: decompress it first"
            )
    if encoding != "utf-16" and head.startswith(UTF16_BOMS):
        raise FileFaultError(
            1,
            f"is UTF-16 (it starts with a UTF-16 byte-order mark): declare "
            f"`encoding: utf-16` for {table} or convert the file to UTF-8",
        )


def _read_text(path: Path, encoding: str) -> _Text:
    """One streaming pass over the decoded text; FileFaultError on a byte that does not decode."""
    text = _Text()
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        with path.open(encoding=codec, newline="") as handle:
            carry = ""
            while chunk := handle.read(CHUNK_CHARS):
                chunk = carry + chunk
                if chunk.endswith("\r"):  # keep a CRLF in one piece
                    chunk += handle.read(1)
                cut = max(chunk.rfind("\n"), chunk.rfind("\r")) + 1
                _scan_lines(chunk, cut, text, encoding == "latin-1")
                carry = chunk[cut:]
    except UnicodeDecodeError as exc:
        raise _undecodable(path, encoding) from exc
    if text.first_line is None:
        text.first_line = carry
    text.last_line = carry
    return text


def _scan_lines(chunk: str, end: int, text: _Text, latin1: bool) -> None:
    """Fold the whole lines of ``chunk[:end]`` into ``text`` (no copy of it is made)."""
    if end == 0:
        return
    if text.ending is None and (first := re.search("\r\n|\r|\n", chunk)):
        text.ending, text.first_line = first.group(), chunk[: first.start()]
    # one-character searches with str.find: ~10x faster than a regex
    if text.foreign_ending_line is None:
        if text.ending == "\r\n":
            found = FOREIGN_CRLF.search(chunk, 0, end)
            at = found.start() if found else -1
        else:
            at = chunk.find("\r" if text.ending == "\n" else "\n", 0, end)
        if at >= 0:
            text.foreign_ending_line = text.lines + _line_breaks(chunk, 0, at) + 1
    if text.bad_char_line is None and (at := _first_bad_char(chunk, end, latin1)) >= 0:
        text.bad_char_line = text.lines + _line_breaks(chunk, 0, at) + 1
        text.bad_char = (
            "contains a NUL byte: the file is binary or UTF-16, not a CSV text file"
            if chunk[at] == "\x00"
            else f"byte 0x{ord(chunk[at]):02X} is a control character in Latin-1: the "
            "file is probably Windows-1252, which the loader cannot read; convert it to "
            "UTF-8 (iconv -f cp1252 -t utf-8)"
        )
    text.has_quote = text.has_quote or chunk.find('"', 0, end) >= 0
    text.lines += _line_breaks(chunk, 0, end)


def _first_bad_char(chunk: str, end: int, latin1: bool) -> int:
    """Where the first NUL (or, in Latin-1, C1 control character) is, else -1."""
    at = chunk.find("\x00", 0, end)
    # Latin-1 decodes every byte: its C1 controls (0x80-0x9F) are Windows-1252's
    # printable characters (euro sign, curly quotes), which DuckDB cannot read.
    if latin1 and (found := C1_CONTROL.search(chunk, 0, at if at >= 0 else end)):
        return found.start()
    return at


def _line_breaks(text: str, start: int, end: int) -> int:
    breaks = text.count("\n", start, end)
    if text.find("\r", start, end) >= 0:
        breaks += text.count("\r", start, end) - text.count("\r\n", start, end)
    return breaks


def _undecodable(path: Path, encoding: str) -> FileFaultError:
    """The first line with bytes that do not decode, and what to do about it."""
    if encoding == "utf-16":  # its lines cannot be told apart without decoding
        return FileFaultError(
            None, "is not valid UTF-16 although declared so: check the declared encoding"
        )
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                byte = line[exc.start]
                return FileFaultError(
                    number,
                    f"byte 0x{byte:02X} is not valid UTF-8: the file looks Latin-1 or "
                    "Windows-1252; convert it to UTF-8, or declare its encoding (seed config "
                    "`encoding: latin-1`)",
                )
    return FileFaultError(None, "is not valid UTF-8: it ends inside a character (cut short?)")


def _check_dbt_can_read(path: Path, encoding: str) -> None:
    """dbt-core decodes small seed files as UTF-8 before any project code runs."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise FileFaultError(
            None,
            f"is {encoding} as declared, but dbt seed reads files of 1 MiB or less "
            f"as UTF-8 before loading them: convert it to UTF-8 "
            f"(iconv -f {encoding} -t utf-8)",
        ) from None


def _header(first_line: str) -> list[str]:
    """The header's names, trimmed of spaces and quotes (as the loader trims them)."""
    return [name.strip().strip('"') for name in next(csv.reader([first_line]), [])]


def _check_header(header: list[str], columns: list[str] | None) -> None:
    """Columns are matched by name (case-insensitive, any order), as the loader does."""
    names = [name.lower() for name in header]
    for number, name in enumerate(names, 1):
        if not name:
            raise FileFaultError(1, f"column {number} of the header has no name")
        if names.index(name) != number - 1:
            raise FileFaultError(1, f"column '{header[number - 1]}' appears twice in the header")
    if columns is None:
        return
    missing = [c for c in columns if c.lower() not in names]
    extra = [h for h in header if h.lower() not in {c.lower() for c in columns}]
    expected = f"expected {', '.join(columns)}, in any order"
    if len(header) == 1 and missing:
        raise FileFaultError(
            1,
            f"the header is a single column, {header[0]!r}: the file is not "
            f"comma-separated ({expected})",
        )
    faults = [f"lacks {', '.join(missing)}"] * bool(missing)
    faults += [f"has unexpected {', '.join(extra)}"] * bool(extra)
    if faults:
        raise FileFaultError(1, f"the header {' and '.join(faults)} ({expected})")


def _check_quotes(path: Path, encoding: str) -> None:
    """A quoted value running past its line: raw tables have no multi-line values,
    so it is a quote that is never closed (the reader would swallow what follows)."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    with path.open(encoding=codec, newline="") as handle:
        reader = csv.reader(handle, strict=False)
        start, last = 1, []
        try:
            for record in reader:
                if reader.line_num > start:  # the record ran over several lines
                    break
                start, last = reader.line_num + 1, record
            else:  # ... or the file ends inside its last quoted value
                if not any("\n" in value or "\r" in value for value in last):
                    return
                start -= 1
        except csv.Error:  # the value outgrew the csv module's field limit
            pass
    raise FileFaultError(
        start,
        "a quoted value opened on this line is never closed, or runs over several "
        "lines (raw tables have none; the loader would read the following lines "
        "into it): close or remove the quote",
    )


def _encoding_option(value: str) -> tuple[str, str]:
    table, sep, encoding = value.partition("=")
    if not sep or not table or not encoding:
        raise argparse.ArgumentTypeError(f"expected TABLE=ENCODING, got {value!r}")
    return table, encoding


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.preflight",
        description="Check the raw CSV files before they are loaded: one line per broken "
        "file (file:line: problem) on stderr, exit status 65 if there is any.",
    )
    parser.add_argument(
        "--seeds-dir",
        type=Path,
        default=REPO_ROOT / "seeds",
        help="folder of the raw CSV files (default: the project's seeds/)",
    )
    parser.add_argument(
        "--encoding",
        type=_encoding_option,
        action="append",
        default=[],
        metavar="TABLE=ENCODING",
        help="a raw table's encoding (utf-8, utf-16, latin-1), overriding its "
        "seed config; repeatable",
    )
    args = parser.parse_args(argv)
    problems = check_raw_files(args.seeds_dir, dict(args.encoding))
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_BAD_FILE if problems else 0


if __name__ == "__main__":
    sys.exit(main())
