"""Measuring one child process and everything it starts: wall, CPU, peak memory.

Peak memory is the larger of (a) the summed resident memory of the process
tree, polled every 50 ms with psutil, and (b) the largest single process's
maximum resident set size from the kernel (``os.wait4``), which a poll can
miss between two samples. The kernel's figure of a child starts at its
parent's own peak (``exec`` keeps the larger high-water mark of the memory
it replaces), so the driver keeps itself small and runs heavy work in
child processes. CPU time (user + system of the child and its
reaped children) does not grow when other processes compete for the
machine; wall time does.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1024 * 1024


class StepFailedError(RuntimeError):
    """A measured command exited with an error."""


@dataclass
class Measured:
    """One finished child process: its exit code, times, memory and output."""

    command: list[str]
    returncode: int
    wall_s: float
    cpu_s: float
    tree_peak_mb: float
    largest_process_mb: float
    load_1m: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_mb(self) -> float:
        return max(self.tree_peak_mb, self.largest_process_mb)

    def row(self) -> dict[str, Any]:
        """The figures of the run, for the results file."""
        return {
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 2),
            "peak_mb": round(self.peak_mb, 1),
            "tree_peak_mb": round(self.tree_peak_mb, 1),
            "largest_process_mb": round(self.largest_process_mb, 1),
            "load_1m_at_start": round(self.load_1m, 2),
            "command": " ".join(self.command),
        }


class TreeWatcher(threading.Thread):
    """Polls the summed resident memory of a process and its descendants."""

    def __init__(self, pid: int, poll_s: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.poll_s = poll_s
        self.peak_bytes = 0
        self.finished = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.finished.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue  # ended between listing and reading
            self.peak_bytes = max(self.peak_bytes, total)
            self.finished.wait(self.poll_s)


def measure(
    command: Sequence[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    poll_s: float = 0.05,
) -> Measured:
    """Run ``command`` to its end; its times, peak memory and output (stdout + stderr)."""
    load_1m = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        watcher = TreeWatcher(process.pid, poll_s)
        watcher.start()
        # reaped with wait4, which reports the largest process's peak RSS
        # (Popen.wait would reap it through waitpid and lose the rusage)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        watcher.finished.set()
        watcher.join()
        out.seek(0)
        output = out.read().decode(errors="replace")
    return Measured(
        command=list(command),
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        tree_peak_mb=watcher.peak_bytes / MB,
        largest_process_mb=usage.ru_maxrss / 1024,  # kB on Linux
        load_1m=load_1m,
        output=output,
    )


def must(run: Measured, what: str) -> Measured:
    """``run`` if it succeeded; else its output's tail, and StepFailedError."""
    if not run.ok:
        raise StepFailedError(
            f"{what} failed (exit {run.returncode}): {' '.join(run.command)}\n{run.output[-4000:]}"
        )
    return run
