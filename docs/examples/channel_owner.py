"""Channel ownership: the goroutine that makes a channel writes it and closes
it, and hands out only its receiving end.

Seed: "Concurrency in Go", ch. 3, "Channels" (the channel owner).

    Go                                          parago
    chanOwner := func() <-chan int {            def chan_owner():
        resultStream := make(chan int, 5)           result_stream = pg.chan(5)
        go func() {                                 pg.go(write_results, result_stream)
            defer close(resultStream)               return result_stream.recv_only()
            for i := 0; i <= 5; i++ {
                resultStream <- i               def write_results(result_stream):
            }                                       try:
        }()                                             for i in range(6):
        return resultStream                                 result_stream.send(i)
    }                                               finally:
                                                        result_stream.close()
    resultStream := chanOwner()                 result_stream = chan_owner()
    for result := range resultStream {          for result in result_stream:
        fmt.Printf("Received: %d\\n", result)        print(f"Received: {result}")
    }
    fmt.Println("Done receiving!")              print("Done receiving!")

What it prints:

    Received: 0
    Received: 1
    Received: 2
    Received: 3
    Received: 4
    Received: 5
    Done receiving!

Why it differs: only in spelling. The owner's closure becomes a module-level
function given the channel (goroutine bodies are copied to the process that
runs them). `recv_only()` is Go's `<-chan int`: the consumer can receive and
range, and `send` or `close` on it raise TypeError, where Go refuses to
compile.
"""

from __future__ import annotations

import parago as pg


def write_results(result_stream: pg.Chan[int]) -> None:
    try:
        for i in range(6):
            result_stream.send(i)
    finally:
        result_stream.close()


def chan_owner() -> pg.RecvOnlyChan[int]:
    result_stream = pg.chan(5)
    pg.go(write_results, result_stream)
    return result_stream.recv_only()


def main() -> None:
    result_stream = chan_owner()
    for result in result_stream:
        print(f"Received: {result}")
    print("Done receiving!")


if __name__ == "__main__":
    pg.run(main)
