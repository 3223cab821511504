"""The report's one exception and its exit codes."""

from __future__ import annotations

EXIT_OK = 0
EXIT_WAREHOUSE = 1  # the warehouse or the project's artifacts could not be read
EXIT_USAGE = 2  # bad options, profile or project configuration


class ReportError(Exception):
    """The report cannot be built: a one-line message and the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = EXIT_WAREHOUSE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
