"""A leaked goroutine: blocked forever, never collected, silently abandoned
when main returns.

Seed: "Concurrency in Go", ch. 3, "Goroutines" ("the garbage collector does
nothing to collect goroutines that have been abandoned somehow").

    Go                                          parago
    go func() {                                 pg.go(block_forever)
        // <operation that will block forever>  def block_forever():
        ch := make(chan struct{})                   ch = pg.chan()
        ch <- struct{}{}                            ch.send(None)   # nobody receives
    }()
    // Do work                                  # Do work

What it prints:

    goroutines: 2
    goroutine 1 [running]
    goroutine 2 [chan send]
    main returns; the blocked goroutine is abandoned

The goroutine blocked on a send nobody will receive still exists:
`pg.num_goroutine()` counts it and the goroutine dump (`pg.runtime.stack()`,
Go's runtime.Stack with all=true) lists it in "chan send". This is not a
deadlock — main can still run — and parago, like Go, says nothing about a
partial deadlock or a leak (RT-17, CH-28). When main returns, the program
ends and the goroutine is abandoned: its `finally` blocks do not run (GO-04).

Why it differs: only in spelling. To print the dump once the goroutine is
really blocked, main polls the dump until goroutine 2 is in "chan send" (a
condition, not a fixed sleep); it prints the header of each goroutine, without the process
and pid the dump adds after it.
"""

from __future__ import annotations

import re

import parago as pg


def block_forever() -> None:
    ch = pg.chan()
    ch.send(None)                       # nobody ever receives: blocks forever


def goroutine_headers() -> list[str]:
    """The "goroutine N [status]" line of every goroutine in the dump."""
    return re.findall(r"^goroutine \d+ \[[^\]]*\]", pg.runtime.stack(), re.MULTILINE)


def main() -> None:
    pg.go(block_forever)
    print(f"goroutines: {pg.num_goroutine()}")
    # Do work ... here: wait until the goroutine is blocked, to show it
    while "goroutine 2 [chan send]" not in (headers := goroutine_headers()):
        pg.sleep(0.001)
    for header in headers:
        print(header)
    print("main returns; the blocked goroutine is abandoned")


if __name__ == "__main__":
    pg.run(main)
