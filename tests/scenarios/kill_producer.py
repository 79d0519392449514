"""A producer on a worker streams 0..N-1 and is SIGKILLed at a random moment.
Checks: no hang; what main receives is exactly 0..k-1 in order (nothing
duplicated, garbled or skipped); every value whose send returned (the
producer's `committed` mark) is received; the crash is reported."""

import json
import random
import sys
import threading
import warnings

from _common import killer, pg, start_remote, wait_for_crash

N = 1000


def produce(ch, committed):
    for i in range(N):
        ch.send(i)
        committed.store(i)


def one(rng):
    cap = rng.choice([0, 1, 16])
    at = rng.randrange(N)

    def main():
        ch, committed = pg.chan(cap), pg.atomic.Int64(-1)
        pid = start_remote(produce, ch, committed)
        threading.Thread(target=killer, args=(pid, committed, at), daemon=True).start()
        got = []
        while len(got) < N:
            i, v, ok = pg.select(ch.recv, pg.after(0.05).recv)
            if i == 0:
                got.append(v)
            elif pg.runtime.crashes():
                break
        wait_for_crash()
        while True:
            i, v, ok = pg.select(ch.recv, default=True)
            if i == -1:
                break
            got.append(v)
        return got, committed.load(), str(pg.runtime.crashes()[0])

    got, committed, crash = pg.run(main, procs=2, on_crash="continue")
    assert got == list(range(len(got))), f"cap {cap}: out of order, duplicated or garbled"
    assert len(got) >= committed + 1, f"cap {cap}: a committed value was lost"
    assert len(got) <= committed + 2, f"cap {cap}: more values than sends"
    assert "SIGKILL" in crash, crash
    return len(got)


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    counts = [one(rng) for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 10)]
    print(json.dumps({"ok": True, "received": counts}))
