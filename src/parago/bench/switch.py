"""The seeds' BenchmarkContextSwitch: two goroutines hand a token over an
unbuffered channel, in one process; beside raw greenlet.switch, gevent's
Channel and asyncio.Queue. Each returns seconds per handoff."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import parago as pg

GO_REFERENCE_NS = 131.6     # the seed's figure for Go (i7-1255U), for orientation only


def _sender(c: pg.Chan[None], begin: pg.Chan[None], n: int) -> None:
    begin.recv()
    token = None
    for _ in range(n):
        c.send(token)


def _receiver(c: pg.Chan[None], begin: pg.Chan[None], n: int, wg: pg.Chan[bool]) -> None:
    begin.recv()
    for _ in range(n):
        c.recv()
    wg.send(True)


def parago_handoff(n: int = 200000) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        begin, c, done = pg.chan(), pg.chan(), pg.chan(1)
        pg.go(_sender, c, begin, n)
        pg.go(_receiver, c, begin, n, done)
        pg.sleep(0.01)                       # both are parked on begin
        t0 = time.perf_counter()
        begin.close()
        done.recv()
        return time.perf_counter() - t0
    return {"per_op": pg.run(main, procs=1) / n, "n": n}


def greenlet_switch(n: int = 1000000) -> dict[str, float]:
    import greenlet
    main = greenlet.getcurrent()

    def other() -> None:
        while True:
            main.switch()
    g = greenlet.greenlet(other)
    t0 = time.perf_counter()
    for _ in range(n):
        g.switch()
    return {"per_op": (time.perf_counter() - t0) / (2 * n), "n": n}


def gevent_channel(n: int = 200000) -> dict[str, float]:
    import gevent
    from gevent.queue import Channel
    c = Channel()

    def snd() -> None:
        for _ in range(n):
            c.put(None)

    def rcv() -> None:
        for _ in range(n):
            c.get()
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(snd), gevent.spawn(rcv)])
    return {"per_op": (time.perf_counter() - t0) / n, "n": n}


def asyncio_queue(n: int = 200000) -> dict[str, float]:
    import asyncio

    async def main() -> float:
        q: asyncio.Queue[None] = asyncio.Queue(1)

        async def snd() -> None:
            for _ in range(n):
                await q.put(None)

        async def rcv() -> None:
            for _ in range(n):
                await q.get()
        t0 = time.perf_counter()
        await asyncio.gather(snd(), rcv())
        return time.perf_counter() - t0
    return {"per_op": asyncio.run(main()) / n, "n": n}
