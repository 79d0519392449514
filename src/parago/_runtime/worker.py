"""A worker process: P1..Pn-1.

Owns: the life of one worker process — attaching to the arena, running its
Processor until shutdown, and dying promptly when P0 dies.

Invariants:
  - Started by P0 with spawn or forkserver, never fork (DESIGN decision 2).
  - Ignores SIGINT: Ctrl-C is P0's to handle; P0 then stops every worker.
  - Exits with os._exit after flushing stdio: goroutines still parked are
    abandoned without running their finally blocks, as Go abandons
    goroutines when main returns (GO-04), and no finaliser touches an arena
    that P0 may already have removed.
  - A thread blocked on a pidfd of P0 notices P0's death at once (well within
    the 1 s the design allows), removes the arena's segment (P0 cannot) and
    exits the process.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading

from .._core import preempt, sched
from .._core.sched import Processor
from .._shm import ptable
from .._shm.arena import Arena
from . import stdio
from .hooks import WorkerHooks


def _watch_p0(p0_pid: int, seg_path: str) -> None:
    try:
        fd = os.pidfd_open(p0_pid)
        select.select([fd], [], [])
    except OSError:
        pass
    try:
        os.unlink(seg_path)
    except OSError:
        pass
    os._exit(3)


def main(runtime_id: str, p: int, epoch: int, p0_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdio.one_write_per_line()
    code = 0
    try:
        arena = Arena.attach(runtime_id)
        threading.Thread(target=_watch_p0, args=(p0_pid, arena.seg.path),
                         name="parago-p0-watch", daemon=True).start()
        arena.p = p
        arena.tag = ptable.tag_of(epoch, p)
        s = ptable.slot_w(arena, p)
        arena.M[s + ptable.PS_PID] = os.getpid()
        ptable.set_state(arena, p, ptable.S_ALIVE)
        proc = Processor(arena, p, WorkerHooks())
        sched.set_this_proc(proc)
        preempt.install()
        proc.run()
        ptable.set_state(arena, p, ptable.S_EXITED)
    except BaseException:  # noqa: BLE001 - a broken worker must still exit, loudly
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
