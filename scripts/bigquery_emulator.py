"""Start, stop and check the local BigQuery API emulator (crucible-emulator).

The emulator serves the BigQuery REST API on loopback and runs BigQuery SQL on
DuckDB, so that the project can be built with dbt-bigquery without the cloud
(profile target ``bq_emulator``). It pins its own duckdb, so it lives in its
own virtualenv, ``.venv-bq-emulator`` (``requirements-bq-emulator.txt``)::

    python3 -m venv .venv-bq-emulator
    .venv-bq-emulator/bin/pip install -r requirements-bq-emulator.txt

Usage::

    python scripts/bigquery_emulator.py start    # background; waits until it answers
    python scripts/bigquery_emulator.py status   # exit 0 when it answers
    python scripts/bigquery_emulator.py stop     # by the PID in the PID file

The port defaults to ``$BQ_EMULATOR_PORT`` or 9052 (what ``profiles.yml``
reads too). State is in memory: a restart starts from an empty warehouse.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = PROJECT_ROOT / ".venv-bq-emulator"
DEFAULT_STATE_DIR = PROJECT_ROOT / ".bq-emulator"
DEFAULT_PORT = int(os.environ.get("BQ_EMULATOR_PORT", "9052"))
HOST = "127.0.0.1"  # loopback only: the emulator has no authentication
HEALTH_PATH = "/_crucible/health"


class EmulatorError(RuntimeError):
    """The emulator could not be started, reached or stopped."""


def health_url(port: int) -> str:
    return f"http://{HOST}:{port}{HEALTH_PATH}"


def endpoint(port: int) -> str:
    """The ``api_endpoint`` a BigQuery client or dbt profile uses."""
    return f"http://{HOST}:{port}"


def is_answering(port: int, timeout: float = 1.0) -> bool:
    """True when a BigQuery emulator answers its health check on ``port``."""
    try:
        with urllib.request.urlopen(health_url(port), timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    return body.get("status") == "ok" and body.get("dialect") == "bigquery"


def is_port_open(port: int) -> bool:
    """True when anything (emulator or not) accepts HTTP requests on ``port``."""
    try:
        urllib.request.urlopen(endpoint(port), timeout=1.0).close()
    except urllib.error.HTTPError:
        return True  # something answered, with an error status
    except OSError:
        return False
    return True


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def is_emulator_process(pid: int) -> bool:
    """True when ``pid`` is alive and is a crucible server (not a reused PID)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():  # no procfs (macOS): trust the PID file
        return True
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return False
    return any(b"crucible" in arg for arg in args) and b"serve" in args


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(
    port: int = DEFAULT_PORT,
    pidfile: Path | None = None,
    log: Path | None = None,
    venv: Path = DEFAULT_VENV,
    timeout: float = 30.0,
) -> int:
    """Start the emulator in the background and wait until it answers.

    Returns the PID. Raises EmulatorError when the emulator venv is missing, the
    port is taken, or the server does not answer within ``timeout`` seconds.
    """
    pidfile = pidfile or DEFAULT_STATE_DIR / f"emulator-{port}.pid"
    log = log or DEFAULT_STATE_DIR / f"emulator-{port}.log"
    executable = venv / "bin" / "crucible"
    if not executable.exists():
        raise EmulatorError(
            f"{executable} not found: create the emulator venv with\n"
            f"  python3 -m venv {venv}\n"
            f"  {venv}/bin/pip install -r {PROJECT_ROOT / 'requirements-bq-emulator.txt'}"
        )
    old_pid = read_pid(pidfile)
    if old_pid is not None and is_emulator_process(old_pid):
        if is_answering(port):
            return old_pid
        raise EmulatorError(f"PID {old_pid} from {pidfile} is running but not answering")
    if is_port_open(port):
        raise EmulatorError(f"port {port} is already in use by another process")

    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [str(executable), "serve", "--dialect", "bigquery"]
    command += ["--host", HOST, "--port", str(port)]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the caller; stopped by PID
            cwd=PROJECT_ROOT,
        )
    pidfile.write_text(f"{process.pid}\n")
    _wait_until_answering(process, port, pidfile, log, timeout)
    return process.pid


def _wait_until_answering(
    process: subprocess.Popen[bytes], port: int, pidfile: Path, log: Path, timeout: float
) -> None:
    """Return once the started emulator answers; EmulatorError if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pidfile.unlink(missing_ok=True)
            raise EmulatorError(
                f"emulator exited with code {process.returncode} before answering; "
                f"log {log}:\n{_log_tail(log)}"
            )
        if is_answering(port):
            return
        time.sleep(0.1)
    _terminate(process.pid)
    pidfile.unlink(missing_ok=True)
    raise EmulatorError(
        f"emulator did not answer {health_url(port)} within {timeout:.0f}s; "
        f"log {log}:\n{_log_tail(log)}"
    )


def _terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop(pidfile: Path | None = None, port: int = DEFAULT_PORT) -> bool:
    """Stop the emulator whose PID is in ``pidfile``. False when none was running."""
    pidfile = pidfile or DEFAULT_STATE_DIR / f"emulator-{port}.pid"
    pid = read_pid(pidfile)
    if pid is None:
        return False
    running = is_emulator_process(pid)
    if running:
        _terminate(pid)
    pidfile.unlink(missing_ok=True)
    return running


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Start, stop or check the local BigQuery API emulator (crucible-emulator)."
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="loopback port (default: $BQ_EMULATOR_PORT or 9052)",
    )
    parser.add_argument(
        "--pidfile",
        type=Path,
        help="PID file (default: .bq-emulator/emulator-<port>.pid)",
    )
    parser.add_argument(
        "--log",
        type=Path,
        help="server log (default: .bq-emulator/emulator-<port>.log)",
    )
    parser.add_argument(
        "--venv",
        type=Path,
        default=DEFAULT_VENV,
        help="virtualenv with crucible-emulator[server] (default: .venv-bq-emulator)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the emulator to answer (default: 30)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    pidfile: Path = args.pidfile or DEFAULT_STATE_DIR / f"emulator-{args.port}.pid"
    if args.command == "start":
        started = time.monotonic()
        try:
            pid = start(args.port, pidfile, args.log, args.venv, args.timeout)
        except EmulatorError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        elapsed = time.monotonic() - started
        print(f"BigQuery emulator PID {pid} answering at {endpoint(args.port)} ({elapsed:.1f}s)")
        return 0
    if args.command == "stop":
        if stop(pidfile, args.port):
            print(f"BigQuery emulator stopped ({pidfile})")
        else:
            print(f"no BigQuery emulator running from {pidfile}")
        return 0
    live_pid = read_pid(pidfile)
    if is_answering(args.port):
        ours = live_pid is not None and is_emulator_process(live_pid)
        owner = f"PID {live_pid}" if ours else "not ours"
        print(f"BigQuery emulator answering at {endpoint(args.port)} ({owner})")
        return 0
    print(f"no BigQuery emulator answering at {endpoint(args.port)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
