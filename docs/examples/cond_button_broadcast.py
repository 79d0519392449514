"""Cond.Broadcast: three handlers wait for one button click.

Seed: "Concurrency in Go", ch. 3, "Cond" (the Button example).

    Go                                            parago
    button := Button{Clicked:                     clicked = pg.Cond(pg.Mutex())
        sync.NewCond(&sync.Mutex{})}
    subscribe := func(c *sync.Cond, fn func()) {  def subscribe(c, fn, done):
        var goroutineRunning sync.WaitGroup           running = pg.WaitGroup()
        goroutineRunning.Add(1)                       running.add(1)
        go func() {                                   pg.go(handler, c, fn, running, done)
            goroutineRunning.Done()                   running.wait()
            c.L.Lock()
            defer c.L.Unlock()                    def handler(c, fn, running, done):
            c.Wait()                                  c.L.lock()
            fn()                                      running.done()
        }()                                           c.wait()
        goroutineRunning.Wait()                       fn(); done.done()
    }                                                 c.L.unlock()
    ... subscribe three handlers ...
    button.Clicked.Broadcast()                    with clicked.L: clicked.broadcast()
    clickRegistered.Wait()                        click_registered.wait()

Why it differs: Go's version marks the handler running *before* it waits, so a
broadcast could in principle come before a handler waits (it works in Go only
because the goroutine is scheduled first). With handlers in other processes
that race is real, so each handler takes the lock before saying it runs, and
main broadcasts while holding the lock: then every handler is surely inside
Wait. The handlers' functions are module-level (they are copied to whichever
process runs them).
"""

from __future__ import annotations

from collections.abc import Callable

import parago as pg


def maximize() -> None:
    print("Maximizing window.", flush=True)


def dialog() -> None:
    print("Displaying annoying dialog box!", flush=True)


def clicked_msg() -> None:
    print("Mouse clicked.", flush=True)


def handler(c: pg.Cond, fn: Callable[[], None], running: pg.WaitGroup,
            done: pg.WaitGroup) -> None:
    c.L.lock()
    running.done()
    c.wait()
    fn()
    done.done()
    c.L.unlock()


def subscribe(c: pg.Cond, fn: Callable[[], None], done: pg.WaitGroup) -> None:
    running = pg.WaitGroup()
    running.add(1)
    pg.go(handler, c, fn, running, done)
    running.wait()


def main() -> None:
    clicked = pg.Cond(pg.Mutex())
    click_registered = pg.WaitGroup()
    click_registered.add(3)
    subscribe(clicked, maximize, click_registered)
    subscribe(clicked, dialog, click_registered)
    subscribe(clicked, clicked_msg, click_registered)
    with clicked.L:
        clicked.broadcast()
    click_registered.wait()


if __name__ == "__main__":
    pg.run(main)
