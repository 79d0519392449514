"""A nil channel: receiving from it blocks forever, so this program deadlocks.

Seed: "Concurrency in Go", ch. 3, "Channels" (nil channels).

    Go                                          parago
    var dataStream chan interface{}             data_stream = None   # Go's zero value
    <-dataStream                                pg.select(data_stream)

What it prints: nothing on stdout; on stderr, and exit status 2:

    fatal error: all goroutines are asleep - deadlock!

    goroutine 1 [select (no cases)]: (P0, pid ...)
      File ".../nil_channel.py", line ..., in main
        pg.select(data_stream)

Go prints the same first line, then "goroutine 1 [chan receive (nil chan)]:"
and exits with status 2. `pg.run` raises `pg.Deadlock` and, like every
broken example here, this script prints "fatal error: " + its message on
stderr and exits with status 2.

Why it differs: parago has no nil channel object. Go's zero value is None,
and None is a select case that is never ready (SEL-09) — the case Go's nil
channel is used for, to switch a case off. A receive from a nil channel is
therefore a select whose only case is None. (`data_stream.recv()` would raise
AttributeError instead of blocking.) Its wait reason is "select (no cases)",
Go's for `select {}`: with every case None there is nothing to wait on.
"""

import sys

import parago as pg


def main() -> None:
    data_stream = None
    pg.select(data_stream)          # <-dataStream
    print("unreachable: received from a nil channel")


if __name__ == "__main__":
    try:
        pg.run(main)
    except pg.Deadlock as e:        # Go: "fatal error: ..." and exit status 2
        print(f"fatal error: {e}", file=sys.stderr)
        sys.exit(2)
