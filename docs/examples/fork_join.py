"""Fork-join: start goroutines (fork), then wait for them (join) — with a
named function and with an anonymous one.

Seed: "Concurrency in Go", ch. 3, "Goroutines".

    Go                                          parago
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    sayHello := func() {                        def say_hello(wg):
        defer wg.Done()                             print("hello")
        fmt.Println("hello")                        wg.done()
    }
    wg.Add(1)                                   wg.add(1)
    go sayHello()                               pg.go(say_hello, wg)
    wg.Wait()  // the join point                wg.wait()       # the join point

    wg.Add(1)                                   wg.go(lambda: print("hello, anonymously"))
    go func() {                                 wg.wait()
        defer wg.Done()
        fmt.Println("hello, anonymously")
    }()
    wg.Wait()

What it prints:

    hello
    hello, anonymously

Why it differs: say_hello.py without the join point may print nothing; the
WaitGroup makes main wait until the goroutine has run. The lambda is copied
to whichever process runs it (cloudpickle), where a Go closure shares its
variables with main; this one captures nothing, so the copy changes nothing
(closures.py shows when it does). `wg.go(fn)` is add(1), go and done in one
call (Go 1.25's WaitGroup.Go).
"""

import parago as pg


def say_hello(wg):
    print("hello", flush=True)
    wg.done()


def main():
    wg = pg.WaitGroup()
    wg.add(1)
    pg.go(say_hello, wg)
    wg.wait()                           # the join point

    wg.go(lambda: print("hello, anonymously", flush=True))
    wg.wait()


if __name__ == "__main__":
    pg.run(main)
