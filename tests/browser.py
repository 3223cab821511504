"""The headless Chromium of the browser tests (docs site, usage report).

One place decides which browser runs: ``$CHROMIUM_PATH`` when set, else
``chromium`` (or ``chromium-browser``) on ``PATH``. Playwright drives it;
Playwright's own browser download is never used. When there is none, the
browser tests are skipped with one line that says how to install it, except
under CI (``CI`` set), where a missing browser fails them: CI runs every
browser test (``make test`` installs Chromium there, as root).

    python -m tests.browser     # prints the browser's path; exit 1 (and how
                                # to install it) when there is none
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

EXECUTABLE_NAMES = ("chromium", "chromium-browser")
INSTALL_HINT = (
    "Chromium not found on PATH or $CHROMIUM_PATH: install it "
    "(Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH=/path/to/chromium"
)
# Headless, sandbox-free (containers run as root), and quiet: no update,
# sync or first-run traffic.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class ChromiumNotFoundError(LookupError):
    """No usable Chromium; the message says why and how to install one."""


def chromium_path() -> Path:
    """The Chromium executable to use; raises ChromiumNotFoundError without one."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ChromiumNotFoundError(f"CHROMIUM_PATH={configured} is not an executable file")
    for name in EXECUTABLE_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ChromiumNotFoundError(INSTALL_HINT)


def chromium_or_skip() -> Path:
    """For a test or fixture: the browser, else skip (fail under CI) in one line."""
    try:
        return chromium_path()
    except ChromiumNotFoundError as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing), pytrace=False)
        pytest.skip(str(missing))


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A launched Playwright ``Browser`` on this machine's Chromium."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    try:
        print(chromium_path())
    except ChromiumNotFoundError as missing:
        print(missing, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
