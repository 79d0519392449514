"""Once deadlock: initA waits for onceB, whose initB waits for onceA.

Seed: "Concurrency in Go", ch. 3, "Once" (the deadlock).

    Go                                          parago
    var onceA, onceB sync.Once                  once_a, once_b = pg.Once(), pg.Once()
    var initB func()
    initA := func() { onceB.Do(initB) }         def init_a(once_a, once_b):
                                                    once_b.do(lambda: init_b(once_a, once_b))
    initB = func() { onceA.Do(initA) }          def init_b(once_a, once_b):
                                                    once_a.do(lambda: init_a(once_a, once_b))
    onceA.Do(initA)                             once_a.do(lambda: init_a(once_a, once_b))

What it prints: nothing on stdout; on stderr Go's report, and exit status 2:

    fatal error: all goroutines are asleep - deadlock!

    goroutine 1 [sync.Mutex.Lock]: (P0, pid ...)
      File ".../once_deadlock.py", line ..., in init_b
        once_a.do(lambda: init_a(once_a, once_b))
      ...

onceA.Do cannot return until initA returns, initA until onceB.Do returns,
that until initB returns, and initB waits for onceA.Do — the first call,
still running. A Once holds a mutex while its function runs (so no Do
returns before the function has, ONCE-02); the second onceA.Do blocks on it
(ONCE-04). parago's deadlock detector sees main blocked with nothing else
that could wake it and `pg.run` raises `pg.Deadlock`; like every broken
example here, the script prints "fatal error: " + the message on stderr and
exits with status 2.

Why it differs: only in spelling (Go's initA/initB capture the Onces; here
they are arguments, as a goroutine would need them).
"""

from __future__ import annotations

import sys

import parago as pg


def init_a(once_a: pg.Once, once_b: pg.Once) -> None:
    once_b.do(lambda: init_b(once_a, once_b))


def init_b(once_a: pg.Once, once_b: pg.Once) -> None:
    once_a.do(lambda: init_a(once_a, once_b))


def main() -> None:
    once_a, once_b = pg.Once(), pg.Once()
    once_a.do(lambda: init_a(once_a, once_b))
    print("unreachable: onceA.Do returned")


if __name__ == "__main__":
    try:
        pg.run(main)
    except pg.Deadlock as e:        # Go: "fatal error: ..." and exit status 2
        print(f"fatal error: {e}", file=sys.stderr)
        sys.exit(2)
