"""select chooses among ready cases at random: two closed channels, 1001
selects, each channel wins about half of them.

Book: "Concurrency in Go", ch. 3, "The select Statement" (the seed quotes the
rule this program shows: "If one or more of the communications can proceed,
a single one that can proceed is chosen via a uniform pseudo-random
selection").

    Go                                          parago
    c1 := make(chan interface{}); close(c1)     c1 = pg.chan(); c1.close()
    c2 := make(chan interface{}); close(c2)     c2 = pg.chan(); c2.close()
    var c1Count, c2Count int                    counts = [0, 0]
    for i := 1000; i >= 0; i-- {                for _ in range(1001):
        select {                                    index, _, _ = pg.select(c1.recv, c2.recv)
        case <-c1:                                  counts[index] += 1
            c1Count++
        case <-c2:
            c2Count++
        }
    }
    fmt.Printf("c1Count: %d\\nc2Count: %d\\n",    print(f"c1Count: {counts[0]}")
        c1Count, c2Count)                       print(f"c2Count: {counts[1]}")

What it prints (the split varies, the total is 1001):

    c1Count: 505
    c2Count: 496

Why it differs: only in spelling. A receive case is the bound method
`ch.recv`; `pg.select` returns the index of the case chosen, the value and
`ok` (False here: both channels are closed, SEL-10). The order of the cases
gives neither an advantage (SEL-02). The number of selects is an argument.
"""

import sys

import parago as pg


def main(n: int = 1001) -> None:
    c1 = pg.chan()
    c1.close()
    c2 = pg.chan()
    c2.close()
    counts = [0, 0]
    for _ in range(n):
        index, _, _ = pg.select(c1.recv, c2.recv)
        counts[index] += 1
    print(f"c1Count: {counts[0]}")
    print(f"c2Count: {counts[1]}")


if __name__ == "__main__":
    pg.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 1001)
