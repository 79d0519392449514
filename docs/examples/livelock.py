"""Livelock: Alice and Barbara meet in a hallway and keep stepping aside
together, left, right, left, right..., until each gives up.

Seed: "Concurrency in Go", ch. 1, "Livelocks".

    Go                                          parago
    cadence := sync.NewCond(&sync.Mutex{})      cadence = pg.Cond(pg.Mutex())
    go func() {                                 pg.go(keep_cadence, cadence, waiting, 2)
        for range time.Tick(1*time.Millisecond) {   for _ in pg.tick(0.001):
            cadence.Broadcast()                         with cadence.L:
        }                                                   if waiting.load() == walkers:
    }()                                                         waiting.store(0)
                                                                cadence.broadcast()
    takeStep := func() {                        def take_step(cadence, waiting):
        cadence.L.Lock()                            with cadence.L:
        cadence.Wait()                                  waiting.add(1)
        cadence.L.Unlock()                              cadence.wait()
    }
    tryDir := func(dirName string,              def try_dir(dir_name, dir, out, ...):
            dir *int32, out *bytes.Buffer) bool {   out.append(f" {dir_name}")
        fmt.Fprintf(out, " %v", dirName)            dir.add(1)
        atomic.AddInt32(dir, 1)                     take_step(cadence, waiting)
        takeStep()                                  if dir.load() == 1:
        if atomic.LoadInt32(dir) == 1 {                 out.append(". Success!")
            fmt.Fprint(out, ". Success!")               return True
            return true                             take_step(cadence, waiting)
        }                                           dir.add(-1)
        takeStep()                                  return False
        atomic.AddInt32(dir, -1)
        return false
    }
    var left, right int32                       left, right = pg.atomic.Int32(), pg.atomic.Int32()
    walk := func(walking *sync.WaitGroup,       def walk(walking, name, ...):
            name string) {                          out = [f"{name} is trying to scoot:"]
        var out bytes.Buffer                        try:
        defer func() {                                  for _ in range(5):
            fmt.Println(out.String()) }()                   if try_left(...) or try_right(...):
        defer walking.Done()                                    return
        fmt.Fprintf(&out,                               out.append(f"\\n{name} tosses her
            "%v is trying to scoot:", name)                 hands up in exasperation!")
        for i := 0; i < 5; i++ {                    finally:
            if tryLeft(&out) || tryRight(&out) {        println("".join(out))
                return                                  walking.done()
            }
        }
        fmt.Fprintf(&out, "\\n%v tosses her hands up in exasperation!", name)
    }
    var peopleInHallway sync.WaitGroup          people_in_hallway = pg.WaitGroup()
    peopleInHallway.Add(2)                      people_in_hallway.add(2)
    go walk(&peopleInHallway, "Alice")          pg.go(walk, people_in_hallway, "Alice", ...)
    go walk(&peopleInHallway, "Barbara")        pg.go(walk, people_in_hallway, "Barbara", ...)
    peopleInHallway.Wait()                      people_in_hallway.wait()

What it prints (the two paragraphs in either order):

    Alice is trying to scoot: left right left right left right left right left right
    Alice tosses her hands up in exasperation!
    Barbara is trying to scoot: left right left right left right left right left right
    Barbara tosses her hands up in exasperation!

Nobody is blocked — the program is busy the whole time — yet nobody gets
past: a livelock. parago's deadlock detector rightly says nothing.

Why it differs: the `left` and `right` counters and the cadence are in
shared memory (the walkers may be in two processes). Go's cadence is a plain
1 ms clock, and the livelock happens only if both walkers always reach the
same step within the same millisecond — usual in Go, not guaranteed, and
much less likely when a walker is in a process the OS has just descheduled.
So the cadence here still ticks every millisecond but lets the step happen
only once both walkers are waiting for it: they really move at the same
rate, and the livelock is certain on every run. Each walker's text is
built in a list and printed in one write (`println`, below), like Go's
bytes.Buffer, so the walkers' lines never mix — before
`walking.done()`: Go's defers run Done first, so its main may return, and
end the program, before the last walker has printed.
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

WALKERS = 2


def keep_cadence(cadence: pg.Cond, waiting: pg.atomic.Int32, walkers: int) -> None:
    for _ in pg.tick(0.001):  # type: ignore[union-attr]  # None only for a duration <= 0
        with cadence.L:
            if waiting.load() == walkers:   # everyone is at the step: take it
                waiting.store(0)
                cadence.broadcast()


def take_step(cadence: pg.Cond, waiting: pg.atomic.Int32) -> None:
    with cadence.L:
        waiting.add(1)
        cadence.wait()


def try_dir(dir_name: str, dir: pg.atomic.Int32, out: list[str], cadence: pg.Cond,
            waiting: pg.atomic.Int32) -> bool:
    out.append(f" {dir_name}")
    dir.add(1)                              # declare the intention to move that way
    take_step(cadence, waiting)
    if dir.load() == 1:
        out.append(". Success!")
        return True
    take_step(cadence, waiting)
    dir.add(-1)                             # give up on that direction
    return False


def walk(walking: pg.WaitGroup, name: str, left: pg.atomic.Int32, right: pg.atomic.Int32,
         cadence: pg.Cond, waiting: pg.atomic.Int32) -> None:
    out = [f"{name} is trying to scoot:"]
    try:
        for _ in range(5):
            if (try_dir("left", left, out, cadence, waiting)
                    or try_dir("right", right, out, cadence, waiting)):
                return
        out.append(f"\n{name} tosses her hands up in exasperation!")
    finally:
        println("".join(out))
        walking.done()


def main() -> None:
    cadence = pg.Cond(pg.Mutex())
    waiting = pg.atomic.Int32()             # walkers waiting for the next step
    pg.go(keep_cadence, cadence, waiting, WALKERS)
    left, right = pg.atomic.Int32(), pg.atomic.Int32()
    people_in_hallway = pg.WaitGroup()
    people_in_hallway.add(WALKERS)
    pg.go(walk, people_in_hallway, "Alice", left, right, cadence, waiting)
    pg.go(walk, people_in_hallway, "Barbara", left, right, cadence, waiting)
    people_in_hallway.wait()


if __name__ == "__main__":
    pg.run(main)
