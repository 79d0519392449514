"""A CPU-bound pipeline: generate -> stage (parallel, on every process) -> take.

Book: "Concurrency in Go", ch. 4, "Fan-Out, Fan-In" (the primeFinder pipeline),
written with pg.pipeline.stage instead of hand-made finders and fanIn.

    Go                                              parago
    done := make(chan interface{})                  done = pg.chan()
    defer close(done)
    nums := generator(done, 1..N)                   nums = P.generator(done, *range(N))
    primes := primeFinder(done, nums) x NumCPU,     primes = P.stage(count_primes, nums,
        fanIn(done, finders...)                                      workers=pg.num_cpu())
    for p := range take(done, primes, 10) {...}     for result in P.take(done, primes, 10): ...

Why it differs: the stage's workers are goroutines pinned to different
processes, so counting primes in each block really runs on every core; an
exception in count_primes would raise pg.pipeline.StageError (the original
as its cause) where the results are received, here in main's loop.
"""

from __future__ import annotations

import os
import sys
import time

import parago as pg

P = pg.pipeline


def count_primes(block: tuple[int, int]) -> tuple[int, int, int]:
    lo, hi = block
    n = 0
    for k in range(max(lo, 2), hi):
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            n += 1
    return lo, n, os.getpid()


def main(blocks: int = 16, size: int = 20000) -> None:
    done = pg.chan()
    ranges = P.generator(done, *[(i * size, (i + 1) * size) for i in range(blocks)])
    counted = P.stage(count_primes, ranges, workers=pg.gomaxprocs(), ordered=True)
    t0 = time.perf_counter()
    total, pids = 0, set()
    for lo, n, pid in counted:
        total += n
        pids.add(pid)
        print(f"primes in [{lo}, {lo + size}): {n}")
    print(f"total {total} primes below {blocks * size}, "
          f"counted in {len(pids)} process(es) in {time.perf_counter() - t0:.2f} s")
    done.close()


if __name__ == "__main__":
    pg.run(main, *map(int, sys.argv[1:]))
