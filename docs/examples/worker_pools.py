"""A worker pool: a fixed number of goroutines take jobs from one channel
and send results on another.

Seed: "Mastering Go", "Concurrency in Go — Advanced Topics" ("Worker
pools"); the program is the book's workerPools.go.

    Go                                          parago
    type Client struct {                        Client = namedtuple("Client", "id integer")
        id      int
        integer int
    }
    type Data struct {                          Data = namedtuple("Data", "job square")
        job    Client
        square int
    }
    var size = 10
    var clients = make(chan Client, size)       (made in main, passed to the goroutines)
    var data = make(chan Data, size)

    func worker(w *sync.WaitGroup) {            def worker(w, clients, data, delay):
        for c := range clients {                    for c in clients:
            square := c.integer * c.integer             square = c.integer * c.integer
            output := Data{c, square}                   data.send(Data(c, square))
            data <- output                              pg.sleep(delay)
            time.Sleep(time.Second)                 w.done()
        }
        w.Done()
    }
    func makeWP(n int) {                        def make_wp(n, clients, data, delay):
        var w sync.WaitGroup                        w = pg.WaitGroup()
        for i := 0; i < n; i++ {                    for _ in range(n):
            w.Add(1)                                    w.add(1)
            go worker(&w)                               pg.go(worker, w, clients, data, delay)
        }                                           w.wait()
        w.Wait()                                    data.close()
        close(data)
    }
    func create(n int) {                        def create(n, clients):
        for i := 0; i < n; i++ {                    for i in range(n):
            c := Client{i, i}                           clients.send(Client(i, i))
            clients <- c                            clients.close()
        }
        close(clients)
    }
    func main() {                               def main(n_jobs, n_workers, delay):
        ... nJobs, nWorkers from the command line
        go create(nJobs)                            pg.go(create, n_jobs, clients)
        finished := make(chan interface{})          finished = pg.chan()
        go func() {                                 pg.go(print_results, data, finished)
            for d := range data {
                fmt.Printf("Client ID: %d\\tint: ", d.job.id)
                fmt.Printf("%d\\tsquare: %d\\n", d.job.integer, d.square)
            }
            finished <- true
        }()
        makeWP(nWorkers)                            make_wp(n_workers, clients, data, delay)
        fmt.Printf(": %v\\n", <-finished)            print(f": {finished.recv()}")
    }

What it prints (`python worker_pools.py 8 4`; the order of the lines varies):

    Client ID: 0	int: 0	square: 0
    Client ID: 3	int: 3	square: 9
    Client ID: 1	int: 1	square: 1
    ...
    Client ID: 7	int: 7	square: 49
    : True

Why it differs: Go's `clients` and `data` are package-level channels made
when the program starts. A parago channel lives in a runtime's shared
memory, so it can only be made inside `pg.run`; main makes both and passes
them to every goroutine (a module global would in any case be a separate
variable in each process). Workers may run in any process: with CPU-bound
work instead of the sleep, n workers use up to n cores. The number of jobs,
of workers, and the sleep per job are arguments (default 10 jobs, 4 workers,
1 s, the book's sleep); a fourth, a number of steps of CPU work each job does
instead of sleeping, makes the pool CPU-bound (`python worker_pools.py 160 4
0 30000` keeps every core busy). `pg.WorkerPool` packages the same pattern as a
concurrent.futures Executor; this is the Go way, with goroutines and
channels.
"""

from __future__ import annotations

import sys
from collections import namedtuple

import parago as pg

Client = namedtuple("Client", "id integer")
Data = namedtuple("Data", "job square")
SIZE = 10


def busy(steps: int) -> int:
    s = 0
    for i in range(steps):
        s += i * i
    return s


def worker(w: pg.WaitGroup, clients: pg.Chan[Client], data: pg.Chan[Data], delay: float,
           cpu: int) -> None:
    for c in clients:
        square = c.integer * c.integer
        data.send(Data(c, square))
        if cpu:
            busy(cpu)
        else:
            pg.sleep(delay)
    w.done()


def make_wp(n: int, clients: pg.Chan[Client], data: pg.Chan[Data], delay: float,
            cpu: int = 0) -> None:
    w = pg.WaitGroup()
    for _ in range(n):
        w.add(1)
        pg.go(worker, w, clients, data, delay, cpu)
    w.wait()
    data.close()


def create(n: int, clients: pg.Chan[Client]) -> None:
    for i in range(n):
        clients.send(Client(i, i))
    clients.close()


def print_results(data: pg.Chan[Data], finished: pg.Chan[bool]) -> None:
    for d in data:
        print(f"Client ID: {d.job.id}\tint: {d.job.integer}\tsquare: {d.square}", flush=True)
    finished.send(True)


def main(n_jobs: int = 10, n_workers: int = 4, delay: float = 1.0, cpu: int = 0) -> None:
    clients, data = pg.chan(SIZE), pg.chan(SIZE)
    pg.go(create, n_jobs, clients)
    finished = pg.chan()
    pg.go(print_results, data, finished)
    make_wp(n_workers, clients, data, delay, cpu)
    print(f": {finished.recv()}")


if __name__ == "__main__":
    args = sys.argv[1:]
    pg.run(main, *(int(a) for a in args[:2]), *(float(a) for a in args[2:3]),
           *(int(a) for a in args[3:4]))
