"""The context package: cancel work running in other goroutines (and other
processes), give an operation a deadline, carry a request-scoped value.

Seed: "Mastering Go", "Concurrency in Go — Advanced Topics" ("The context
package and its advanced functionality"). The seed names the topic without
a program; this one uses each part of the package the way Go code does.

    Go                                          parago
    func worker(ctx context.Context, id int,    def worker(ctx, id, results):
            results chan<- int) {                   while True:
        for {                                           index, _, _ = pg.select(
            select {                                        ctx.done().recv, (results.send, id))
            case <-ctx.Done():                          if index == 0:
                fmt.Printf("worker %d stopped: "            println(f"worker {id} stopped: "
                    "%v\\n", id, ctx.Err())                         f"{ctx.err()}")
                return                                      return
            case results <- id:
            }
        }
    }
    ctx, cancel := context.WithCancel(          ctx, cancel = pg.context.with_cancel(
        context.Background())                       pg.context.background())
    for i := 0; i < 3; i++ {                    for i in range(3):
        wg.Add(1)                                   wg.go(worker, ctx, i, results)
        go func(i int) { defer wg.Done();
            worker(ctx, i, results) }(i)
    }
    for i := 0; i < 9; i++ { <-results }        for _ in range(9): results.recv()
    cancel()                                    cancel()
    wg.Wait()                                   wg.wait()

    func slowOperation(ctx context.Context,     def slow_operation(ctx, seconds, errs):
            d time.Duration) error {                index, _, _ = pg.select(
        select {                                        pg.after(seconds).recv, ctx.done().recv)
        case <-time.After(d):                       errs.send(None if index == 0
            return nil                                        else ctx.err())
        case <-ctx.Done():
            return ctx.Err()
        }
    }
    ctx, cancel = context.WithTimeout(          ctx, cancel = pg.context.with_timeout(
        context.Background(), 50*time.Millisecond)  pg.context.background(), 0.05)
    defer cancel()
    fmt.Println("slow operation:",              pg.go(slow_operation, ctx, 60, errs)
        slowOperation(ctx, time.Minute))        print(f"slow operation: {errs.recv()}")

    ctx := context.WithValue(                   ctx = pg.context.with_value(
        context.Background(), requestID, 42)        pg.context.background(), "request-id", 42)
    go handle(ctx, done)                        pg.go(handle, ctx, done)
    // handle: ctx.Value(requestID)             # handle: ctx.value("request-id")

What it prints (the "stopped" lines in any order):

    worker 0 stopped: context canceled
    worker 1 stopped: context canceled
    worker 2 stopped: context canceled
    slow operation: context deadline exceeded
    handling request 42
    child cancelled: parent err None, child err context canceled
    parent cancelled: child err context canceled
    cause: disk full

Then a parent and its child: cancelling the child leaves the parent alone,
cancelling the parent cancels the child (CTX-04); and with_cancel_cause
records why (CTX-17).

Why it differs: a context pickles as a handle to its shared record, so the
workers may be in any process and `cancel()` closes the one done channel
they all select on, at once. `ctx.done()` is a channel like any other (a
select case); for `background()` it is None, Go's nil channel. `ctx.err()`
returns an exception instance (`pg.context.Canceled`,
`pg.context.DeadlineExceeded`) that prints Go's text. A key travels with the
context (copied) and is compared by type and equality where it is looked up:
plain values such as strings work everywhere (prefix them with your
package's name where Go would use an unexported key type). The slow
operation's time and the timeout are arguments (default 60 s and 0.05 s).
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


def worker(ctx: pg.context.Context, id: int, results: pg.Chan[int]) -> None:
    while True:
        # done() is None only for a context that is never cancelled (background())
        index, _, _ = pg.select(ctx.done().recv,  # type: ignore[union-attr]
                                (results.send, id))
        if index == 0:
            println(f"worker {id} stopped: {ctx.err()}")
            return


def slow_operation(ctx: pg.context.Context, seconds: float,
                   errs: pg.Chan[BaseException | None]) -> None:
    index, _, _ = pg.select(pg.after(seconds).recv,
                            ctx.done().recv)  # type: ignore[union-attr]  # as in worker
    errs.send(None if index == 0 else ctx.err())


def handle(ctx: pg.context.Context, done: pg.Chan[None]) -> None:
    print(f"handling request {ctx.value('request-id')}", flush=True)
    done.close()


def main(slow: float = 60.0, timeout: float = 0.05) -> None:
    ctx, cancel = pg.context.with_cancel(pg.context.background())
    results = pg.chan()
    wg = pg.WaitGroup()
    for i in range(3):
        wg.go(worker, ctx, i, results)
    for _ in range(9):
        results.recv()
    cancel()
    wg.wait()

    ctx, cancel = pg.context.with_timeout(pg.context.background(), timeout)
    errs = pg.chan()
    pg.go(slow_operation, ctx, slow, errs)
    print(f"slow operation: {errs.recv()}")
    cancel()

    ctx = pg.context.with_value(pg.context.background(), "request-id", 42)
    done = pg.chan()
    pg.go(handle, ctx, done)
    done.recv()

    parent, cancel_parent = pg.context.with_cancel(pg.context.background())
    child, cancel_child = pg.context.with_cancel(parent)
    cancel_child()
    print(f"child cancelled: parent err {parent.err()}, child err {child.err()}")
    child, cancel_child = pg.context.with_cancel(parent)
    cancel_parent()
    print(f"parent cancelled: child err {child.err()}")

    ctx, cancel = pg.context.with_cancel_cause(pg.context.background())
    cancel(OSError("disk full"))
    print(f"cause: {pg.context.cause(ctx)}")


if __name__ == "__main__":
    pg.run(main, *(float(a) for a in sys.argv[1:3]))
