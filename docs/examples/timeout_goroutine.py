"""Timing out a goroutine that takes longer than expected — two ways: a
select with time.After, and a WaitGroup watched through a channel.

Seed: "Mastering Go", "Concurrency in Go — Advanced Topics" ("Two
techniques that allow you to time out a goroutine"); the programs are the
book's timeOut1.go and timeOut2.go.

    Go (timeOut1.go)                            parago
    c1 := make(chan string)                     c1 = pg.chan()
    go func() {                                 pg.go(slow, c1, "c1 OK", 3.0)
        time.Sleep(3 * time.Second)             def slow(c, result, seconds):
        c1 <- "c1 OK"                               pg.sleep(seconds)
    }()                                             c.send(result)
    select {                                    index, res, _ = pg.select(c1.recv,
    case res := <-c1:                                                     pg.after(1.0).recv)
        fmt.Println(res)                        print(res if index == 0 else "timeout c1")
    case <-time.After(time.Second * 1):
        fmt.Println("timeout c1")
    }
    c2 := make(chan string)                     ... the same with c2, 3 s of work
    go func() { time.Sleep(3 * time.Second);    and a 4 s timeout: "c2 OK"
        c2 <- "c2 OK" }()
    select {
    case res := <-c2:
        fmt.Println(res)
    case <-time.After(4 * time.Second):
        fmt.Println("timeout c2")
    }

    Go (timeOut2.go)                            parago
    func timeout(w *sync.WaitGroup,             def timeout(w, t, work):
            t time.Duration) bool {                 temp = pg.chan()
        temp := make(chan int)                      pg.go(wait_then_close, w, temp, work)
        go func() {                                 index, _, _ = pg.select(temp.recv,
            defer close(temp)                                           pg.after(t).recv)
            time.Sleep(5 * time.Second)             return index == 1
            w.Wait()
        }()                                     def wait_then_close(w, temp, work):
        select {                                    try:
        case <-temp:                                    pg.sleep(work)
            return false                                w.wait()
        case <-time.After(t):                       finally:
            return true                                 temp.close()
        }
    }
    var w sync.WaitGroup                        w = pg.WaitGroup()
    w.Add(1)                                    w.add(1)
    t, _ := strconv.Atoi(arguments[1])          t = ... seconds
    duration := time.Duration(int32(t)) * time.Millisecond
    fmt.Printf("Timeout period is %s\\n", duration)
    if timeout(&w, duration) {                  print("Timed out!" if timeout(w, t, work)
        fmt.Println("Timed out!")                     else "OK!")
    } else { fmt.Println("OK!") }
    w.Done()                                    w.done()
    if timeout(&w, duration) {                  print("Timed out!" if timeout(w, t, work)
        fmt.Println("Timed out!")                     else "OK!")
    } else { fmt.Println("OK!") }

What it prints (with the books' times, and 10 s given to timeOut2):

    timeout c1
    c2 OK
    Timeout period is 10s
    Timed out!
    OK!

The first select gives up on c1 after 1 s (its sender needs 3 s); the second
waits up to 4 s and gets "c2 OK". timeOut2's first call times out because
nobody has called w.Done() yet, so the watcher's w.Wait() blocks; after
w.Done() the second call returns "OK!" once the watcher's 5 s of work are
done, well within the 10 s.

Why it differs: only in spelling; the anonymous goroutines become
module-level functions given their channel. The goroutine that lost the race
is not stopped (Go cannot stop it either): it finishes later, or is
abandoned when main returns. All the times are arguments — `work1 short
long work2 t` in seconds, default 3 1 4 5 10 — so the test runs in about a
second with the same outcome (its margins are hundreds of milliseconds,
against timer resolution of about a millisecond).
"""

from __future__ import annotations

import sys

import parago as pg


def slow(c: pg.Chan[str], result: str, seconds: float) -> None:
    pg.sleep(seconds)
    c.send(result)


def wait_then_close(w: pg.WaitGroup, temp: pg.Chan[int], work: float) -> None:
    try:
        pg.sleep(work)
        w.wait()
    finally:                            # defer close(temp)
        temp.close()


def timeout(w: pg.WaitGroup, t: float, work: float) -> bool:
    temp = pg.chan()
    pg.go(wait_then_close, w, temp, work)
    index, _, _ = pg.select(temp.recv, pg.after(t).recv)
    return index == 1


def go_duration(seconds: float) -> str:
    """A duration the way Go's time.Duration prints it: 1.5s, 44.417µs, 120ns."""
    ns = round(seconds * 1e9)
    for unit, size, digits in (("s", 10**9, 9), ("ms", 10**6, 6), ("µs", 10**3, 3)):
        if ns >= size:
            return f"{ns / size:.{digits}f}".rstrip("0").rstrip(".") + unit
    return f"{ns}ns"


def main(work1: float = 3.0, short: float = 1.0, long: float = 4.0, work2: float = 5.0,
         t: float = 10.0) -> None:
    # timeOut1.go
    c1 = pg.chan()
    pg.go(slow, c1, "c1 OK", work1)
    index, res, _ = pg.select(c1.recv, pg.after(short).recv)
    print(res if index == 0 else "timeout c1", flush=True)

    c2 = pg.chan()
    pg.go(slow, c2, "c2 OK", work1)
    index, res, _ = pg.select(c2.recv, pg.after(long).recv)
    print(res if index == 0 else "timeout c2", flush=True)

    # timeOut2.go
    w = pg.WaitGroup()
    w.add(1)
    print(f"Timeout period is {go_duration(t)}", flush=True)
    print("Timed out!" if timeout(w, t, work2) else "OK!", flush=True)
    w.done()
    print("Timed out!" if timeout(w, t, work2) else "OK!", flush=True)


if __name__ == "__main__":
    pg.run(main, *(float(a) for a in sys.argv[1:6]))
