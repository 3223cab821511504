"""A pre-imported dbt for the test session: each dbt command forks from it.

The suite runs about a hundred dbt commands, and each new ``dbt`` process
spends 2.5-3 s of CPU importing dbt and its adapters before it does anything:
about a quarter of the suite's CPU on a 2-core machine, and then about 1 s
more compiling what dbt compiles on first use (``_compile_ahead``). This
server does both once; for each command it forks a child that runs dbt's
own command line (``dbt.cli.main.cli``, what the ``dbt`` executable runs)
in the caller's folder, environment, stdin, stdout and stderr (passed over
the socket), and reports the exit code. Every command is still a process of
its own: dbt's and the adapter's per-process state (dbt-duckdb's open
database, the event logger) starts fresh from the imported modules, and a
crash stays in it.

``python tests/dbt_server.py SOCKET`` serves; ``running(FOLDER)`` starts a
server and yields a ``dbt`` executable that forwards to it. tests/conftest.py
starts one per pytest worker and points ``SAAS_DBT_EXECUTABLE``
(orchestration/dbt_runner.py) at that executable, so the tests, the daily
job's processes and the orchestrator's runs all use it. The benchmarks time
the real ``dbt`` (``dbt_runner.DBT``).

Single-threaded on purpose: forking a process that runs other threads can
leave a lock held in the child.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

_LENGTH = struct.Struct("!I")


def _receive_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client went away mid-request")
        data += chunk
    return data


def _run_dbt_in_child(fds: list[int], request: dict) -> None:
    """In the forked child: become the caller's ``dbt`` process, run, exit."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the server's own handler
    for fd, standard in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, standard)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["dbt", *request["args"]]
    code: object = 1
    try:
        from dbt.cli.main import cli

        code = cli.main(args=request["args"], prog_name="dbt")
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # what the interpreter would print, then exit 1
        traceback.print_exc()
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    atexit._run_exitfuncs()  # dbt-duckdb closes its database there
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _start(connection: socket.socket, listener: socket.socket) -> int:
    """Read one request (the caller's three standard streams, then its
    command as JSON) and fork its dbt process; the child's pid."""
    _, fds, _, _ = socket.recv_fds(connection, 1, 3)
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ConnectionError("the client sent no standard streams")
    (size,) = _LENGTH.unpack(_receive_exactly(connection, _LENGTH.size))
    request = json.loads(_receive_exactly(connection, size))
    pid = os.fork()
    if pid == 0:
        listener.close()
        connection.close()
        _run_dbt_in_child(fds, request)
    for fd in fds:
        os.close(fd)
    return pid


# The classes dbt validates against a JSON schema in a command (found by
# wrapping `dbtClassMixin.validate` over parse, build, seed, ls, docs generate
# and source freshness): dbt builds each schema on first use, in every process.
VALIDATED_CLASSES = {
    "dbt.contracts.project.Project",
    "dbt.contracts.project.ProjectFlags",
    "dbt.contracts.project.ProfileConfig",
    "dbt.contracts.project.PackageConfig",
    "dbt.contracts.project.Configuration",
    "dbt.contracts.selection.SelectorFile",
    "dbt.artifacts.resources.v1.config.Hook",
    "dbt_common.contracts.constraints.ColumnLevelConstraint",
    "dbt.task.test.TestResultData",
    "dbt.adapters.duckdb.credentials.DuckDBCredentials",
}


def _compile_ahead() -> int:
    """Do once, before the forks, what each dbt process would do on first use:
    dbt's dataclasses generate their to/from dict and msgpack code lazily
    (mashumaro), and dbt builds the JSON schemas it validates its project and
    profile with. About 1.1 s of CPU per command (`dbt parse` of the demo
    1.9-2.1 -> 0.8 s, `dbt ls` 2.0-2.4 -> 0.8-0.9 s); the warm-up takes
    about 5 s.

    A lazy method compiles itself when first called; called here with no
    value (None, or an instance with no fields), it compiles, then fails on
    the value before it builds anything (a `Manifest` built from `{}` would
    start multiprocessing's resource tracker in the server). One that cannot
    compile here stays lazy, as it was. The number compiled."""
    from dbt_common.dataclass_schema import dbtClassMixin

    classes, pending = set(), [dbtClassMixin]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in classes:
                classes.add(subclass)
                pending.append(subclass)
    compiled = 0
    for cls in sorted(classes, key=lambda c: (c.__module__, c.__qualname__)):
        for name, method in list(vars(cls).items()):
            code = getattr(getattr(method, "__func__", method), "__code__", None)
            if code is None or "CodeBuilder" not in code.co_names:  # compiled already
                continue
            with contextlib.suppress(Exception):
                if name.startswith(("from_", "__mashumaro_from_")):
                    getattr(cls, name)(None)
                else:  # an instance method; an abstract class has none to call
                    getattr(cls, name)(object.__new__(cls))
            compiled += vars(cls)[name] is not method
        if f"{cls.__module__}.{cls.__qualname__}" in VALIDATED_CLASSES:
            cls.json_schema()
    return compiled


