"""A monitor goroutine: one goroutine owns a value; everybody else reads and
writes it by talking to that goroutine over channels.

Seed: "Mastering Go", "Concurrency in Go — Advanced Topics" ("Monitor
goroutines", "Shared memory and mutexes"); the program is the book's
monitor.go.

    Go                                          parago
    var readValue = make(chan int)              (made in main, passed along)
    var writeValue = make(chan int)
    func set(newValue int) {                    def set_value(write_value, new_value):
        writeValue <- newValue                      write_value.send(new_value)
    }
    func read() int {                           def read(read_value):
        return <-readValue                          return read_value.recv()
    }
    func monitor() {                            def monitor(read_value, write_value):
        var value int                               value = 0
        for {                                       while True:
            select {                                    index, new_value, _ = pg.select(
            case newValue := <-writeValue:                  write_value.recv,
                value = newValue                            (read_value.send, value))
                fmt.Printf("%d ", value)                if index == 0:
            case readValue <- value:                        value = new_value
            }                                               print(value, end=" ")
        }
    }
    func main() {                               def main(n=10):
        ... n from the command line                 print(f"Going to create {n} "
        fmt.Printf("Going to create %d "                  "random numbers.")
            "random numbers.\\n", n)
        go monitor()                                pg.go(monitor, read_value, write_value)
        var w sync.WaitGroup                        w = pg.WaitGroup()
        for r := 0; r < n; r++ {                    for _ in range(n):
            w.Add(1)                                    w.go(set_random, write_value, n)
            go func() {
                defer w.Done()
                set(rand.Intn(10 * n))
            }()
        }
        w.Wait()                                    w.wait()
        fmt.Printf("\\nLast value: %d\\n", read())    print(f"\\nLast value: {read(read_value)}")
    }

What it prints (random numbers; `python monitor_goroutine.py 10`):

    Going to create 10 random numbers.
    40 81 22 63 17 96 4 55 38 70
    Last value: 70

Why it differs: the value is confined to the monitor goroutine, so there is
nothing to share — exactly what parago needs, since goroutines in other
processes could not share a plain variable anyway. The two channels are
made in main and passed to the goroutines (a channel can only be made
inside pg.run). The "Last value" is always the last number printed: the
monitor prints a new value before it loops back to its select, and only
there can it answer the read.
"""

from __future__ import annotations

import random
import sys

import parago as pg


def set_value(write_value: pg.Chan[int], new_value: int) -> None:
    write_value.send(new_value)


def read(read_value: pg.Chan[int]) -> int:
    return read_value.recv()


def monitor(read_value: pg.Chan[int], write_value: pg.Chan[int]) -> None:
    value = 0
    while True:
        index, new_value, _ = pg.select(write_value.recv, (read_value.send, value))
        if index == 0:
            value = new_value
            print(value, end=" ", flush=True)


def set_random(write_value: pg.Chan[int], n: int) -> None:
    set_value(write_value, random.randrange(10 * n))


def main(n: int = 10) -> None:
    print(f"Going to create {n} random numbers.", flush=True)
    read_value, write_value = pg.chan(), pg.chan()
    pg.go(monitor, read_value, write_value)
    w = pg.WaitGroup()
    for _ in range(n):
        w.go(set_random, write_value, n)
    w.wait()
    print(f"\nLast value: {read(read_value)}")


if __name__ == "__main__":
    pg.run(main, *(int(a) for a in sys.argv[1:2]))
