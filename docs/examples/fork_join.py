"""Fork-join: start goroutines (fork), then wait for them (join) — with a
named function and with an anonymous one.

Seed: "Concurrency in Go", ch. 3, "Goroutines".

    Go                                          parago
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    sayHello := func() {                        def say_hello(wg):
        defer wg.Done()                             print("hello")
        fmt.Println("hello")                        wg.done()
    }
    wg.Add(1)                                   wg.add(1)
    go sayHello()                               pg.go(say_hello, wg)
    wg.Wait()  // the join point                wg.wait()       # the join point

    wg.Add(1)                                   wg.go(lambda: print("hello, anonymously"))
    go func() {                                 wg.wait()
        defer wg.Done()
        fmt.Println("hello, anonymously")
    }()
    wg.Wait()

What it prints:

    hello
    hello, anonymously

The same shape for CPU-bound work — a tree of goroutines that fork until a
depth, each leaf summing its part, joined by WaitGroups — runs on every
core: `python fork_join.py 160 6` sums the squares below 16,000,000 in 64
leaves and prints

    hello
    hello, anonymously
    sum of squares below 16000000: 1365333205333336000000, 64 leaves in 2 process(es)

Why it differs: say_hello.py without the join point may print nothing; the
WaitGroup makes main wait until the goroutine has run. The lambda is copied
to whichever process runs it (cloudpickle), where a Go closure shares its
variables with main; this one captures nothing, so the copy changes nothing
(closures.py shows when it does). `wg.go(fn)` is add(1), go and done in one
call (Go 1.25's WaitGroup.Go).
"""

from __future__ import annotations

import os
import sys

import parago as pg


def say_hello(wg: pg.WaitGroup) -> None:
    print("hello", flush=True)
    wg.done()


def tree_sum(lo: int, hi: int, depth: int, wg: pg.WaitGroup,
             leaves: pg.Chan[tuple[int, int]]) -> None:
    if depth == 0:
        leaves.send((sum(i * i for i in range(lo, hi)), os.getpid()))
    else:
        mid = (lo + hi) // 2
        inner = pg.WaitGroup()
        inner.add(2)
        pg.go(tree_sum, lo, mid, depth - 1, inner, leaves)       # fork
        pg.go(tree_sum, mid, hi, depth - 1, inner, leaves)
        inner.wait()                                             # join
    wg.done()


def main(units: int = 0, depth: int = 6) -> None:
    wg = pg.WaitGroup()
    wg.add(1)
    pg.go(say_hello, wg)
    wg.wait()                           # the join point

    wg.go(lambda: print("hello, anonymously", flush=True))
    wg.wait()

    if units:
        n = units * 100_000
        leaves = pg.chan(2 ** depth)
        wg.add(1)
        pg.go(tree_sum, 0, n, depth, wg, leaves)
        wg.wait()
        parts = [leaves.recv() for _ in range(2 ** depth)]
        print(f"sum of squares below {n}: {sum(s for s, _ in parts)}, {len(parts)} leaves "
              f"in {len({pid for _, pid in parts})} process(es)")


if __name__ == "__main__":
    pg.run(main, *map(int, sys.argv[1:]))
