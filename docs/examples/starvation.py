"""Starvation: a greedy worker holds the shared lock for its whole work loop,
a polite one only while it needs it; in the same time, greedy gets more done.

Seed: "Concurrency in Go", ch. 1, "Starvation".

    Go                                          parago
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    var sharedLock sync.Mutex                   shared_lock = pg.Mutex()
    const runtime = 1 * time.Second             runtime = 1.0           # argv[1]
    greedyWorker := func() {                    def greedy_worker(wg, shared_lock, runtime):
        defer wg.Done()                             count = 0
        var count int                               begin = time.monotonic()
        for begin := time.Now();                    while time.monotonic() - begin <= runtime:
                time.Since(begin) <= runtime; {         with shared_lock:
            sharedLock.Lock()                               pg.sleep(3e-9)
            time.Sleep(3 * time.Nanosecond)             count += 1
            sharedLock.Unlock()                     println(f"Greedy worker was able to "
            count++                                       f"execute {count} work loops")
        }                                           wg.done()
        fmt.Printf("Greedy worker was able to execute %v work loops\\n", count)
    }
    politeWorker := func() {                    def polite_worker(wg, shared_lock, runtime):
        ... three times:                            ... three times:
            sharedLock.Lock()                           with shared_lock:
            time.Sleep(1 * time.Nanosecond)                 pg.sleep(1e-9)
            sharedLock.Unlock()
        count++ ...                                 count += 1 ...
        fmt.Printf("Polite worker was able to execute %v work loops.\\n", count)
    }
    wg.Add(2)                                   wg.add(2)
    go greedyWorker()                           pg.go(greedy_worker, wg, shared_lock, runtime)
    go politeWorker()                           pg.go(polite_worker, wg, shared_lock, runtime)
    wg.Wait()                                   wg.wait()

What it prints (the counts vary from run to run and machine to machine):

    Polite worker was able to execute 23679 work loops.
    Greedy worker was able to execute 70617 work loops

The greedy worker gets two to three times the work done (the book: almost
twice): the polite one
asks for the lock three times per loop and, each time, may find the greedy one
holding it.

Why it differs: only in spelling. `pg.sleep` blocks just the goroutine (never
its process), so while one worker sleeps holding the lock the other can run
and queue for it. Each loop costs microseconds here rather than Go's
nanoseconds, so the counts are smaller than the book's (289777 and 471287). parago's Mutex has Go's
starvation mode (a waiter left waiting for more than 1 ms gets the lock handed
to it), which bounds how long the polite worker waits, not how often.
The run time is an argument (default 1 s, as in the book).
Goroutines print with `println` (below): one write per line, so lines from
different processes never mix (see docs/caveats.md, "Printing").
"""

from __future__ import annotations

import sys
import time

import parago as pg


def println(*args: object) -> None:
    """Go's fmt.Println in one write, so that lines printed at the same time
    by goroutines in different processes never mix (print() writes the text
    and the newline separately when stdout is unbuffered: python -u,
    PYTHONUNBUFFERED)."""
    sys.stdout.write(" ".join(map(str, args)) + "\n")
    sys.stdout.flush()


def greedy_worker(wg: pg.WaitGroup, shared_lock: pg.Mutex, runtime: float) -> None:
    count = 0
    begin = time.monotonic()
    while time.monotonic() - begin <= runtime:
        with shared_lock:
            pg.sleep(3e-9)
        count += 1
    println(f"Greedy worker was able to execute {count} work loops")
    wg.done()


def polite_worker(wg: pg.WaitGroup, shared_lock: pg.Mutex, runtime: float) -> None:
    count = 0
    begin = time.monotonic()
    while time.monotonic() - begin <= runtime:
        with shared_lock:
            pg.sleep(1e-9)
        with shared_lock:
            pg.sleep(1e-9)
        with shared_lock:
            pg.sleep(1e-9)
        count += 1
    println(f"Polite worker was able to execute {count} work loops.")
    wg.done()


def main(runtime: float = 1.0) -> None:
    wg = pg.WaitGroup()
    shared_lock = pg.Mutex()
    wg.add(2)
    pg.go(greedy_worker, wg, shared_lock, runtime)
    pg.go(polite_worker, wg, shared_lock, runtime)
    wg.wait()


if __name__ == "__main__":
    pg.run(main, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
