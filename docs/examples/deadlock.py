"""Deadlock: printSum locks a then b, while its twin locks b then a.

Seed: "Concurrency in Go", ch. 1, "Deadlock".

    Go                                          parago
    type value struct {                         class Value:
        mu    sync.Mutex                            def __init__(self):
        value int                                       self.mu = pg.Mutex()
    }                                                   self.value = 0
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    printSum := func(v1, v2 *value) {           def print_sum(wg, both_locked, v1, v2):
        defer wg.Done()                             with v1.mu:
        v1.mu.Lock()                                    both_locked.done()
        defer v1.mu.Unlock()                            both_locked.wait()  # for Sleep(2s)
        time.Sleep(2 * time.Second)                     with v2.mu:
        v2.mu.Lock()                                        print(f"sum={v1.value + v2.value}")
        defer v2.mu.Unlock()                        wg.done()
        fmt.Printf("sum=%v\\n", v1.value+v2.value)
    }
    var a, b value                              a, b = Value(), Value()
    wg.Add(2)                                   wg.add(2)
    go printSum(&a, &b)                         pg.go(print_sum, wg, both_locked, a, b)
    go printSum(&b, &a)                         pg.go(print_sum, wg, both_locked, b, a)
    wg.Wait()                                   wg.wait()

What it prints: nothing on stdout. Go's runtime sees every goroutine blocked
and exits with status 2 after "fatal error: all goroutines are asleep -
deadlock!" and a dump of the goroutines. parago does the same: `pg.run` raises
`pg.Deadlock` (its message is that line and the dump), and this script, like
every broken example here, prints "fatal error: " + the message on stderr and
exits with status 2. The dump shows the two goroutines in `sync.Mutex.Lock`
and main in `sync.WaitGroup.Wait` — all four Coffman conditions at once.

Why it differs: the book sleeps two seconds so that, very probably, each
goroutine holds its first lock before it asks for the second. A sleep only
makes that likely; here a WaitGroup `both_locked` makes it certain (each
goroutine waits until both hold their first mutex), so the deadlock happens
on every run, with any number of processes, without waiting two seconds.
`Value` holds a Mutex, which pickles as a handle to the one mutex in shared
memory: the copy a goroutine gets locks the same mutex.
"""

from __future__ import annotations

import sys

import parago as pg


class Value:
    def __init__(self) -> None:
        self.mu = pg.Mutex()
        self.value = 0


def print_sum(wg: pg.WaitGroup, both_locked: pg.WaitGroup, v1: Value, v2: Value) -> None:
    with v1.mu:
        both_locked.done()
        both_locked.wait()          # the book: time.Sleep(2 * time.Second)
        with v2.mu:
            print(f"sum={v1.value + v2.value}")
    wg.done()


def main() -> None:
    wg = pg.WaitGroup()
    both_locked = pg.WaitGroup()
    both_locked.add(2)
    a, b = Value(), Value()
    wg.add(2)
    pg.go(print_sum, wg, both_locked, a, b)
    pg.go(print_sum, wg, both_locked, b, a)
    wg.wait()


if __name__ == "__main__":
    try:
        pg.run(main)
    except pg.Deadlock as e:        # Go: "fatal error: ..." and exit status 2
        print(f"fatal error: {e}", file=sys.stderr)
        sys.exit(2)