def serve(path: Path) -> None:
    """Import dbt, then fork one child per request until terminated."""
    # Not the BigQuery adapter: importing it starts gRPC's threads, which a
    # fork cannot carry. Its commands import it themselves, as they would.
    import dbt.adapters.duckdb
    import dbt.cli.main
    import dbt.task.build  # noqa: F401  (and the tasks it runs: run, test, seed)

    compiled = _compile_ahead()
    print(f"dbt imported; {compiled} serialisers compiled ahead", flush=True)
    assert len(os.listdir("/proc/self/task")) == 1, "the imports or the warm-up started a thread"
    children = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
    assert not children, f"the imports or the warm-up started processes: {children}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    running: dict[int, socket.socket] = {}
    abandoned: set[int] = set()  # their callers are gone
    while True:
        watched = [conn for pid, conn in running.items() if pid not in abandoned]
        readable, _, _ = select.select([listener, *watched], [], [], 0.05)
        for ready in readable:
            if ready is listener:
                connection, _ = listener.accept()
                try:
                    running[_start(connection, listener)] = connection
                except (OSError, ValueError):  # a caller gone before it asked
                    connection.close()
            else:
                pid = next(pid for pid, conn in running.items() if conn is ready)
                if not _forward_signals(ready, pid):
                    abandoned.add(pid)
        for pid in _report_finished(running):
            abandoned.discard(pid)


def _forward_signals(connection: socket.socket, pid: int) -> bool:
    """Pass on the signals the caller received. False if the caller is gone
    (killed, timed out): its dbt is killed, as the caller's death would have."""
    try:
        received = connection.recv(64)
    except OSError:  # reset by a caller that died
        received = b""
    for number in received or [signal.SIGKILL]:
        os.kill(pid, number)  # not reaped yet: the pid is still the child's
    return bool(received)


def _report_finished(running: dict[int, socket.socket]) -> list[int]:
    """Send each finished child's exit code to its caller; their pids."""
    finished = []
    while running:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            break
        connection = running.pop(pid)
        with contextlib.suppress(OSError):  # the caller may be gone
            connection.sendall(str(os.waitstatus_to_exitcode(status)).encode())
        connection.close()
        finished.append(pid)
    return finished


def call(path: str, args: list[str]) -> int:
    """Run ``dbt ARGS`` through the server at ``path``; dbt's exit code."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    socket.send_fds(connection, [b"r"], [0, 1, 2])
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # dbt's to handle
        signal.signal(number, lambda received, _: connection.send(bytes([received])))
    body = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    connection.sendall(_LENGTH.pack(len(body)) + body)
    reply = b""
    while chunk := connection.recv(4096):
        reply += chunk
    code = int(reply) if reply else 1
    return code if code >= 0 else 128 - code  # killed by a signal: as a shell reports it


@contextlib.contextmanager
def running(folder: Path) -> Iterator[Path]:
    """A server for the duration of the block; yields its ``dbt`` executable."""
    server = folder / "dbt.sock"
    log = folder / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, __file__, str(server)], stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 180
        while not server.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dbt server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield write_client(server, folder / "dbt")
    finally:
        process.terminate()
        process.wait(timeout=30)


def write_client(server: Path, executable: Path) -> Path:
    """A ``dbt`` executable at ``executable`` that runs commands through ``server``."""
    executable.write_text(
        f"#!{sys.executable}\n"
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('dbt_server', {__file__!r})\n"
        "server = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(server)\n"
        f"sys.exit(server.call({str(server)!r}, sys.argv[1:]))\n"
    )
    executable.chmod(0o755)
    return executable


if __name__ == "__main__":
    del sys.path[0]  # this folder, which a real dbt's path would not have
    serve(Path(sys.argv[1]))
