"""Once: a hundred goroutines call once.do(increment); Do counts calls, not functions.

Seed: "Concurrency in Go", ch. 3, "Once" (both programs).

    Go                                           parago
    var count int                                count = pg.atomic.Int64()
    increment := func() { count++ }              increment = lambda: count.add(1)
    var once sync.Once                           once = pg.Once()
    var increments sync.WaitGroup                increments = pg.WaitGroup()
    increments.Add(100)
    for i := 0; i < 100; i++ {                   for _ in range(100):
        go func() {                                  increments.go(once.do, increment)
            defer increments.Done()
            once.Do(increment)
        }()
    }
    increments.Wait()                            increments.wait()
    fmt.Printf("Count is %d\\n", count)           print(f"Count is {count.load()}")

    once.Do(increment); once.Do(decrement)       once.do(increment); once.do(decrement)
    fmt.Printf("Count: %d\\n", count)             print(f"Count: {count.load()}")

Why it differs: the count is shared memory (the goroutines, and so the one
call of increment, may be in any process); the Once itself is shared too,
so exactly one call happens across all processes.
"""

import parago as pg


def main() -> None:
    count = pg.atomic.Int64()
    once = pg.Once()
    increments = pg.WaitGroup()
    for _ in range(100):
        increments.go(once.do, lambda: count.add(1))
    increments.wait()
    print(f"Count is {count.load()}")

    count = pg.atomic.Int64()
    once = pg.Once()
    once.do(lambda: count.add(1))
    once.do(lambda: count.add(-1))
    print(f"Count: {count.load()}")


if __name__ == "__main__":
    pg.run(main)
