"""Pool: reuse instead of creating — the instance program and the 1,048,576
goroutines with 4 KB of pooled buffers.

Seed: "Concurrency in Go", ch. 3, "Pool".

    Go                                             parago
    myPool := &sync.Pool{New: func() interface{} { pool = pg.Pool(new_instance)
        fmt.Println("Creating new instance.")
        return struct{}{} }}
    myPool.Get()                                   pool.get()
    instance := myPool.Get()                       instance = pool.get()
    myPool.Put(instance)                           pool.put(instance)
    myPool.Get()                                   pool.get()

    calcPool := &sync.Pool{New: func() interface{} {
        numCalcsCreated += 1                       created.add(1)   # shared counter
        mem := make([]byte, 1024); return &mem }}  return bytearray(1024)
    // seed the pool with 4KB                      for _ in range(4): calc_pool.put(calc_pool.new())
    const numWorkers = 1024 * 1024                 NUM_WORKERS = 1024 * 1024
    for i := numWorkers; i > 0; i-- {              for _ in range(NUM_WORKERS):
        go func() {                                    wg.go(worker, calc_pool)
            defer wg.Done()
            mem := calcPool.Get().(*[]byte)
            defer calcPool.Put(mem) }()
    }
    fmt.Printf("%d calculators were created.",     print(f"{created.load()} calculators "
        numCalcsCreated)                             "were created.")

Why it differs: a Pool's free objects stay in the process that put them (they
are never copied between processes), so each process that runs workers keeps
its own handful of buffers: a few calculators per process are created, never
a million. The number of goroutines is an argument (the test uses fewer).
"""

from __future__ import annotations

import sys

import parago as pg


def new_instance() -> object:
    print("Creating new instance.", flush=True)
    return object()


def worker(calc_pool: pg.Pool) -> None:
    mem = calc_pool.get()
    # Assume something interesting, but quick, is done with this memory.
    calc_pool.put(mem)


def new_calculator(created: pg.atomic.Int64) -> bytearray:
    created.add(1)
    return bytearray(1024)


def main(num_workers: int = 1024 * 1024) -> None:
    pool = pg.Pool(new_instance)
    pool.get()
    instance = pool.get()
    pool.put(instance)
    pool.get()

    created = pg.atomic.Int64()
    calc_pool = pg.Pool(lambda: new_calculator(created))
    for _ in range(4):                      # seed the pool with 4 KB
        calc_pool.put(calc_pool.new())  # type: ignore[misc]  # Pool.new is optional; set above
    wg = pg.WaitGroup()
    for _ in range(num_workers):
        wg.go(worker, calc_pool)
    wg.wait()
    print(f"{created.load()} calculators were created.")


if __name__ == "__main__":
    pg.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 1024 * 1024)
