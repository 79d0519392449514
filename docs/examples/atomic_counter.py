"""sync/atomic: many goroutines add to one counter without a lock.

Seed: "Mastering Go", "Concurrency in Go — Advanced Topics" ("The atomic
package"); the program is the book's atomic.go.

    Go                                          parago
    type atomCounter struct {                   counter = pg.atomic.Int64()
        val int64
    }
    func (c *atomCounter) Value() int64 {
        return atomic.LoadInt64(&c.val)
    }
    X, Y := 100, 200  // -x, -y flags           def main(x=100, y=200):
    var waitGroup sync.WaitGroup                    wait_group = pg.WaitGroup()
    counter := atomCounter{}                        counter = pg.atomic.Int64()
    for i := 0; i < X; i++ {                        for i in range(x):
        waitGroup.Add(1)                                wait_group.go(add_y, counter, y)
        go func(no int) {
            defer waitGroup.Done()              def add_y(counter, y):
            for i := 0; i < Y; i++ {                for _ in range(y):
                atomic.AddInt64(&counter.val, 1)        counter.add(1)
            }
        }(i)
    }
    waitGroup.Wait()                                wait_group.wait()
    fmt.Println(counter.Value())                    print(counter.load())

What it prints:

    20000

Why it differs: Go's counter is a struct field that the closures share; here
it is a pg.atomic.Int64, one word of shared memory changed with the
processor's atomic instructions, so goroutines in every process add to the
same counter and none of the x*y additions is lost (AT-01). A plain Python
int captured by the closures would be copied into each goroutine: main
would print 0. X and Y are arguments (the book's -x and -y flags).
"""

from __future__ import annotations

import sys

import parago as pg


def add_y(counter: pg.atomic.Int64, y: int) -> None:
    for _ in range(y):
        counter.add(1)


def main(x: int = 100, y: int = 200) -> None:
    wait_group = pg.WaitGroup()
    counter = pg.atomic.Int64()
    for _ in range(x):
        wait_group.go(add_y, counter, y)
    wait_group.wait()
    print(counter.load())


if __name__ == "__main__":
    pg.run(main, *(int(a) for a in sys.argv[1:3]))
