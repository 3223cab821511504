"""The tests' pre-imported dbt (tests/dbt_server.py) behaves as the ``dbt``
executable does: same output and exit code, the caller's folder and
environment, and a caller's signal or death reaches its dbt."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.dbt_runner import DBT
from tests import dbt_server

TIME = re.compile(r"\d\d:\d\d:\d\d")


def run(executable: str | Path, *args: str, cwd: Path) -> list[str]:
    """Exit code, then the output's last lines, log times taken out."""
    ran = subprocess.run(
        [str(executable), *args],
        cwd=cwd,
        env={**os.environ, "DBT_PROFILES_DIR": str(cwd / "profiles")},  # printed by debug
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = ran.stdout.splitlines()[-3:] + ran.stderr.splitlines()[-1:]
    return [str(ran.returncode), *(TIME.sub("", line) for line in lines)]


@pytest.fixture(scope="module")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dbt_server.running(tmp_path_factory.mktemp("server")) as executable:
        yield executable


def test_output_exit_code_and_folder_are_the_real_dbts(forked: Path, tmp_path: Path) -> None:
    for args in (("no-such-command",), ("debug", "--config-dir")):
        assert run(forked, *args, cwd=tmp_path) == run(DBT, *args, cwd=tmp_path)


def test_a_signal_or_a_killed_caller_ends_its_dbt(forked: Path, tmp_path: Path) -> None:
    server = int(subprocess.check_output(["pgrep", "-f", str(forked.parent / "dbt.sock")]))
    for kill in (signal.SIGTERM, signal.SIGKILL):
        # `dbt init` waits for its first answer
        caller = subprocess.Popen(
            [str(forked), "init"],
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)
        assert _children(server), "no dbt was started"
        caller.send_signal(kill)
        assert caller.wait(timeout=30) in (-kill, 128 + kill)
        deadline = time.monotonic() + 30
        while _children(server):
            assert time.monotonic() < deadline, f"{kill.name}: the dbt outlived its caller"
            time.sleep(0.1)


def _children(pid: int) -> list[str]:
    listed = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return listed.stdout.split()
