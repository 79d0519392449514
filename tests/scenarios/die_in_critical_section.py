"""A worker dies at the worst instants, deterministically (these use parago's
internals to stop exactly there), and nobody else wedges:

  lock      holding a channel's lock, half-way through taking a value out
  deliver   after handing a value to main (parked in recv) but before waking it
  alloc     holding the allocator's lock
  gqueue    holding main's queue of unstarted goroutines
"""

import json
import os
import signal
import sys
import warnings

from _common import pg, start_remote, wait_for_crash

from parago._core import sched
from parago._shm import chan as C
from parago._shm import gqueue, lock, ring
from parago._shm import layout as L
from parago._shm import values as V
from parago._shm import waiter as W


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def die_mid_receive(ch):
    arena = sched.tls.proc.arena
    hw = ch._w
    lock.acquire(arena, ch._lb)
    C.begin(arena.M, hw)
    ring.pop_raw(arena, arena.M, hw + C.C_RING, arena.M[hw + C.C_RBASE],
                 arena.M[hw + C.C_RSIZE])
    arena.M[hw + C.C_COUNT] -= 1
    die()


def die_after_deliver(ch):
    arena = sched.tls.proc.arena
    M, hw = arena.M, ch._w
    while not M[hw + C.C_RQH]:                       # wait until main is parked in recv
        pg.gosched()
    lock.acquire(arena, ch._lb)
    C.begin(M, hw)
    s = W.dequeue_claim(arena, hw + C.C_RQH, hw + C.C_RQT, hw + C.C_PENDING)
    gw = M[(s >> 3) + W.S_GROUP] >> 3
    V.put(arena, gw + W.V, *V.encode("delivered"), W.V_INLINE)
    W.deliver(arena, gw, 0, 1)
    C.commit(M, hw)
    lock.release(arena, ch._lb)
    die()                                            # ... before pushing main's inbox


def die_holding(which):
    arena = sched.tls.proc.arena
    if which == "alloc":
        lock.acquire(arena, L.H_ALLOC_LOCK << 3)
    else:
        lock.acquire(arena, (gqueue.record_w(arena, 0) + L.LOCK_W) << 3)
    die()


def scenario(name):
    def main():
        if name == "lock":
            ch = pg.chan(4)
            for v in ("a", "b", "c"):
                ch.send(v)
            start_remote(die_mid_receive, ch)
            wait_for_crash()
            got = [ch.recv() for _ in range(3)]
            ch.send("d")
            return got + [ch.recv()]
        if name == "deliver":
            ch = pg.chan()
            start_remote(die_after_deliver, ch)
            return [ch.recv()]
        start_remote(die_holding, name)
        wait_for_crash()
        # both locks must have been taken back: allocate, and start goroutines
        out = pg.chan(10)
        for i in range(5):
            pg.go(out.send, [i] * 100)
        return sorted(out.recv()[0] for _ in range(5))

    return pg.run(main, procs=2, on_crash="continue")


EXPECT = {"lock": ["a", "b", "c", "d"], "deliver": ["delivered"],
          "alloc": [0, 1, 2, 3, 4], "gqueue": [0, 1, 2, 3, 4]}

if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)
    name = sys.argv[1]
    got = scenario(name)
    assert got == EXPECT[name], got
    print(json.dumps({"ok": True, "got": got}))
