"""select with a default case: nothing is ready, so default runs at once.

Seed: "Concurrency in Go", ch. 3, "The select Statement".

    Go                                          parago
    start := time.Now()                         start = time.perf_counter()
    var c1, c2 <-chan int                       c1 = c2 = None   # nil channels
    select {                                    index, _, _ = pg.select(c1, c2, default=True)
    case <-c1:                                  if index == -1:
    case <-c2:                                      elapsed = time.perf_counter() - start
    default:                                        print(f"In default after "
        fmt.Printf("In default after %v\\n\\n",          f"{go_duration(elapsed)}\\n")
            time.Since(start))
    }

What it prints (the time varies):

    In default after 3.816µs

Why it differs: only in spelling. `default=True` makes the select return
`(-1, None, False)` when no case is ready (SEL-05) instead of blocking; the
elapsed time is printed the way Go prints a time.Duration.
"""

from __future__ import annotations

import time

import parago as pg


def go_duration(seconds: float) -> str:
    """A duration the way Go's time.Duration prints it: 1.5s, 44.417µs, 120ns."""
    ns = round(seconds * 1e9)
    for unit, size, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if ns >= size:
            return f"{ns / size:.{digits}f}".rstrip("0").rstrip(".") + unit
    return f"{ns}ns"


def main() -> None:
    start = time.perf_counter()
    c1 = c2 = None
    index, _, _ = pg.select(c1, c2, default=True)
    if index == -1:
        print(f"In default after {go_duration(time.perf_counter() - start)}\n")


if __name__ == "__main__":
    pg.run(main)
