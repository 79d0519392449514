"""Main sends 0..N-1 and also consumes; a consumer on a worker, SIGKILLed at
a random point of the stream, passes what it receives back. Checks: no hang,
nothing duplicated, at most the one value the dead consumer was holding is
missing, main drains the rest."""

import json
import random
import sys
import threading
import warnings

from _common import killer, pg, start_remote

N = 1000


def consume(ch, results, progress):
    for v in ch:
        results.send(v)
        progress.add(1)


def one(rng):
    cap = rng.choice([0, 1, 16])
    at = rng.randrange(N)

    def main():
        ch, results, progress = pg.chan(cap), pg.chan(N), pg.atomic.Int64()
        pid = start_remote(consume, ch, results, progress)
        threading.Thread(target=killer, args=(pid, progress, at), daemon=True).start()
        mine = []
        i = 0
        # Main sends, and competes with the remote consumer for the values;
        # once the consumer is dead (an unbuffered channel then has nobody
        # else to take a send) main stops sending.
        while i < N and not (cap == 0 and pg.runtime.crashes()):
            k, v, ok = pg.select((ch.send, i), ch.recv, pg.after(0.02).recv)
            if k == 0:
                i += 1
            elif k == 1:
                mine.append(v)
        ch.close()
        mine.extend(ch)             # what is still buffered
        while True:
            k, v, ok = pg.select(results.recv, default=True)
            if k == -1:
                return mine, i
            mine.append(v)

    got, sent = pg.run(main, procs=2, on_crash="continue")
    assert len(got) == len(set(got)), f"cap {cap}: a value was received twice"
    assert set(got) <= set(range(sent))
    assert len(got) >= sent - 1, f"cap {cap}: {sent - len(got)} values lost"
    return len(got)


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    counts = [one(rng) for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 10)]
    print(json.dumps({"ok": True, "received": counts}))
