"""Ordered parallel map on worker threads (numpy and Arrow release the GIL)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def workers() -> int:
    """Worker threads for parallel numpy / Arrow work (both release the GIL)."""
    return max(1, min(os.cpu_count() or 1, 4))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], ahead: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on worker threads, in order, with at most ``ahead`` in flight.

    Bounding the results that wait keeps memory flat and lets freed buffers be
    reused; the output order (and so every byte written) does not depend on it.
    """
    n = workers()
    ahead = ahead or 2 * n
    with ThreadPoolExecutor(max_workers=n) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
