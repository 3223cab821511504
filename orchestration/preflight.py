"""Pre-flight check of the raw files, before anything loads them.

``dbt seed`` reads small CSV files through dbt-core's own parser before any
project code runs, so a broken file (e.g. not UTF-8) would stop it with a
Python traceback. The project's entry points (``make build``, the daily job,
the orchestrator's load step) call this check first, so that a broken file
stops the run with one line naming the file, the line and the problem.

Interface (stable; the implementation grows behind it):

* ``check_raw_files(folder)`` returns the problems found (empty = fine);
* ``python -m orchestration.preflight [--seeds-dir DIR]`` prints one line per
  problem and exits ``EXIT_BAD_FILE`` when there is any.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_BAD_FILE = 65  # EX_DATAERR: the input data is malformed

RAW_TABLES = (
    "saas_customer_info",
    "saas_sites",
    "saas_storage",
    "saas_users",
    "saas_user_activity",
    "saas_background_jobs",
    "saas_internal_accounts",
)


@dataclass(frozen=True)
class RawFileProblem:
    """A fault that stops the load: the file, the line (when known), the problem."""

    path: Path
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.problem}"


def check_raw_files(folder: Path) -> list[RawFileProblem]:
    """The faults of the raw CSV files in ``folder`` that would stop the load."""
    problems: list[RawFileProblem] = []
    for table in RAW_TABLES:
        path = folder / f"{table}.csv"
        if not path.exists():
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            problems.append(RawFileProblem(path, line, "is not valid UTF-8"))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.preflight",
        description="Check the raw CSV files before they are loaded.",
    )
    parser.add_argument("--seeds-dir", type=Path, default=REPO_ROOT / "seeds")
    args = parser.parse_args(argv)
    problems = check_raw_files(args.seeds_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_BAD_FILE if problems else 0


if __name__ == "__main__":
    sys.exit(main())
