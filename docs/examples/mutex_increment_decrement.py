"""Mutex: six goroutines increment and six decrement one count.

Seed: "Concurrency in Go", ch. 3, "Mutex and RWMutex".

    Go                                          parago
    var count int                               count = pg.atomic.Int64()   # shared memory
    var lock sync.Mutex                         lock = pg.Mutex()
    increment := func() {                       def increment(lock, count):
        lock.Lock()                                 with lock:
        defer lock.Unlock()                             n = count.add(1)
        count++                                         print(f"Incrementing: {n}")
        fmt.Printf("Incrementing: %d\\n", count)
    }
    var arithmetic sync.WaitGroup               arithmetic = pg.WaitGroup()
    for i := 0; i <= 5; i++ {                   for _ in range(6):
        arithmetic.Add(1)                           arithmetic.go(increment, lock, count)
        go func() {
            defer arithmetic.Done()
            increment()
        }()
    }
    ... the same with decrement ...
    arithmetic.Wait()                           arithmetic.wait()
    fmt.Println("Arithmetic complete.")         print("Arithmetic complete.")

Why it differs: in Go the goroutines share the variable `count`. In parago a
goroutine may run in another process and gets a copy of what it captures, so
the count lives in shared memory (an atomic) while the Mutex still guards the
whole read-modify-print step, exactly as in Go. Prints flush inside the lock so
the lines appear in lock order even when they come from several processes.
"""

from __future__ import annotations

import parago as pg


def increment(lock: pg.Mutex, count: pg.atomic.Int64) -> None:
    with lock:
        print(f"Incrementing: {count.add(1)}", flush=True)


def decrement(lock: pg.Mutex, count: pg.atomic.Int64) -> None:
    with lock:
        print(f"Decrementing: {count.add(-1)}", flush=True)


def main() -> None:
    count = pg.atomic.Int64()
    lock = pg.Mutex()
    arithmetic = pg.WaitGroup()
    for _ in range(6):
        arithmetic.go(increment, lock, count)
    for _ in range(6):
        arithmetic.go(decrement, lock, count)
    arithmetic.wait()
    print("Arithmetic complete.")


if __name__ == "__main__":
    pg.run(main)
