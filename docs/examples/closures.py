"""Closures in goroutines: does a goroutine see the variables it closes
over, or copies? In Go the originals; in parago copies — and what to do
instead.

Seed: "Concurrency in Go", ch. 3, "Goroutines" (the salutation programs).

    Go                                          parago
    var wg sync.WaitGroup                       wg = pg.WaitGroup()
    salutation := "hello"                       salutation = "hello"
    wg.Add(1)                                   def welcome():
    go func() {                                     nonlocal salutation
        defer wg.Done()                             salutation = "welcome"
        salutation = "welcome"                  wg.go(welcome)
    }()                                         wg.wait()
    wg.Wait()                                   print(salutation)       # hello
    fmt.Println(salutation)  // welcome

    for _, salutation := range                  for salutation in ["hello", "greetings",
            []string{"hello", "greetings",                         "good day"]:
            "good day"} {                           wg.go(lambda: println(salutation))
        wg.Add(1)                               wg.wait()
        go func() {
            defer wg.Done()
            fmt.Println(salutation)
        }()
    }
    wg.Wait()

    ... the same loop with go func(salutation string) {...}(salutation)
                                                wg.go(println, salutation)

What it prints (each group of three lines in any order):

    hello
    welcome
    hello
    greetings
    good day
    hello
    greetings
    good day

1. Go prints "welcome": the goroutine runs in main's address space and
   assigns main's variable. parago prints "hello": `go` copies the function
   with everything it captures (the goroutine may run in another process,
   where main's variables do not exist), so the goroutine assigns its own
   copy. The parago way is to send the result back — here on a channel —
   and main prints "welcome". (Shared state that many goroutines update
   goes in shared memory instead: pg.atomic, or a value guarded by a Mutex.)
2. Before Go 1.22 the loop prints "good day" three times, usually: every
   closure shares the one loop variable, which has reached its last value
   by the time the goroutines run (Go 1.22 gave each iteration its own
   variable). parago copies each closure when `go` is called, so each
   goroutine prints the value of its own iteration: hello, greetings and
   good day — the same as Go 1.22, and as the book's fix, which is part 3.
3. Passing the value as an argument, the book's "proper way", is also
   parago's: arguments are copied at the `go` statement (GO-01).

Why it differs: see 1 and 2 — the copy at `go` is the difference. A
Python thread running the closure of part 1 would print "welcome" and the
loop of part 2 would print "good day" three times or a mix, just like
old Go. The goroutines print with `println` (below): one write per line,
so lines from different processes never mix (docs/caveats.md, "Printing").
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


def send_welcome(result: pg.Chan[str]) -> None:
    result.send("welcome")


def main() -> None:
    wg = pg.WaitGroup()
    salutation = "hello"

    def welcome() -> None:
        nonlocal salutation
        salutation = "welcome"          # assigns the goroutine's own copy

    wg.go(welcome)
    wg.wait()
    print(salutation, flush=True)       # hello

    result = pg.chan()                  # the parago way: communicate the new value
    pg.go(send_welcome, result)
    salutation = result.recv()
    print(salutation, flush=True)       # welcome

    for salutation in ["hello", "greetings", "good day"]:
        wg.go(lambda: println(salutation))      # noqa: B023 (copied now)
    wg.wait()

    for salutation in ["hello", "greetings", "good day"]:
        wg.go(println, salutation)
    wg.wait()


if __name__ == "__main__":
    pg.run(main)
