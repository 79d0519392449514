"""Cond: a queue of at most two items, filled by main, drained by goroutines.

Seed: "Concurrency in Go", ch. 3, "Cond" (coordinating inserts and removes).

    Go                                          parago
    c := sync.NewCond(&sync.Mutex{})            c = pg.Cond(pg.Mutex())
    queue := make([]interface{}, 0, 10)         queue = pg.atomic.Int64()   # its length
    removeFromQueue := func(delay) {            def remove_from_queue(c, queue, delay):
        time.Sleep(delay)                           pg.sleep(delay)
        c.L.Lock()                                  c.L.lock()
        queue = queue[1:]                           queue.add(-1)
        fmt.Println("Removed from queue")           print("Removed from queue")
        c.L.Unlock()                                c.L.unlock()
        c.Signal()                                  c.signal()
    }
    for i := 0; i < 10; i++ {                   for _ in range(10):
        c.L.Lock()                                  c.L.lock()
        for len(queue) == 2 {                       while queue.load() == 2:
            c.Wait()                                    c.wait()
        }
        fmt.Println("Adding to queue")              print("Adding to queue")
        queue = append(queue, struct{}{})           queue.add(1)
        go removeFromQueue(1 * time.Second)         pg.go(remove_from_queue, c, queue, 1.0)
        c.L.Unlock()                                c.L.unlock()
    }

Why it differs: the slice shared by closures becomes its length in shared
memory, since the goroutines may run in other processes. The delay is an
argument (default 1 s as in the book; the test passes a shorter one).
"""

from __future__ import annotations

import sys

import parago as pg


def remove_from_queue(c: pg.Cond, queue: pg.atomic.Int64, delay: float) -> None:
    pg.sleep(delay)
    c.L.lock()
    queue.add(-1)
    print("Removed from queue", flush=True)
    c.L.unlock()
    c.signal()


def main(delay: float = 1.0) -> None:
    c = pg.Cond(pg.Mutex())
    queue = pg.atomic.Int64()
    pending = pg.WaitGroup()
    for _ in range(10):
        c.L.lock()
        while queue.load() == 2:
            c.wait()
        print("Adding to queue", flush=True)
        queue.add(1)
        pending.go(remove_from_queue, c, queue, delay)
        c.L.unlock()
    pending.wait()      # Go's program simply exits here; we let the removals finish


if __name__ == "__main__":
    pg.run(main, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
