"""Starting and stopping runtimes leaves nothing behind: 1,000 runtimes
(procs=1) in one process grow its RSS by at most 2 MiB and leave open files,
threads, mappings and /dev/shm as they were. (Each kept about 24 KiB before:
the cache of functions copied by value kept their closures, and through
their channels every ended arena with its block caches.)

Runs in a private /dev/shm (sandbox.private_shm), in a fresh process."""

from __future__ import annotations

import gc
import os
import threading

import psutil
import pytest
from sandbox import private_shm, shm_names

import parago as pg

pytestmark = pytest.mark.timeout(120)

RUNS = 1000


def busy_main(i):
    """A little of everything that allocates: goroutines of closures (copied
    by value), channels, a large value, sync, atomics, contexts, timers."""
    ch = pg.chan(4)
    wg = pg.WaitGroup()
    mu = pg.Mutex()
    count = pg.atomic.Int64()

    def worker(n):
        with mu:
            count.add(n)
        ch.send([n] * 10)
    for n in range(3):
        wg.go(worker, n)
    got = sorted(ch.recv()[0] for _ in range(3))
    wg.wait()
    ctx, cancel = pg.context.with_timeout(pg.context.background(), 60)
    pg.go(lambda: ch.send(b"v" * 100_000))
    pg.select(ch.recv, ctx.done().recv, pg.after(60).recv)
    cancel()
    pg.sleep(0)
    return got == [0, 1, 2] and count.load() == 3


def snapshot():
    gc.collect()
    me = psutil.Process()
    with open("/proc/self/maps") as f:
        maps = len(f.readlines())
    return me.memory_info().rss, me.num_fds(), threading.active_count(), maps, shm_names()


@private_shm()
def test_a_thousand_runtimes_leave_nothing_behind():
    for i in range(50):                            # imports, caches, allocator arenas settle
        assert pg.run(busy_main, i, procs=1)
    rss, fds, threads, maps, shm = snapshot()
    assert shm == set()
    for i in range(RUNS):
        assert pg.run(busy_main, i, procs=1)
    rss2, fds2, threads2, maps2, shm2 = snapshot()
    grew = rss2 - rss
    print(f"rss {rss >> 10} -> {rss2 >> 10} KiB (+{grew >> 10} KiB over {RUNS} runs)")
    assert grew <= 2 << 20, f"RSS grew {grew >> 10} KiB over {RUNS} runtimes"
    assert (fds2, threads2, shm2) == (fds, threads, shm)
    # Python's and libc's allocators map and unmap arenas as they please: a
    # leak per runtime would add a thousand mappings, not one or two.
    assert maps2 - maps <= 2, f"{maps2 - maps} more mappings after {RUNS} runtimes"
    assert os.listdir("/dev/shm") == []
