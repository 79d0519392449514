"""The context-switch benchmark: two goroutines hand a token back and forth
over an unbuffered channel; time per handoff.

Seed: "Concurrency in Go", ch. 3, "Goroutines" (BenchmarkContextSwitch).

    Go                                          parago
    func BenchmarkContextSwitch(b *testing.B) { def main(n):
        var wg sync.WaitGroup                       wg, ready = pg.WaitGroup(), pg.WaitGroup()
        begin := make(chan struct{})                begin, c = pg.chan(), pg.chan()
        c := make(chan struct{})
        var token struct{}
        sender := func() {                      def sender(wg, ready, begin, c, n):
            defer wg.Done()                         ready.done()
            <-begin                                 begin.recv()
            for i := 0; i < b.N; i++ {              for _ in range(n):
                c <- token                              c.send(None)
            }                                       wg.done()
        }
        receiver := func() {                    def receiver(wg, ready, begin, c, n):
            defer wg.Done()                         ready.done()
            <-begin                                 begin.recv()
            for i := 0; i < b.N; i++ {              for _ in range(n):
                <-c                                     c.recv()
            }                                       wg.done()
        }
        wg.Add(2)                                   wg.add(2); ready.add(2)
        go sender()                                 pg.go(sender, wg, ready, begin, c, n)
        go receiver()                               pg.go(receiver, wg, ready, begin, c, n)
                                                    ready.wait()
        b.StartTimer()                              start = time.perf_counter()
        close(begin)                                begin.close()
        wg.Wait()                                   wg.wait()
    }                                               elapsed = time.perf_counter() - start

What it prints (times vary; the book's machine: 131.6 ns/op for Go):

    BenchmarkContextSwitch   200000   3578.7 ns/op   (sender and receiver in one process)

Why it differs: Go's `testing` package picks b.N; here N is an argument
(default 200000). `ready` makes sure both goroutines have started before the
clock starts, which Go gets from b.StartTimer after the setup. The token is
None (Go's empty struct). With procs >= 2 the two goroutines may land in
different processes: each handoff then crosses processes through shared
memory, and the line says so. A handoff between goroutines of one process
costs a few microseconds here, not Go's ~130 ns: a greenlet switch plus the
channel's bookkeeping, in Python. `python -m parago bench` and perf/context_switch.py
compare it with greenlet, gevent and asyncio.
"""

from __future__ import annotations

import os
import sys
import time

import parago as pg


def sender(wg: pg.WaitGroup, ready: pg.WaitGroup, begin: pg.Chan[None], c: pg.Chan[None],
           n: int, where: pg.Chan[int]) -> None:
    where.send(os.getpid())
    ready.done()
    begin.recv()
    for _ in range(n):
        c.send(None)
    wg.done()


def receiver(wg: pg.WaitGroup, ready: pg.WaitGroup, begin: pg.Chan[None], c: pg.Chan[None],
             n: int, where: pg.Chan[int]) -> None:
    where.send(os.getpid())
    ready.done()
    begin.recv()
    for _ in range(n):
        c.recv()
    wg.done()


def main(n: int = 200_000) -> None:
    wg, ready = pg.WaitGroup(), pg.WaitGroup()
    begin, c, where = pg.chan(), pg.chan(), pg.chan(2)
    wg.add(2)
    ready.add(2)
    pg.go(sender, wg, ready, begin, c, n, where)
    pg.go(receiver, wg, ready, begin, c, n, where)
    ready.wait()
    start = time.perf_counter()
    begin.close()
    wg.wait()
    elapsed = time.perf_counter() - start
    same = where.recv() == where.recv()
    print(f"BenchmarkContextSwitch   {n}   {elapsed / n * 1e9:.1f} ns/op   "
          f"(sender and receiver in {'one process' if same else 'two processes'})")


if __name__ == "__main__":
    pg.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
