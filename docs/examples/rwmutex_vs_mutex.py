"""RWMutex versus Mutex: how long N observers take to pass a lock that a
producer keeps taking, when they take it for reading or for writing.

Seed: "Concurrency in Go", ch. 3, "Mutex and RWMutex".

    Go                                          parago
    producer := func(wg *sync.WaitGroup,        def producer(wg, locker):
            l sync.Locker) {                        for _ in range(5):
        defer wg.Done()                                 locker.lock()
        for i := 5; i > 0; i-- {                        locker.unlock()
            l.Lock()                                    pg.sleep(1e-9)
            l.Unlock()                              wg.done()
            time.Sleep(1)
        }
    }
    observer := func(wg *sync.WaitGroup,        def observer(wg, locker):
            l sync.Locker) {                        with locker:
        defer wg.Done()                                 pass
        l.Lock()                                    wg.done()
        defer l.Unlock()
    }
    test := func(count int,                     def test(count, mutex, rw_mutex):
            mutex, rwMutex sync.Locker) ... {       wg = pg.WaitGroup()
        var wg sync.WaitGroup                       wg.add(count + 1)
        wg.Add(count + 1)                           begin = time.perf_counter()
        beginTestTime := time.Now()                 pg.go(producer, wg, mutex)
        go producer(&wg, mutex)                     for _ in range(count):
        for i := count; i > 0; i-- {                    pg.go(observer, wg, rw_mutex)
            go observer(&wg, rwMutex)               wg.wait()
        }                                           return time.perf_counter() - begin
        wg.Wait()
        return time.Since(beginTestTime)
    }
    tw := tabwriter.NewWriter(os.Stdout,        rows = [("Readers", "RWMutex", "Mutex")]
        0, 1, 2, ' ', 0)
    defer tw.Flush()
    var m sync.RWMutex                          m = pg.RWMutex()
    fmt.Fprintf(tw, "Readers\\tRWMutext\\tMutex\\n")
    for i := 0; i < 20; i++ {                   for i in range(20):
        count := int(math.Pow(2, float64(i)))       count = 2 ** i
        fmt.Fprintf(tw, "%d\\t%v\\t%v\\n", count,     rows.append((count,
            test(count, &m, m.RLocker()),                test(count, m, m.rlocker()),
            test(count, &m, &m),                         test(count, m, m)))
        )                                       ... print the rows in aligned columns
    }

What it prints (times vary; 20 rows by default, 1 .. 524288 readers):

    Readers  RWMutex       Mutex
    1        196.161µs     190.802µs
    2        238.213µs     294.506µs
    ...
    32768    1.140333747s  1.059323205s
    ...

Why it differs: only in spelling. Both locks and the WaitGroup are in shared
memory, so observers in every process contend for the same lock;
`m.rlocker()` is Go's `m.RLocker()`, a Locker whose lock/unlock are
rlock/runlock. Times are printed the way Go prints a time.Duration. Most of
each time is starting the goroutines (tens of microseconds each in Python),
so the columns are close (the observers hold the lock for no time at all);
perf/sync.py measures the locks alone. A warm-up test runs first, so the
first row does not pay for loading code. The number of rows is an argument (default 20, as in the
book; the test uses fewer).
"""

from __future__ import annotations

import sys
import time
from typing import Protocol

import parago as pg


class Locker(Protocol):
    """Go's sync.Locker (usable in a with statement): a Mutex, an RWMutex or
    its rlocker()."""

    def lock(self) -> None: ...
    def unlock(self) -> None: ...
    def __enter__(self) -> object: ...
    def __exit__(self, *exc: object) -> None: ...


def producer(wg: pg.WaitGroup, locker: Locker) -> None:
    for _ in range(5):
        locker.lock()
        locker.unlock()
        pg.sleep(1e-9)
    wg.done()


def observer(wg: pg.WaitGroup, locker: Locker) -> None:
    with locker:
        pass
    wg.done()


def test(count: int, mutex: Locker, rw_mutex: Locker) -> float:
    wg = pg.WaitGroup()
    wg.add(count + 1)
    begin = time.perf_counter()
    pg.go(producer, wg, mutex)
    for _ in range(count):
        pg.go(observer, wg, rw_mutex)
    wg.wait()
    return time.perf_counter() - begin


def go_duration(seconds: float) -> str:
    """A duration the way Go's time.Duration prints it: 1.5s, 44.417µs, 120ns."""
    ns = round(seconds * 1e9)
    for unit, size, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if ns >= size:
            return f"{ns / size:.{digits}f}".rstrip("0").rstrip(".") + unit
    return f"{ns}ns"


def main(n: int = 20) -> None:
    m = pg.RWMutex()
    test(1, m, m)           # warm-up: the first goroutines pay one-time costs
    rows = [("Readers", "RWMutex", "Mutex")]
    for i in range(n):
        count = 2 ** i
        rows.append((str(count),
                     go_duration(test(count, m, m.rlocker())),
                     go_duration(test(count, m, m))))
    widths = [max(len(r[c]) for r in rows) for c in range(3)]    # Go's tabwriter
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    pg.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
