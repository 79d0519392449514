"""Confinement: data only one goroutine can reach needs no synchronization —
ad hoc (by convention) and lexical (by scope).

Seed: "Concurrency in Go", ch. 4, "Confinement".

    Go                                          parago
    // ad hoc
    data := make([]int, 4)                      data = [0] * 4
    loopData := func(handleData chan<- int) {   def loop_data(handle_data, data):
        defer close(handleData)                     try:
        for i := range data {                           for i in range(len(data)):
            handleData <- data[i]                           handle_data.send(data[i])
        }                                           finally:
    }                                                   handle_data.close()
    handleData := make(chan int)                handle_data = pg.chan()
    go loopData(handleData)                     pg.go(loop_data, handle_data.send_only(), data)
    for num := range handleData {               for num in handle_data:
        fmt.Println(num)                            print(num)
    }

    // lexical
    chanOwner := func() <-chan int {            def chan_owner():
        results := make(chan int, 5)                results = pg.chan(5)
        go func() {                                 pg.go(write_results, results.send_only())
            defer close(results)                    return results.recv_only()
            for i := 0; i <= 5; i++ {
                results <- i                    def write_results(results):
            }                                       try:
        }()                                             for i in range(6):
        return results                                      results.send(i)
    }                                               finally:
                                                        results.close()
    consumer := func(results <-chan int) {      def consumer(results):
        for result := range results {               for result in results:
            fmt.Printf("Received: %d\\n", result)        print(f"Received: {result}")
        }                                           print("Done receiving!")
        fmt.Println("Done receiving!")
    }
    results := chanOwner()                      results = chan_owner()
    consumer(results)                           consumer(results)

What it prints:

    0
    0
    0
    0
    Received: 0
    Received: 1
    Received: 2
    Received: 3
    Received: 4
    Received: 5
    Done receiving!

Why it differs: in Go, `data` is shared by loopData and main and only a
convention keeps main from touching it. In parago `go` copies its arguments
(loop_data gets its own copy of the list), so ad hoc confinement is what
you get anyway: what main does to `data` afterwards cannot reach the
goroutine, nor the reverse. Lexical confinement is as in Go: the writing
end (`send_only()`, Go's `chan<- int`) stays inside chan_owner and its
goroutine, the consumer only ever sees `recv_only()` (`<-chan int`).
"""

from __future__ import annotations

import parago as pg


def loop_data(handle_data: pg.SendOnlyChan[int], data: list[int]) -> None:
    try:
        for i in range(len(data)):
            handle_data.send(data[i])
    finally:
        handle_data.close()


def write_results(results: pg.SendOnlyChan[int]) -> None:
    try:
        for i in range(6):
            results.send(i)
    finally:
        results.close()


def chan_owner() -> pg.RecvOnlyChan[int]:
    results = pg.chan(5)
    pg.go(write_results, results.send_only())
    return results.recv_only()


def consumer(results: pg.RecvOnlyChan[int]) -> None:
    for result in results:
        print(f"Received: {result}")
    print("Done receiving!")


def main() -> None:
    data = [0] * 4                      # make([]int, 4)
    handle_data = pg.chan()
    pg.go(loop_data, handle_data.send_only(), data)
    for num in handle_data:
        print(num)

    results = chan_owner()
    consumer(results)


if __name__ == "__main__":
    pg.run(main)
