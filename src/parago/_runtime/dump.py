"""Goroutine dumps, Go style, gathered from every P.

Owns: the dump text format and the request/answer protocol through the
P slots (PS_DUMP_REQ, PS_DUMP_DONE, PS_DUMP_BLOB) and the EV_DUMP event.

    goroutine 7 [chan receive, 2 minutes]: (P1, pid 4242)
      File "app.py", line 12, in worker
        v = ch.recv()

Invariants:
  - Every P answers, P0 included, from its scheduler (g0) the next time it
    polls: with a K_DATA block it allocates; the requester frees it after
    reading.
  - The requester never waits longer than ``timeout`` per P: a P that is busy
    in a CPU-bound goroutine (it cannot answer until it yields), or whose
    process is stopped, is listed as such instead. A requester that is a
    goroutine waits parked, so its P's other goroutines run meanwhile.
  - A goroutine whose wait has ended but which has not run yet is shown as
    "runnable", not with the reason it waited for.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import TYPE_CHECKING

from greenlet import getcurrent

from .._shm import layout as L
from .._shm import ptable
from .._shm import waiter as W

if TYPE_CHECKING:
    from types import FrameType

    from .._core.sched import G, Processor
    from .._shm.arena import Mem

EV_DUMP = L.EV_DUMP


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_PKG_TESTS = os.path.join(_PKG, "bench") + os.sep


def _frames_text(frame: FrameType | None) -> str:
    """The goroutine's stack without parago's own frames (as Go's dumps show
    the program's frames first and foremost)."""
    if frame is None:
        return ""
    summary = traceback.extract_stack(frame)
    mine = [f for f in summary if not f.filename.startswith(_PKG) or
            f.filename.startswith(_PKG_TESTS)]
    return "".join(traceback.format_list(mine or summary))


def _ready(proc: Processor, g: G) -> bool:
    """Has ``g``'s wait ended (it is queued to run, or delivered to from
    another P and not yet taken from the inbox)?"""
    if g in proc.runq:
        return True
    gb = g.gb
    return bool(gb and proc.waiting.get(gb) is g
                and proc.M[(gb >> 3) + W.G_STATE] & W.CODE_MASK == W.DELIVERED)


def format_local(proc: Processor) -> str:
    """Every goroutine of this P, running one first."""
    now = time.monotonic()
    out = []
    cur = proc.current
    frame: FrameType | None
    for g in sorted(proc.goroutines(), key=lambda g: (g is not cur, g.id)):
        if g is cur and g.gr is getcurrent():
            status = "running"
            frame = sys._getframe(1)
        else:
            status = g.reason
            frame = g.gr.gr_frame if g.gr is not None else None
            # not started, or started but parked in compiled code with no
            # Python frame above (pg.go(ch.send, v)): only the first is runnable
            if not g.gr or _ready(proc, g):
                status = "runnable"
            waited = now - g.since if g.since else 0.0
            if waited >= 60 and status not in ("runnable", "running"):
                status += f", {int(waited // 60)} minutes"
        out.append(f"goroutine {g.id} [{status}]: (P{proc.p}, pid {os.getpid()})\n"
                   + _frames_text(frame))
    return "\n".join(out)


def answer(proc: Processor) -> None:
    """Answer a pending dump request addressed to this P."""
    arena, M = proc.arena, proc.M
    s = proc.slot
    req = M[s + ptable.PS_DUMP_REQ]
    if not req or M[s + ptable.PS_DUMP_DONE] == req:
        return
    data = format_local(proc).encode()
    blk = arena.alloc(16 + len(data), L.K_DATA)
    M[(blk >> 3) + 1] = len(data)
    arena.B[blk + 16:blk + 16 + len(data)] = data
    M[s + ptable.PS_DUMP_BLOB] = blk
    arena.mem.store64((s + ptable.PS_DUMP_DONE) << 3, req)


def collect(proc: Processor, timeout: float = 1.0) -> str:
    """The dump of every goroutine of every live P (from any P)."""
    arena, M, mem = proc.arena, proc.M, proc.mem
    nprocs = M[L.H_NSLOTS]
    req = arena.next_seq()
    others = []
    for p in range(nprocs):
        if p == proc.p:
            continue
        s = ptable.slot_w(arena, p)
        if M[s + ptable.PS_STATE] != ptable.S_ALIVE:
            continue
        mem.store64((s + ptable.PS_DUMP_REQ) << 3, req)
        others.append(p)
    if others:
        _set_event(mem)
        for p in others:
            ptable.wake(arena, p)
    parts = [format_local(proc)]
    deadline = time.monotonic() + timeout
    in_goroutine = proc.current is not None and proc.current.gr is getcurrent()
    for p in others:
        s = ptable.slot_w(arena, p)
        while M[s + ptable.PS_DUMP_DONE] != req and time.monotonic() < deadline:
            if in_goroutine:
                proc.sleep_until(time.monotonic() + 0.001, "dump")
            else:
                time.sleep(0.001)
        if M[s + ptable.PS_DUMP_DONE] == req:
            blk = M[s + ptable.PS_DUMP_BLOB]
            n = M[(blk >> 3) + 1]
            parts.append(arena.B[blk + 16:blk + 16 + n].tobytes().decode())
            arena.free(blk)
        else:
            pid = M[s + ptable.PS_PID]
            why = ("stopped (SIGSTOP or a debugger)" if process_stopped(pid)
                   else "busy in a goroutine that has not yielded")
            parts.append(f"(P{p}, pid {pid}: {why}; its goroutines cannot be listed)")
    _clear_event(mem)
    return "\n".join(x.rstrip("\n") + "\n" for x in parts if x)


def process_stopped(pid: int | None) -> bool:
    """Is process ``pid`` stopped by a signal or a debugger? (No for None: not started.)"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] in (b"T", b"t")
    except (OSError, ValueError):
        return False


def _set_event(mem: Mem) -> None:
    while True:
        old = mem.load64(L.H_EVENT << 3)
        if mem.cas64(L.H_EVENT << 3, old, old | EV_DUMP):
            return


def _clear_event(mem: Mem) -> None:
    while True:
        old = mem.load64(L.H_EVENT << 3)
        if mem.cas64(L.H_EVENT << 3, old, old & ~EV_DUMP):
            return
