"""The for-select loop: work until told to stop, checking a done channel
without blocking between units of work.

Seed: "Concurrency in Go", ch. 3, "The select Statement".

    Go                                          parago
    done := make(chan interface{})              done = pg.chan()
    go func() {                                 pg.go(stop_after, done, 5.0)
        time.Sleep(5 * time.Second)             def stop_after(done, seconds):
        close(done)                                 pg.sleep(seconds)
    }()                                             done.close()
    workCounter := 0                            work_counter = 0
    loop:                                       while True:
    for {                                           index, _, _ = pg.select(done.recv,
        select {                                                            default=True)
        case <-done:                                if index == 0:
            break loop                                  break
        default:
        }
        // Simulate work                            # Simulate work
        workCounter++                               work_counter += 1
        time.Sleep(1 * time.Second)                 pg.sleep(1.0)
    }
    fmt.Printf("Achieved %v cycles of work before signalled to stop.\\n", workCounter)

What it prints (5 with the book's times; the count depends on timing):

    Achieved 5 cycles of work before signalled to stop.

Why it differs: the seed's copy declares `one` and closes `done`; the book's
program uses `done` for both, as here. Go's labelled `break loop` is a plain
`break`: `pg.select` is a function call, not a statement, so nothing else
needs breaking out of. `pg.sleep` blocks only this goroutine, so the
stopper runs meanwhile even with one process. Both times are arguments
(default 5 s and 1 s, as in the book).
"""

from __future__ import annotations

import sys

import parago as pg


def stop_after(done: pg.Chan[None], seconds: float) -> None:
    pg.sleep(seconds)
    done.close()


def main(stop: float = 5.0, work: float = 1.0) -> None:
    done = pg.chan()
    pg.go(stop_after, done, stop)
    work_counter = 0
    while True:
        index, _, _ = pg.select(done.recv, default=True)
        if index == 0:
            break
        # Simulate work
        work_counter += 1
        pg.sleep(work)
    print(f"Achieved {work_counter} cycles of work before signalled to stop.")


if __name__ == "__main__":
    pg.run(main, *(float(a) for a in sys.argv[1:3]))
