"""Orchestrate a generator run: build entities, simulate blocks, write tables and manifest."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from generator.columns import Vocab
from generator.config import DEFAULT_PARAMS, TABLE_COLUMNS, Params
from generator.entities import build_world
from generator.manifest import write_manifest
from generator.simulate import Block, block_ranges, simulate_block
from generator.sinks import Sink, open_sink
from generator.tables import (
    Local,
    Rows,
    activity_table,
    customers_table,
    internal_table,
    jobs_table,
    sites_table,
    storage_table,
    users_table,
)
from generator.threads import ordered_map
from generator.world import World

# Above this many customers the run streams block by block (bounded memory) instead
# of sorting each table as a whole.
MAX_IN_MEMORY_CUSTOMERS = 1024
# A streamed run writes consecutive blocks together once they hold this many rows.
CHUNK_ACTIVITY_ROWS = 2_000_000


@dataclass(frozen=True)
class Options:
    """A validated set of generator options."""

    seed: int
    scale: str
    customers: int
    start: dt.date
    end: dt.date
    out: Path
    fmt: str
    through: dt.date | None = None
    quiet: bool = False
    params: Params = DEFAULT_PARAMS


@dataclass
class Summary:
    out: Path
    fmt: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    streamed: bool = False


def _concat(blocks: list[Block], table: str) -> Rows:
    """The rows of one fact table (Block.activity, .storage or .jobs) over blocks."""
    columns = zip(*(getattr(b, table) for b in blocks), strict=True)
    return tuple(np.concatenate(column) for column in columns)


def _blocks(world: World, progress: bool) -> Iterator[Block]:
    """Simulate the blocks in order, a few at a time on worker threads.

    numpy releases the GIL in its array work, so blocks overlap on several cores;
    each block has its own random stream, so the result does not depend on the
    threads.
    """
    ranges = list(enumerate(block_ranges(world.n_customers, world.params.customers_per_block)))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(ranges), desc="generating", unit="block", smoothing=0.1)
    for block in ordered_map(lambda r: simulate_block(world, r[0], r[1]), ranges):
        if bar is not None:
            bar.update(1)
        yield block
    if bar is not None:
        bar.close()


def run(opts: Options) -> Summary:
    """Generate the data set described by ``opts`` and write it to ``opts.out``."""
    t0 = time.perf_counter()
    world = build_world(opts.seed, opts.customers, opts.start, opts.end, opts.params)
    through_day = (opts.through - opts.start).days if opts.through else world.n_days - 1
    streamed = opts.scale == "large" or world.n_customers > MAX_IN_MEMORY_CUSTOMERS
    vocab = Vocab(world, opts.fmt)
    summary = Summary(out=opts.out, fmt=opts.fmt, streamed=streamed)

    sinks: dict[str, Sink] = {}
    extra: list[Sink] = []
    try:
        for name in TABLE_COLUMNS:
            sinks[name] = open_sink(opts.out, name, opts.fmt)
        sinks["saas_customer_info"].write(customers_table(vocab))
        sinks["saas_sites"].write(sites_table(vocab))
        sinks["saas_internal_accounts"].write(internal_table(vocab))
        sinks["saas_users"].write(users_table(vocab, through_day))

        site_rows = np.zeros(world.n_sites, dtype=np.int64)
        if streamed:
            group: list[Block] = []
            for b in _blocks(world, progress=not opts.quiet):
                group.append(b)
                site_rows += b.site_activity_rows
                if sum(len(g.activity[0]) for g in group) >= CHUNK_ACTIVITY_ROWS:
                    _write_chunk(world, vocab, sinks, group, through_day)
                    group = []
            if group:
                _write_chunk(world, vocab, sinks, group, through_day)
        else:
            blocks = list(_blocks(world, progress=False))
            _write_facts(vocab, sinks, blocks, through_day, None)
            for b in blocks:
                site_rows += b.site_activity_rows
            del blocks
        if opts.fmt != "csv":
            # The lookup of internal accounts is a dbt seed (loaded by `dbt seed`,
            # which reads CSV) whatever the format of the raw tables: written as
            # CSV too, so that the folder holds every table dbt reads.
            lookup = open_sink(opts.out, "saas_internal_accounts", "csv")
            extra.append(lookup)
            lookup.write(internal_table(vocab))
        for sink in [*sinks.values(), *extra]:
            sink.close()
    except BaseException:
        for sink in [*sinks.values(), *extra]:
            sink.abort()
        raise
    write_manifest(world, opts.out, manifest_options(opts), site_rows)
    summary.rows = {name: sink.rows for name, sink in sinks.items()}
    summary.seconds = time.perf_counter() - t0
    return summary


def _write_chunk(
    world: World, vocab: Vocab, sinks: dict[str, Sink], group: list[Block], through_day: int
) -> None:
    """Write consecutive blocks as one sorted chunk with chunk-local dictionaries."""
    c0, c1 = group[0].customers[0], group[-1].customers[1]
    local = (
        c0,
        c1,
        int(world.customer_site_start[c0]),
        int(world.customer_site_start[c1]),
        int(world.customer_user_start[c0]),
        int(world.customer_user_start[c1]),
    )
    _write_facts(vocab, sinks, group, through_day, local)


def _write_facts(
    vocab: Vocab,
    sinks: dict[str, Sink],
    blocks: list[Block],
    through_day: int,
    local: Local,
) -> None:
    activity, storage, jobs = (_concat(blocks, table) for table in ("activity", "storage", "jobs"))
    sinks["saas_user_activity"].write(activity_table(vocab, activity, through_day, local))
    sinks["saas_storage"].write(storage_table(vocab, storage, through_day, local))
    sinks["saas_background_jobs"].write(jobs_table(vocab, jobs, through_day, local))


def manifest_options(opts: Options) -> dict[str, object]:
    """The options block of the manifest."""
    return {
        "seed": opts.seed,
        "scale": opts.scale,
        "customers": opts.customers,
        "start": opts.start.isoformat(),
        "end": opts.end.isoformat(),
        "through": opts.through.isoformat() if opts.through else None,
    }


__all__ = ["Options", "Summary", "run"]
