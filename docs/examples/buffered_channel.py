"""Buffered channels: a channel of capacity 4 is an in-memory FIFO queue;
a producer fills it, main ranges over it.

Seed: "Concurrency in Go", ch. 3, "Channels" (buffered channels).

    Go                                          parago
    c := make(chan rune, 4)                     c = pg.chan(4)
    c <- 'A'; c <- 'B'; c <- 'C'; c <- 'D'      for r in "ABCD": c.send(r)
    c <- 'E'  // full: blocks until a read      pg.select((c.send, "E"), default=True)
                                                    # -1: it would block

    var stdoutBuff bytes.Buffer                 (each line is printed as it happens)
    defer stdoutBuff.WriteTo(os.Stdout)
    intStream := make(chan int, 4)              int_stream = pg.chan(4)
    go func() {                                 pg.go(producer, int_stream)
        defer close(intStream)                  def producer(int_stream):
        defer fmt.Fprintln(&stdoutBuff,             for i in range(5):
            "Producer Done.")                           println(f"Sending: {i}")
        for i := 0; i < 5; i++ {                        int_stream.send(i)
            fmt.Fprintf(&stdoutBuff,                println("Producer Done.")
                "Sending: %d\\n", i)                 int_stream.close()
            intStream <- i
        }
    }()
    for integer := range intStream {            for integer in int_stream:
        fmt.Fprintf(&stdoutBuff,                    println(f"Received {integer}.")
            "Received %v.\\n", integer)
    }

What it prints:

    len 4, cap 4: sending 'E' would block
    'E' sent once a reader took 'A'; the queue: B C D E
    Sending: 0
    Sending: 1
    Sending: 2
    Sending: 3
    Sending: 4
    Producer Done.
    Received 0.
    Received 1.
    Received 2.
    Received 3.
    Received 4.

That is the book's output, and what parago prints with procs=1: main blocks
in its first receive, the producer runs, hands 0 straight to the waiting main
(CH-08) and buffers 1..4 without blocking (CH-03), closes, and only then does
main run again. With more processes the lines interleave differently, but
"Sending: i" always comes before "Received i." and both columns stay in
order (FIFO, CH-06).

Why it differs: Go's goroutines write into one bytes.Buffer (in the book
even without a lock). A goroutine here may run in another process and would
write into its own copy of a buffer, so each line is printed when it
happens, with `println` (below): one write per line, so lines from different
processes never mix and come out in the order they were written. Go's
blocked `c <- 'E'` is shown with a non-blocking select (a send case and
default) instead of hanging the program, then with a goroutine that reads
once so the send completes.
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


def producer(int_stream: pg.Chan[int]) -> None:
    try:
        for i in range(5):
            println(f"Sending: {i}")
            int_stream.send(i)
        println("Producer Done.")
    finally:
        int_stream.close()


def read_one(c: pg.Chan[str], got: pg.Chan[str]) -> None:
    got.send(c.recv())


def main() -> None:
    c = pg.chan(4)
    for r in "ABCD":
        c.send(r)
    index, _, _ = pg.select((c.send, "E"), default=True)
    if index == -1:
        print(f"len {len(c)}, cap {c.cap}: sending 'E' would block")
    got = pg.chan()
    pg.go(read_one, c, got)             # "... in some other goroutine: <-c"
    c.send("E")                         # blocks until that goroutine reads
    first = got.recv()
    print(f"'E' sent once a reader took {first!r}; the queue:",
          " ".join(c.recv() for _ in range(len(c))), flush=True)

    int_stream = pg.chan(4)
    pg.go(producer, int_stream)
    for integer in int_stream:
        println(f"Received {integer}.")


if __name__ == "__main__":
    pg.run(main)
