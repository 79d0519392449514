"""How much memory a goroutine takes: start M goroutines that block forever,
measure before and after.

Seed: "Concurrency in Go", ch. 3, "Goroutines" (the goroutine-memory table).

    Go                                          parago
    memConsumed := func() uint64 {              def mem_consumed():
        runtime.GC()                                gc.collect()
        var s runtime.MemStats                      return sum(p.memory_full_info().pss
        runtime.ReadMemStats(&s)                               for p in this process and
        return s.Sys                                           its worker processes)
    }
    var c <-chan interface{}                    c = None                  # a nil channel
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    noop := func() { wg.Done(); <-c }           def noop(wg, c):
                                                    wg.done()
                                                    pg.select(c)          # blocks forever
    const numGoroutines = 10                    num_goroutines = 10       # one run per row
    wg.Add(numGoroutines)                       wg.add(num_goroutines)
    before := memConsumed()                     before = mem_consumed()
    for i := numGoroutines; i > 0; i-- {        for _ in range(num_goroutines):
        go noop()                                   pg.go(noop, wg, c)
    }
    wg.Wait()                                   wg.wait()
    after := memConsumed()                      after = mem_consumed()
    fmt.Printf("%.3fkb\\n",                      print(...)
        float64(after-before)/1000)
    fmt.Println(runtime.NumGoroutine())

What it prints (memory varies by machine; "Go" is the seed's table, another
machine):

    NumGoroutine  Mem            Per goroutine  Go
    11            40.960 kB      4.096 kB       65 kB
    101           528.384 kB     5.284 kB       327 kB
    1001          7892.992 kB    7.893 kB       4784 kB
    10001         81481.728 kB   8.148 kB       30474 kB
    100001        824672.256 kB  8.247 kB       262300 kB

Why it differs: Go's program is run once per row with a different constant;
here one run of `pg.run` per row, so each row starts clean (so this script
calls `pg.run` once per row rather than once; 100 goroutines that finish at
once run first, so one-time costs are not charged to the first row). A goroutine may
run in any process, so the memory is the sum over the runtime's processes
of PSS (each page shared by k processes counts 1/k in each, so shared memory
is counted once) — Go reads its one process's MemStats.Sys. The goroutines
block on a nil channel as in Go (`pg.select(None)`, a select whose only case
is never ready); when main returns they are abandoned, as Go abandons them.
A blocked parago goroutine is a greenlet (its saved C stack and frames)
plus its wait record: about 8 kB, some three times a Go goroutine, and
still a hundred thousand fit in under a gigabyte.
The largest M is an argument (default 100000, as in the book).
`python -m parago bench` and perf/goroutine_memory.py set it beside gevent
and asyncio.
"""

from __future__ import annotations

import gc
import sys

import psutil

import parago as pg

GO_KB = {10: 65, 100: 327, 1000: 4784, 10_000: 30_474, 100_000: 262_300}


def mem_consumed() -> int:
    """Bytes of memory this runtime's processes hold (sum of their PSS)."""
    gc.collect()
    me = psutil.Process()
    total = 0
    for p in [me, *me.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except psutil.NoSuchProcess:
            pass
    return total


def noop(wg: pg.WaitGroup, c: None) -> None:
    wg.done()
    pg.select(c)                        # <-c on a nil channel: blocks forever


def finish() -> None:
    pass


def measure(num_goroutines: int) -> tuple[int, int]:
    warm_up = pg.WaitGroup()            # one-time costs (code, first records) first
    for _ in range(100):
        warm_up.go(finish)
    warm_up.wait()
    c = None
    wg = pg.WaitGroup()
    wg.add(num_goroutines)
    before = mem_consumed()
    for _ in range(num_goroutines):
        pg.go(noop, wg, c)
    wg.wait()
    after = mem_consumed()
    return pg.num_goroutine(), after - before


def main(largest: int = 100_000) -> None:
    rows = [("NumGoroutine", "Mem", "Per goroutine", "Go")]
    m = 10
    while m <= largest:
        count, used = pg.run(measure, m)    # a fresh runtime per row
        rows.append((str(count), f"{used / 1000:.3f} kB", f"{used / m / 1000:.3f} kB",
                     f"{GO_KB[m]} kB" if m in GO_KB else ""))
        m *= 10
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
