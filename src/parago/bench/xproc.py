"""Channels between two processes: one-way hop latency (ping-pong / 2) and
streaming throughput of ints, 64 KiB and 4 MiB bytes values; parago beside
multiprocessing.Pipe, multiprocessing.Queue and faster-fifo.

Every function returns {"per_op": seconds per hop or per item, "n": ...,
"bytes": payload size}; throughput callers turn per_op into items/s, GB/s.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection
    from types import ModuleType
    from typing import Protocol

    import parago as pg

    class _Queue(Protocol):                  # a multiprocessing or a faster-fifo queue
        def put(self, obj: Any) -> None: ...
        def get(self) -> Any: ...

PAYLOADS = {"int": None, "64KiB": 64 << 10, "4MiB": 4 << 20}


def _payload(kind: str) -> int | bytes:
    size = PAYLOADS[kind]
    return 12345 if size is None else b"\x5a" * size


# ---- parago ----------------------------------------------------------------------

def _start_on_other_p(pg: ModuleType, fn: Callable[..., object], *args: Any,
                      timeout: float = 30.0) -> None:
    """Start fn(*args) on another P: main keeps P0 busy (plain sleeps) until
    the goroutine reports its pid, so only another P can have started it."""
    ready = pg.chan(1)
    pg.go(_report_pid, ready, fn, args)
    deadline = time.monotonic() + timeout
    while len(ready) == 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no other P started the peer goroutine within {timeout:.0f} s "
                               "(an idle P did not steal it from P0's queue)")
        time.sleep(0.0005)
    assert ready.recv() != os.getpid()


def _report_pid(ready: pg.Chan[int], fn: Callable[..., object], args: tuple[Any, ...]) -> None:
    ready.send(os.getpid())
    fn(*args)


def _pg_echo(a: pg.Chan[int], b: pg.Chan[int], n: int) -> None:
    for _ in range(n):
        b.send(a.recv())


def _pg_stream(start: pg.Chan[bool], ch: pg.Chan[int | bytes], n: int, kind: str) -> None:
    v = _payload(kind)
    start.recv()
    for _ in range(n):
        ch.send(v)


def parago_hop(n: int = 20000) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        a, b = pg.chan(), pg.chan()
        _start_on_other_p(pg, _pg_echo, a, b, n + 100)
        for i in range(100):                      # warm up
            a.send(i)
            b.recv()
        t0 = time.perf_counter()
        for i in range(n):
            a.send(i)
            b.recv()
        return (time.perf_counter() - t0) / (2 * n)
    return {"per_op": pg.run(main, procs=2), "n": n}


def parago_stream(kind: str = "int", n: int = 200000, cap: int = 1024) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        start, ch = pg.chan(), pg.chan(cap)
        _start_on_other_p(pg, _pg_stream, start, ch, n, kind)
        t0 = time.perf_counter()
        start.send(True)
        for _ in range(n):
            ch.recv()
        return (time.perf_counter() - t0) / n
    return {"per_op": pg.run(main, procs=2), "n": n, "bytes": PAYLOADS[kind] or 8}


# ---- multiprocessing.Pipe -------------------------------------------------------------

def _pipe_echo(conn: Connection[int, int], n: int) -> None:
    for _ in range(n):
        conn.send(conn.recv())


def _pipe_stream(conn: Connection[int | bytes, bool], n: int, kind: str) -> None:
    v = _payload(kind)
    conn.recv()
    for _ in range(n):
        conn.send(v)


def pipe_hop(n: int = 20000) -> dict[str, float]:
    a, b = mp.Pipe()
    p = mp.Process(target=_pipe_echo, args=(b, n))
    p.start()
    t0 = time.perf_counter()
    for i in range(n):
        a.send(i)
        a.recv()
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / (2 * n), "n": n}


def pipe_stream(kind: str = "int", n: int = 200000) -> dict[str, float]:
    a, b = mp.Pipe()
    p = mp.Process(target=_pipe_stream, args=(b, n, kind))
    p.start()
    t0 = time.perf_counter()
    a.send(True)
    for _ in range(n):
        a.recv()
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / n, "n": n, "bytes": PAYLOADS[kind] or 8}


# ---- multiprocessing.Queue --------------------------------------------------------------

def _queue_echo(q_in: _Queue, q_out: _Queue, n: int) -> None:
    for _ in range(n):
        q_out.put(q_in.get())


def _queue_stream(start: _Queue, q: _Queue, n: int, kind: str) -> None:
    v = _payload(kind)
    start.get()
    for _ in range(n):
        q.put(v)


def mpqueue_hop(n: int = 20000) -> dict[str, float]:
    q_in: mp.Queue[int] = mp.Queue()
    q_out: mp.Queue[int] = mp.Queue()
    p = mp.Process(target=_queue_echo, args=(q_in, q_out, n))
    p.start()
    t0 = time.perf_counter()
    for i in range(n):
        q_in.put(i)
        q_out.get()
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / (2 * n), "n": n}


def mpqueue_stream(kind: str = "int", n: int = 200000) -> dict[str, float]:
    start: mp.Queue[bool] = mp.Queue()
    q: mp.Queue[int | bytes] = mp.Queue(1024)
    p = mp.Process(target=_queue_stream, args=(start, q, n, kind))
    p.start()
    t0 = time.perf_counter()
    start.put(True)
    for _ in range(n):
        q.get()
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / n, "n": n, "bytes": PAYLOADS[kind] or 8}


# ---- faster-fifo ------------------------------------------------------------------------

def _ff_queue(kind: str) -> Any:                 # faster_fifo is not type-checked
    from faster_fifo import Queue
    size = PAYLOADS[kind] or 8
    return Queue(max_size_bytes=max(32 << 20, 8 * size))


def ffifo_hop(n: int = 20000) -> dict[str, float]:
    q_in, q_out = _ff_queue("int"), _ff_queue("int")
    p = mp.Process(target=_queue_echo, args=(q_in, q_out, n))
    p.start()
    t0 = time.perf_counter()
    for i in range(n):
        q_in.put(i)
        q_out.get()
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / (2 * n), "n": n}


def ffifo_stream(kind: str = "int", n: int = 200000) -> dict[str, float]:
    start, q = _ff_queue("int"), _ff_queue(kind)
    p = mp.Process(target=_queue_stream, args=(start, q, n, kind))
    p.start()
    t0 = time.perf_counter()
    start.put(True)
    for _ in range(n):
        q.get(timeout=60)
    dt = time.perf_counter() - t0
    p.join()
    return {"per_op": dt / n, "n": n, "bytes": PAYLOADS[kind] or 8}
