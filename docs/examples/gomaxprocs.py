"""GOMAXPROCS: how many processes run goroutines at the same time.

Seed: "Concurrency in Go", ch. 3, "The GOMAXPROCS Lever".

    Go                                          parago
    runtime.GOMAXPROCS(runtime.NumCPU())        pg.gomaxprocs(pg.num_cpu())

What it prints (on a machine with 2 usable cores, started with
PARAGO_MAXPROCS=1):

    NumCPU: 2
    GOMAXPROCS was 1, now 2
    4 CPU-bound goroutines ran in 2 processes

Go's GOMAXPROCS is the number of OS threads running goroutines at once;
parago's is the number of Ps, each an OS process: P0 is the one that called
`pg.run`, P1..Pn-1 are worker processes. `pg.gomaxprocs(n)` returns the
previous value and starts (or retires) workers while the program runs;
`pg.gomaxprocs()` only asks (RT-01). `pg.num_cpu()` counts the cores this
process may use (its affinity mask, RT-03). The default is PARAGO_MAXPROCS,
else `pg.num_cpu()` (Go: GOMAXPROCS, else NumCPU).

Why it differs: in Go raising GOMAXPROCS lets CPU-bound goroutines run in
parallel; in parago it is also what lets CPU-bound *Python* run in parallel,
since each process has its own interpreter and GIL. The last line counts the
distinct processes the CPU-bound goroutines ran in: a started goroutine never
moves, and which P starts each one is up to the scheduler, so it can be
fewer than the Ps on a busy machine. The work per goroutine and the new
GOMAXPROCS are arguments (default: `pg.num_cpu()`, as in the book; the test
caps it at 2 so that a many-core machine does not start dozens of workers).
"""

from __future__ import annotations

import os
import sys

import parago as pg


def busy(n: int, pids: pg.Chan[int]) -> None:
    sum(i * i for i in range(n))        # CPU-bound: holds its P until done
    pids.send(os.getpid())


def main(work: int = 2_000_000, procs: int | None = None) -> None:
    print(f"NumCPU: {pg.num_cpu()}")
    before = pg.gomaxprocs(procs or pg.num_cpu())
    print(f"GOMAXPROCS was {before}, now {pg.gomaxprocs()}")
    pids = pg.chan()
    goroutines = 2 * pg.gomaxprocs()
    for _ in range(goroutines):
        pg.go(busy, work, pids)
    ran_in = {pids.recv() for _ in range(goroutines)}
    print(f"{goroutines} CPU-bound goroutines ran in {len(ran_in)} processes")


if __name__ == "__main__":
    pg.run(main, *(int(a) for a in sys.argv[1:3]))
