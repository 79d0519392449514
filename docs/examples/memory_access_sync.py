"""Memory access synchronization: the race of race_condition.py, with a Mutex.

Seed: "Concurrency in Go", ch. 1, "Memory Access Synchronization".

    Go                                          parago
    var memoryAccess sync.Mutex                 memory_access = pg.Mutex()
    var value int                               value = pg.atomic.Int64()     # shared memory
    go func() {                                 pg.go(increment, memory_access, value)
        memoryAccess.Lock()                     def increment(memory_access, value):
        value++                                     with memory_access:
        memoryAccess.Unlock()                           value.store(value.load() + 1)
    }()
    memoryAccess.Lock()                         with memory_access:
    if value == 0 {                                 if value.load() == 0:
        fmt.Printf("the value is %v.\\n", value)         print(f"the value is {value.load()}.")
    } else {                                        else:
        fmt.Printf("the value is %v.\\n", value)         print(f"the value is {value.load()}.")
    }
    memoryAccess.Unlock()

What it prints: "the value is 0." or "the value is 1." — always exactly one
line now, and the value printed is the value tested. The Mutex makes the
increment and the check-and-print each indivisible; it does not decide their
order (that is still a race, just no longer a data race).

Why it differs: `value` is in shared memory because the goroutine may run in
another process and would otherwise increment a copy. The Mutex is itself in
shared memory: one lock for every process. With procs=1 main keeps its P
until it blocks, so it prints "the value is 0."; with procs >= 2 either line.
"""

from __future__ import annotations

import parago as pg


def increment(memory_access: pg.Mutex, value: pg.atomic.Int64) -> None:
    with memory_access:
        value.store(value.load() + 1)


def main() -> None:
    memory_access = pg.Mutex()
    value = pg.atomic.Int64()
    pg.go(increment, memory_access, value)
    with memory_access:
        if value.load() == 0:
            print(f"the value is {value.load()}.")
        else:
            print(f"the value is {value.load()}.")


if __name__ == "__main__":
    pg.run(main)
