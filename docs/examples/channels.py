"""Channels: reading from a closed channel, ranging over a channel, and
closing one channel to unblock many goroutines at once.

Seed: "Concurrency in Go", ch. 3, "Channels".

    Go                                          parago
    intStream := make(chan int)                 int_stream = pg.chan()
    close(intStream)                            int_stream.close()
    integer, ok := <-intStream                  integer, ok = int_stream.recv_ok()
    fmt.Printf("(%v): %v", ok, integer)         print(f"({ok}): {integer}")

    intStream := make(chan int)                 int_stream = pg.chan()
    go func() {                                 pg.go(count_to_five, int_stream)
        defer close(intStream)                  def count_to_five(int_stream):
        for i := 1; i <= 5; i++ {                   try:
            intStream <- i                              for i in range(1, 6):
        }                                                   int_stream.send(i)
    }()                                             finally:
                                                        int_stream.close()
    for integer := range intStream {            for integer in int_stream:
        fmt.Printf("%v ", integer)                  print(integer, end=" ")
    }

    begin := make(chan interface{})             begin = pg.chan()
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    for i := 0; i < 5; i++ {                    for i in range(5):
        wg.Add(1)                                   wg.go(wait_to_begin, begin, i)
        go func(i int) {                        def wait_to_begin(begin, i):
            defer wg.Done()                         begin.recv()
            <-begin                                 println(f"{i} has begun")
            fmt.Printf("%v has begun\\n", i)
        }(i)
    }
    fmt.Println("Unblocking goroutines...")     print("Unblocking goroutines...")
    close(begin)                                begin.close()
    wg.Wait()                                   wg.wait()

What it prints (the "has begun" lines in any order):

    (False): None
    1 2 3 4 5
    Unblocking goroutines...
    4 has begun
    2 has begun
    3 has begun
    0 has begun
    1 has begun
    TypeError: send to receive-only channel

Why it differs: a closed, drained channel gives Go's zero value, which is
`None` in parago whatever the channel carries (Go prints "(false): 0").
Unblocking: close wakes every goroutine blocked receiving (CH-16), in every
process at once — the same thing sync.Cond's broadcast does. Main prints
"Unblocking goroutines..." while every goroutine is still blocked (none can
get past `begin.recv()` before the close), so that line always comes first.
Directions: `ch.recv_only()` and `ch.send_only()` are Go's `<-chan` and
`chan<-`; what Go rejects at compile time raises TypeError here, shown last.
Goroutines print with `println` (below): one write per line, so lines from
different processes never mix (see docs/caveats.md, "Printing").
"""

from __future__ import annotations

import sys

import parago as pg


def println(*args: object) -> None:
    """Go's fmt.Println in one write, so that lines printed at the same time
    by goroutines in different processes never mix (print() writes the text
    and the newline separately when stdout is unbuffered: python -u,
    PYTHONUNBUFFERED)."""
    sys.stdout.write(" ".join(map(str, args)) + "\n")
    sys.stdout.flush()


def count_to_five(int_stream: pg.Chan[int]) -> None:
    try:
        for i in range(1, 6):
            int_stream.send(i)
    finally:                            # defer close(intStream)
        int_stream.close()


def wait_to_begin(begin: pg.Chan[None], i: int) -> None:
    begin.recv()                        # blocks until begin is closed
    println(f"{i} has begun")


def main() -> None:
    int_stream = pg.chan()
    int_stream.close()
    integer, ok = int_stream.recv_ok()
    print(f"({ok}): {integer}")

    int_stream = pg.chan()
    pg.go(count_to_five, int_stream)
    for integer in int_stream:          # ends when the channel is closed
        print(integer, end=" ")
    print(flush=True)

    begin = pg.chan()
    wg = pg.WaitGroup()
    for i in range(5):
        wg.go(wait_to_begin, begin, i)
    print("Unblocking goroutines...", flush=True)
    begin.close()
    wg.wait()

    read_only = pg.chan(1).recv_only()  # Go: var dataStream <-chan interface{}
    try:
        read_only.send(1)  # type: ignore[arg-type]  # the point: mypy rejects it too
    except TypeError as e:              # Go: a compile-time error
        print(f"TypeError: {e}")


if __name__ == "__main__":
    pg.run(main)
