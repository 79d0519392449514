"""sayHello with no join point: the goroutine may never run.

Seed: "Concurrency in Go", ch. 3, "Goroutines".

    Go                                          parago
    func main() {                               def main():
        go sayHello()                               pg.go(say_hello)
    }
    func sayHello() {                           def say_hello():
        fmt.Println("Hello")                        print("Hello")
    }

What it prints: usually nothing. With procs=1, always nothing.

main returns right after starting the goroutine, and when main returns the
program ends: goroutines still running or not yet started are abandoned
(GO-04) — "it's undetermined whether the sayHello function will ever be run
at all". In parago, scheduling is cooperative: with one process, main keeps
the only P until it returns, so say_hello never starts. With more processes
another P could start it before the runtime is torn down, and "Hello" could
appear; it rarely does, since starting the worker processes takes longer
than main. fork_join.py adds the join point that makes it run.

Why it differs: only in spelling.
"""

import parago as pg


def say_hello() -> None:
    print("Hello", flush=True)


def main() -> None:
    pg.go(say_hello)


if __name__ == "__main__":
    pg.run(main)
