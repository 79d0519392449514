"""Preemption of a long-running goroutine, for a goroutine woken by another
process (Go's asynchronous preemption, by signal, at Python's safe points).

Owns: the SIGURG handler of each P's process and the decision to send it
(PS_SLICE_AT and PS_PREEMPT of every P slot).

Why: a goroutine can only be switched out where it calls into parago. A
worker that takes a parked sender's value readies that sender; if the sender
lives on a P whose running goroutine is in the middle of a long CPU-bound
job, the sender — typically the goroutine feeding every process — waits for
that job to end, and the other processes starve for work meanwhile
(docs/design.md, "Placement"). Go preempts such a goroutine with a signal
(SIGURG, since Go 1.14); so does parago:

    waker (any process)                      target P's process
    inbox_push(p, group), or a new           goroutine G in user code, running
      goroutine queued on p
    nudge(p): G has run >= SLICE_NS     ---> SIGURG: the handler runs between two
      and PS_PREEMPT 0 -> 1: kill SIGURG     bytecodes of G: if safe, take the
                                             inbox (or start a queued goroutine)
                                             and gosched; that goroutine runs
                                             now, G right after it

Invariants:
  - A P publishes PS_SLICE_AT (when its running goroutine was switched in,
    0 while its scheduler runs) when the runtime has more than one P; nothing
    is ever sent with one P, nor with PARAGO_PREEMPT=0 (H_NO_PREEMPT).
  - At most one signal is in flight per P: the sender sets PS_PREEMPT with a
    CAS, the handler clears it.
  - The handler switches goroutines only from a goroutine's own greenlet
    running code that is neither parago's kernel nor the standard library
    (walked frame by frame, up to the goroutine's entry), so no parago lock,
    no half-done kernel update and no library-internal lock is ever held by
    a goroutine it switches out. Otherwise it does nothing: the goroutine
    gives way at its next channel operation (Processor.give_way).
  - A wake-up the waker could not turn into a nudge (the running goroutine
    was younger than SLICE_NS) is not lost: an idle P looks at the other
    Ps before each long sleep (nudge_overdue, through hooks.recheck_in) and
    nudges those whose running goroutine has since used its slice.
  - Only the process's main thread gets signals: a P that runs in another
    thread (a standalone WorkerPool's P0) is never preempted, only gives way.
"""

from __future__ import annotations

import os
import signal
import sysconfig
import threading
from time import monotonic_ns
from typing import TYPE_CHECKING, Any

from .._shm import gqueue, ptable
from .._shm import layout as L

if TYPE_CHECKING:
    from types import CodeType, FrameType

    from .._shm.arena import Arena

SIGNAL = signal.SIGURG
SLICE_NS = 1_000_000      # a goroutine that has run this long may be preempted
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# parago code that only calls the user's code, holding nothing meanwhile.
_SAFE_PARAGO_DIRS = (os.path.join(_PKG, "bench") + os.sep,)
_STDLIB = tuple({os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                 for k in ("stdlib", "platstdlib")})


def nudge(arena: Arena, p: int) -> None:
    """After readying a goroutine of P ``p``, or queuing a new one there, from
    another process: preempt the goroutine running there if it has run
    SLICE_NS or more."""
    M = arena.M
    s = ptable.slot_w(arena, p)
    at = M[s + ptable.PS_SLICE_AT]
    if not at or monotonic_ns() - at < SLICE_NS or M[L.H_NO_PREEMPT]:
        return
    if arena.mem.cas64((s + ptable.PS_PREEMPT) << 3, 0, 1):
        try:
            os.kill(M[s + ptable.PS_PID], SIGNAL)
        except OSError:
            arena.mem.store64((s + ptable.PS_PREEMPT) << 3, 0)


def nudge_overdue(arena: Arena, me: int) -> float | None:
    """An idle P's look at the others (Go's sysmon, done by a P with nothing
    else to do): a P whose inbox holds wake-ups, or whose pinned queue holds
    goroutines, while one goroutine runs there is nudged once that goroutine
    has run SLICE_NS. The waker's own nudge (wait.py, spawn.py) is refused
    while the running goroutine is younger than that, and nobody else would
    send one: the woken goroutine (a feeder, say) would wait for the whole
    job, however long, while the waker's process idles. Returns the seconds
    until the next such P is due, or None if none waits."""
    M = arena.M
    if M[L.H_NO_PREEMPT]:
        return None
    nearest = None
    now = monotonic_ns()
    s = ptable.slot_w(arena, 0)
    for p in range(M[L.H_NSLOTS]):
        if (p != me and M[s + ptable.PS_STATE] == ptable.S_ALIVE
                and (M[s + ptable.PS_INBOX] or M[s + ptable.PS_PINQ + gqueue.Q_LEN])):
            at = M[s + ptable.PS_SLICE_AT]
            if at:
                left = at + SLICE_NS - now
                if left <= 0:
                    nudge(arena, p)
                elif nearest is None or left < nearest:
                    nearest = left
        s += ptable.SLOT_WORDS
    return None if nearest is None else nearest / 1e9


def install() -> Any:
    """Handle the preemption signal in this process, if this is its main
    thread; returns the handler it replaced (for restore), or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(SIGNAL, _on_signal)


def restore(old: Any) -> None:
    if old is not None and threading.current_thread() is threading.main_thread():
        signal.signal(SIGNAL, old)


def _user_code(filename: str) -> bool:
    if filename.startswith(_PKG):
        return filename.startswith(_SAFE_PARAGO_DIRS)
    if "site-packages" in filename or "dist-packages" in filename:
        return True
    return not (filename.startswith(_STDLIB) or filename.startswith("<frozen"))


def _safe(frame: FrameType | None, entry: CodeType) -> bool:
    """Is every frame from ``frame`` down to the goroutine's entry (the code
    object ``entry``; compiled, the entry has no frame and the walk ends at
    the greenlet's root) user code? Compiled kernel code has no frames
    either: it never calls user code with a kernel lock held (values are
    copied before locking, decoded after), so it needs none."""
    while frame is not None:
        code = frame.f_code
        if code is entry:
            return True
        if not _user_code(code.co_filename):
            return False
        frame = frame.f_back
    return True


def _on_signal(_signum: int, frame: FrameType | None) -> None:
    from greenlet import getcurrent

    from .sched import Processor, this_proc
    proc = this_proc()
    if proc is None:
        return
    proc.mem.store64((proc.slot + ptable.PS_PREEMPT) << 3, 0)
    g = proc.current
    if (g is None or proc.stop or getcurrent() is not g.gr
            or not _safe(frame, Processor._body.__code__)):
        return
    global preempted
    preempted += 1
    if not proc.let_others_run():
        preempted -= 1


preempted = 0       # goroutines this process has preempted (for tests and curiosity)
