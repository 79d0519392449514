"""What the scheduler asks the runtime: where work comes from, what a
panic or an event means, when the whole program is deadlocked.

Owns: the policies shared by P0 and the workers (Hooks) — starting a copied
goroutine, stealing, the idle check for work, how soon an idle P looks
again (and its nudges of Ps whose woken goroutines wait behind a used-up
slice: preempt.nudge_overdue), the deadlock proof — and the worker-side
reactions (WorkerHooks). P0's reactions are in runtime.py.

Invariants: hooks run on the P's own thread, in g0 (never inside a
goroutine), and only read or CAS shared words (and send the preemption
signal); a P reacts only to events
addressed to it (event_pending), so an event meant for P0 never makes a
worker spin.

Deadlock proof (RT-13, RT-15, RT-16): a P about to sleep with no timer
reads H_ACTIVITY, then checks that every P is alive, asleep, has an empty
inbox, no rescan request, no timer and empty gqueues, and is still in the
same sleep (ptable's sleep numbers), then reads H_ACTIVITY again. Anything
that can wake a sleeping P bumps H_ACTIVITY after it makes the work visible
and before its own P can sleep, and a P publishes its timers and marks
itself asleep before its last look for work, so an unchanged counter means
no P could wake again: no timer, no work, nobody awake to make some. No
goroutine can ever run again. A goroutine running plain Python
(time.sleep, a socket read) keeps its P awake, so it never counts as
deadlocked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from .._core import preempt
from .._shm import gqueue, ptable
from .._shm import layout as L
from . import dump, panics, placement, spawn

if TYPE_CHECKING:
    from .._core.sched import G, Processor


class _Raise:
    """A goroutine whose function could not be loaded: it raises why."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __call__(self) -> NoReturn:
        raise self.exc


class Hooks:
    def start_blob(self, proc: Processor, blob: int) -> G:
        gid, key, payload = gqueue.read_blob(proc.arena, blob)
        try:
            fn, args, kwargs = spawn.unpack(payload)
        except BaseException as e:  # noqa: BLE001 - reported as the goroutine's panic
            fn, args, kwargs = _Raise(e), (), {}
        return proc.spawn(gid, fn, args, kwargs, runnable=False, fnkey=key)

    def steal(self, proc: Processor) -> int:
        """A goroutine queued on another P that this idle P may start (placement
        rule 2), or 0."""
        return placement.take(proc)

    def has_work(self, proc: Processor) -> bool:
        if proc.has_local_work():
            return True
        M = proc.M
        if (M[L.H_EVENT] or M[proc.slot + ptable.PS_RETIRE]) and self.event_pending(proc):
            return True
        return proc.accept_new and placement.takeable(proc)

    def recheck_in(self, proc: Processor) -> float | None:
        """How soon an idle P should look again without being woken: while
        other Ps hold queued goroutines, one of them may become takeable;
        while another P's running goroutine keeps goroutines woken for that
        P waiting, it must be nudged when its slice is used up."""
        due = preempt.nudge_overdue(proc.arena, proc.p) if proc.multi else None
        if placement.queued_elsewhere(proc):
            return placement.RECHECK_S if due is None else min(due, placement.RECHECK_S)
        return due

    def idle_without_timers(self, proc: Processor) -> None:
        if not proc.M[L.H_NO_DEADLOCK] and prove_deadlock(proc):
            panics.raise_event(proc.arena, L.EV_DEADLOCK)

    def event_pending(self, proc: Processor) -> bool:
        """Is there an event this P must react to?"""
        M = proc.M
        s = proc.slot
        return bool(M[L.H_EVENT] & L.EV_DUMP
                    and M[s + ptable.PS_DUMP_REQ] != M[s + ptable.PS_DUMP_DONE])

    def on_event(self, proc: Processor) -> None:
        ev = proc.M[L.H_EVENT]
        if ev & L.EV_DUMP:
            dump.answer(proc)


between_proof_steps = None   # a test hook: called with (p, step) inside the proof


def prove_deadlock(proc: Processor) -> bool:
    arena, M, mem = proc.arena, proc.M, proc.mem
    if ptable.others_awake(arena, proc.p):
        return False    # the loop below would find that P awake; this is its compiled first look
    a1 = mem.load64(L.H_ACTIVITY << 3)
    if M[L.H_EVENT] & (L.EV_DEADLOCK | L.EV_SHUTDOWN | L.EV_PANIC | L.EV_CRASH):
        return False
    for p in range(M[L.H_NSLOTS]):
        s = ptable.slot_w(arena, p)
        st = M[s + ptable.PS_STATE]
        if st == ptable.S_EXITED or st == ptable.S_FREE:
            continue                        # a retired P holds no goroutine
        if st != ptable.S_ALIVE:
            return False
        # Asleep before and after, in the same sleep: the work fields read in
        # between are the ones it went to sleep with. (Reading SLEEPING only
        # after them once paired a stale NTIMERS=0 with a P that had woken,
        # added a timer and slept again: a false deadlock under load.)
        sleep_no = mem.load64((s + ptable.PS_SLEEPING) << 3)
        if not sleep_no:
            return False
        if (M[s + ptable.PS_INBOX] or M[s + ptable.PS_RESCAN] or M[s + ptable.PS_NTIMERS]
                or gqueue.length(arena, p) or gqueue.length(arena, p, pinned=True)):
            return False
        if between_proof_steps is not None:
            between_proof_steps(p, "work read")
        if mem.load64((s + ptable.PS_SLEEPING) << 3) != sleep_no:
            return False
    if mem.load64(L.H_ACTIVITY << 3) != a1:
        return False
    # A process killed in its sleep still looks asleep: that is a crash the
    # watcher is about to report, not a deadlock.
    return all(ptable.owner_alive_p(arena, p) for p in range(M[L.H_NSLOTS])
               if M[ptable.slot_w(arena, p) + ptable.PS_STATE] == ptable.S_ALIVE)


class WorkerHooks(Hooks):
    """A worker P: a panic is reported to P0 and this P stops; shutdown stops it."""

    def on_panic(self, proc: Processor, g: G, exc: BaseException) -> None:
        panics.report(proc.arena, L.H_PANIC_BLOB, L.EV_PANIC,
                      panics.panic_record(g.id, proc.p, exc))
        proc.stop = True

    def event_pending(self, proc: Processor) -> bool:
        M = proc.M
        return bool(M[L.H_EVENT] & L.EV_SHUTDOWN
                    or (M[proc.slot + ptable.PS_RETIRE] and proc.accept_new)
                    or super().event_pending(proc))

    def on_event(self, proc: Processor) -> None:
        M = proc.M
        ev = M[L.H_EVENT]
        if ev & L.EV_SHUTDOWN:
            proc.stop = True
            return
        if M[proc.slot + ptable.PS_RETIRE] and proc.accept_new:
            # gomaxprocs went down: hand our unstarted goroutines to P0 and
            # stop once the started ones have ended.
            proc.accept_new = False
            if placement.move_all(proc.arena, proc.p, 0):
                ptable.bump_activity(proc.arena)
                ptable.wake(proc.arena, 0)
        super().on_event(proc)
