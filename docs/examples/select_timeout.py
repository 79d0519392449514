"""select with a timeout: wait on a channel that never delivers, give up
after a second.

Seed: "Concurrency in Go", ch. 3, "The select Statement".

    Go                                          parago
    var c <-chan int                            c = None        # a nil channel
    select {                                    index, _, _ = pg.select(
    case <-c:                                       c,                  # never ready
    case <-time.After(1 * time.Second):             pg.after(1.0).recv)
        fmt.Println("Timed out.")               if index == 1:
    }                                               print("Timed out.")

What it prints:

    Timed out.

Why it differs: only in spelling. Go's nil channel is None, a case that is
never ready (SEL-09); `pg.after(s)` is time.After: a channel that receives the
fire time once, s seconds from now, so a timeout is just another case
(SEL-15). While main waits, a timer is pending, so this is not a deadlock
(RT-15). The timeout is an argument (default 1 s, as in the book).
"""

import sys

import parago as pg


def main(timeout: float = 1.0) -> None:
    c = None
    index, _, _ = pg.select(c, pg.after(timeout).recv)
    if index == 1:
        print("Timed out.")


if __name__ == "__main__":
    pg.run(main, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
