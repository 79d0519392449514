"""WaitGroup: wait for two goroutines whose results we do not need.

Seed: "Concurrency in Go", ch. 3, "WaitGroup".

    Go                                          parago
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    wg.Add(1)                                   wg.add(1)
    go func() {                                 pg.go(sleeper, wg, "1st", 1e-9)
        defer wg.Done()
        fmt.Println("1st goroutine sleeping...")  def sleeper(wg, nth, seconds):
        time.Sleep(1)                                 try:
    }()                                                   println(f"{nth} goroutine sleeping...")
    wg.Add(1)                                             pg.sleep(seconds)
    go func() {                                       finally:
        defer wg.Done()                                   wg.done()
        fmt.Println("2nd goroutine sleeping...")
        time.Sleep(2)                           wg.add(1)
    }()                                         pg.go(sleeper, wg, "2nd", 2e-9)
    wg.Wait()                                   wg.wait()
    fmt.Println("All goroutines complete.")     print("All goroutines complete.")

What it prints (the first two lines in either order):

    1st goroutine sleeping...
    2nd goroutine sleeping...
    All goroutines complete.

Why it differs: only in spelling. `defer wg.Done()` is `try/finally`
(`wg.go(fn, *args)` does add, go and done in one call, as Go 1.25's
WaitGroup.Go). Go's `time.Sleep(1)` sleeps one nanosecond; `pg.sleep` takes
seconds. The WaitGroup is in shared memory, so the goroutines may run in any
process. Goroutines print with `println` (below): one write per line, so lines from
different processes never mix (see docs/caveats.md, "Printing").
"""

from __future__ import annotations

import sys

import parago as pg


def println(*args: object) -> None:
    """Go's fmt.Println in one write, so that lines printed at the same time
    by goroutines in different processes never mix (print() writes the text
    and the newline separately when stdout is unbuffered: python -u,
    PYTHONUNBUFFERED)."""
    sys.stdout.write(" ".join(map(str, args)) + "\n")
    sys.stdout.flush()


def sleeper(wg: pg.WaitGroup, nth: str, seconds: float) -> None:
    try:
        println(f"{nth} goroutine sleeping...")
        pg.sleep(seconds)
    finally:
        wg.done()


def main() -> None:
    wg = pg.WaitGroup()
    wg.add(1)
    pg.go(sleeper, wg, "1st", 1e-9)
    wg.add(1)
    pg.go(sleeper, wg, "2nd", 2e-9)
    wg.wait()
    print("All goroutines complete.")


if __name__ == "__main__":
    pg.run(main)
