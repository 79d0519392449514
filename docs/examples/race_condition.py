"""A race condition: main reads `data` while a goroutine increments it.

Seed: "Concurrency in Go", ch. 1, "Race Conditions".

    Go                                          parago
    var data int                                data = pg.atomic.Int64()      # shared memory
    go func() {                                 pg.go(increment, data)
        data++                                  def increment(data):
    }()                                             data.store(data.load() + 1)
    if data == 0 {                              if data.load() == 0:
        fmt.Printf("the value is %v.\\n", data)       print(f"the value is {data.load()}.")
    }

What it prints: nothing, "the value is 0." or "the value is 1." — the
program never says which of the three it wants. The goroutine may increment
before the check, between the check and the print, or after both.

Why it differs: a goroutine gets a *copy* of what it is given (it may run in
another process), so a Python closure doing `data += 1` would change only its
own copy and main would always print "the value is 0.". To keep the race the
book is about, `data` lives in shared memory (an atomic used as a plain
variable: `load()` then `store()`, no locking). With procs=1 the race never
shows: scheduling is cooperative and main does not block before its check,
so the goroutine runs only after main has returned (it is then abandoned, as
in Go) — main prints "the value is 0." every time. With procs >= 2 another
process may run the goroutine at any moment and all three outcomes happen.
memory_access_sync.py is the same program with a Mutex.
"""

from __future__ import annotations

import parago as pg


def increment(data: pg.atomic.Int64) -> None:
    data.store(data.load() + 1)         # data++ : a read, then a write


def main() -> None:
    data = pg.atomic.Int64()
    pg.go(increment, data)
    if data.load() == 0:
        print(f"the value is {data.load()}.")


if __name__ == "__main__":
    pg.run(main)
