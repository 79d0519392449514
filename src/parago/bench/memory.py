"""The seeds' goroutine-memory table: how much memory M blocked goroutines take.

Go's version starts M goroutines that each block receiving on a channel nobody
sends to and compares the process's memory before and after. Here: parago on
procs=1 (everything in P0, so P0's memory is all of it; the shared-memory
arena's pages count too, they are P0's alone), beside gevent greenlets blocked
on an Event and asyncio tasks awaiting a Future, each in its own interpreter.

Memory is read with psutil after a gc: USS (pages only this process maps) and
RSS. A warm-up spawns and finishes one goroutine first, so one-time costs
(first greenlet, first wait record, code paths) are not charged to the M.
Every kernel returns {"m", "uss", "rss"} — bytes added by the M goroutines.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    import asyncio

    import parago as pg

# The seeds' table for Go (NumGoroutine - 1 -> kB of runtime.MemStats.Sys),
# another machine: for orientation only.
GO_MEMORY_KB = {10: 65, 100: 327, 1000: 4784, 10_000: 30_474, 100_000: 262_300}


def _memory() -> tuple[int, int]:
    gc.collect()
    info = psutil.Process().memory_full_info()
    return info.uss, info.rss


def _result(m: int, before: tuple[int, int], after: tuple[int, int]) -> dict[str, int]:
    return {"m": m, "uss": after[0] - before[0], "rss": after[1] - before[1]}


def _started(ready: pg.Chan[None]) -> None:
    ready.send(None)


def _blocked(ready: pg.Chan[None], never: pg.Chan[None]) -> None:
    ready.send(None)                 # Go's wg.Done()
    never.recv()                     # nobody ever sends: blocked until the run ends


def parago_memory(m: int = 10000) -> dict[str, int]:
    import parago as pg

    def main() -> dict[str, int]:
        ready, never = pg.chan(), pg.chan()
        pg.go(_started, ready)
        ready.recv()
        pg.sleep(0.01)               # warm-up goroutine finished
        before = _memory()
        for _ in range(m):
            pg.go(_blocked, ready, never)
        for _ in range(m):           # Go's wg.Wait(): every goroutine has started
            ready.recv()
        pg.sleep(0.01)
        return _result(m, before, _memory())   # main returns: the M are abandoned
    return pg.run(main, procs=1)


def gevent_memory(m: int = 10000) -> dict[str, int]:
    import gevent
    from gevent.event import Event
    gate = Event()
    gevent.spawn(lambda: None).join()
    before = _memory()
    greenlets = [gevent.spawn(gate.wait) for _ in range(m)]
    gevent.sleep(0)                  # each runs until it blocks on the Event
    after = _memory()
    assert not any(g.ready() for g in greenlets)
    gate.set()
    gevent.joinall(greenlets)
    return _result(m, before, after)


def asyncio_memory(m: int = 10000) -> dict[str, int]:
    import asyncio

    async def waiter(fut: asyncio.Future[None]) -> None:
        await fut

    async def main() -> dict[str, int]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await asyncio.create_task(asyncio.sleep(0))
        before = _memory()
        tasks = [asyncio.create_task(waiter(fut)) for _ in range(m)]
        await asyncio.sleep(0)       # each runs until it awaits the Future
        after = _memory()
        assert not any(t.done() for t in tasks)
        fut.set_result(None)
        await asyncio.gather(*tasks)
        return _result(m, before, after)
    return asyncio.run(main())
