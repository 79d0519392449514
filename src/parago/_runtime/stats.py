"""Where goroutines ran: a snapshot of every P for pg.runtime.stats().

Owns: nothing shared; it reads the P slots (ptable) and the processes'
CPU clocks.

Invariants: a snapshot never waits for another P (a busy P cannot answer):
the counts of other Ps are what they published the last time their
scheduler published them (Processor.publish: before it sleeps, and every
64th time it looks for work) — and CPU time comes from the kernel
(psutil), so it is current even for a P busy in a goroutine that never
yields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psutil

from .._shm import gqueue, ptable
from .._shm import layout as L

if TYPE_CHECKING:
    from .._core.sched import Processor

_STATE_NAMES = {ptable.S_STARTING: "starting", ptable.S_ALIVE: "alive",
                ptable.S_DEAD: "dead", ptable.S_EXITED: "exited"}


def _cpu_seconds(pid: int) -> float | None:
    try:
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except (psutil.Error, OSError):
        return None


def snapshot(proc: Processor) -> list[dict[str, Any]]:
    """One dict per P that is or was running in this runtime: ``p``, ``pid``,
    ``state``, ``started`` (goroutines it has started), ``runnable``,
    ``blocked`` (live goroutines neither running nor runnable), ``queued``
    (goroutines placed on it, not started yet), ``idle_s`` (time its
    scheduler had nothing to run) and ``cpu_s`` (its process's CPU time)."""
    arena, M = proc.arena, proc.M
    out = []
    for p in range(M[L.H_NSLOTS]):
        s = ptable.slot_w(arena, p)
        st = M[s + ptable.PS_STATE]
        if st == ptable.S_FREE:
            continue
        pid = M[s + ptable.PS_PID]
        if p == proc.p:
            proc.publish()
        live = M[s + ptable.PS_NG]
        if p == proc.p:
            runnable, running = len(proc.runq), int(proc.current is not None)
        else:
            runnable = M[s + ptable.PS_RUNNABLE]
            running = int(live > 0 and not M[s + ptable.PS_SLEEPING])
        runnable = min(runnable, live)
        out.append({"p": p, "pid": pid, "state": _STATE_NAMES.get(st, "unknown"),
                    "started": M[s + ptable.PS_STARTED], "runnable": runnable,
                    "blocked": max(0, live - runnable - running),
                    "queued": gqueue.length(arena, p) + gqueue.length(arena, p, pinned=True),
                    "idle_s": M[s + ptable.PS_IDLE_NS] / 1e9,
                    "cpu_s": _cpu_seconds(pid) if pid else None})
    return out
