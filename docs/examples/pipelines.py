"""A pipeline: three goroutines joined by channels — random numbers, until
one repeats; the unique ones; their sum.

Seed: "Mastering Go", "Concurrency in Go — Goroutines, Channels, and
Pipelines" ("Creating pipelines"); the program is the book's pipeline.go.

    Go                                          parago
    var CLOSEA = false                          closea = pg.atomic.Bool()  # made in main
    var DATA = make(map[int]bool)               (a dict local to second: confined)
    func first(min, max int, out chan<- int) {  def first(lo, hi, out, closea, rng):
        for {                                       while True:
            if CLOSEA {                                 if closea.load():
                close(out)                                  out.close()
                return                                      return
            }                                           out.send(rng.randrange(lo, hi))
            out <- random(min, max)
        }
    }
    func second(out chan<- int,                 def second(out, inp, closea):
            in <-chan int) {                        data = {}
        for x := range in {                         for x in inp:
            fmt.Print(x, " ")                           print(x, end=" ")
            _, ok := DATA[x]                            if x in data:
            if ok {                                         closea.store(True)
                CLOSEA = true                           else:
            } else {                                        data[x] = True
                DATA[x] = true                              out.send(x)
                out <- x                            print()
            }                                       out.close()
        }
        fmt.Println()
        close(out)
    }
    func third(in <-chan int) {                 def third(inp):
        var sum int                                 total = 0
        for x2 := range in {                        for x2 in inp:
            sum = sum + x2                              total += x2
        }                                           print(f"The sum of the random "
        fmt.Printf("The sum of the random "               f"numbers is {total}")
            "numbers is %d\\n", sum)
    }
    func main() {                               def main(lo, hi, seed):
        ... n1, n2 from the command line
        A := make(chan int)                         a, b = pg.chan(), pg.chan()
        B := make(chan int)                         pg.go(first, lo, hi, a.send_only(), ...)
        go first(n1, n2, A)                         pg.go(second, b.send_only(), a.recv_only(),
        go second(B, A)                                   closea)
        third(B)                                    third(b.recv_only())
    }

What it prints (random; `python pipelines.py 1 10`):

    9 8 3 6 5 1 9
    The sum of the random numbers is 32

Why it differs: Go's `CLOSEA` is a package variable that `second` sets and
`first` reads — shared memory, and in Go a data race (the race detector
flags it). A module global in parago is per process: `first` may run in
another process and would never see `second` set its copy. So the flag is a
`pg.atomic.Bool` made in main and handed to both: one word of shared memory,
read and written atomically, which also fixes Go's race. `DATA` is used only
by `second`, so it becomes a dict local to it (confinement: nothing to
share). After `second` sets the flag, `first` may already be waiting to
send one more number, which `second` still prints. Range and seed are
arguments (`min max [seed]`, default 1 10); the channel directions are
Go's, with send_only()/recv_only().
"""

from __future__ import annotations

import random
import sys

import parago as pg


def first(lo: int, hi: int, out: pg.SendOnlyChan[int], closea: pg.atomic.Bool,
          seed: int | None) -> None:
    rng = random.Random(seed)
    while True:
        if closea.load():
            out.close()
            return
        out.send(rng.randrange(lo, hi))


def second(out: pg.SendOnlyChan[int], inp: pg.RecvOnlyChan[int],
           closea: pg.atomic.Bool) -> None:
    data: dict[int, bool] = {}
    for x in inp:
        print(x, end=" ", flush=True)
        if x in data:
            closea.store(True)
        else:
            data[x] = True
            out.send(x)
    print(flush=True)
    out.close()


def third(inp: pg.RecvOnlyChan[int]) -> None:
    total = 0
    for x2 in inp:
        total += x2
    print(f"The sum of the random numbers is {total}")


def main(lo: int = 1, hi: int = 10, seed: int | None = None) -> None:
    if lo >= hi:
        raise SystemExit(f"{lo} should be smaller than {hi}")
    closea = pg.atomic.Bool()
    a, b = pg.chan(), pg.chan()
    pg.go(first, lo, hi, a.send_only(), closea, seed)
    pg.go(second, b.send_only(), a.recv_only(), closea)
    third(b.recv_only())


if __name__ == "__main__":
    pg.run(main, *(int(a) for a in sys.argv[1:4]))
