"""One process's green scheduler: goroutines, park/ready, timers, idle wait.

Owns: the Processor of this process (one per P) and every goroutine (G)
started on it: their greenlets, the local run queue, the map of goroutines
parked on a wait group, the timer heap; and which P each thread runs
(``set_this_proc`` / ``this_proc``).

    g0 (the scheduler greenlet, where run() loops)
      |  switch to the next runnable G
      v
    G.gr  --park()-->  next runnable G directly, or back to g0 when the run
                       queue is empty (g0 then polls the inbox, timers,
                       the gqueue, steals, or sleeps on the P's futex)

Invariants:
  - Only this process's main thread touches a Processor (other threads, such
    as P0's process watcher, talk to it through shared memory only).
  - A G is in exactly one of: running (``current``), the run queue, parked
    (``waiting`` maps its wait group to it, or a timer holds it), or exited.
  - A goroutine parks only after publishing how to wake it (its sudogs are
    linked and ``waiting`` holds it, or a timer is set); the waker runs on
    this P (``wake`` readies it at once) or elsewhere (it pushes the group on
    this P's inbox), so no wakeup can be missed.
  - poll() runs only in g0, so an event handler may raise out of run().
  - Scheduling is cooperative: a goroutine runs until it blocks, yields
    (gosched) or ends. Every 16th switch goes through g0 so the inbox and
    timers are polled even when goroutines are always runnable (RT-22).
  - With more than one P time slices are measured (``multi``): PS_SLICE_AT
    says when the running goroutine was switched in (0 while g0 runs), for
    placement. With PARAGO_PREEMPT not 0 too (``slicing``), a goroutine that
    has run SLICE_NS gives way after its channel operations (give_way), and
    preempt.py may preempt it in user code when another process wakes a
    goroutine of this P.
  - Every goroutine started here is counted in this P's load (loadtab) by
    whoever queued it; its end uncounts it (placement reads the counts).
  - A greenlet in ``free_gr`` runs no goroutine: it waits in _body,
    switched out to g0, for spawn to hand it the next one (its context
    reset); run() ends them all when it returns.
  - An idle P sleeps with PS_SLEEPING set and its futex word read before its
    last look for work, so a waker that sees it asleep always wakes it. Its
    first sleep (FIRST_SLEEP) comes before the slow checks (the deadlock
    proof, goroutines takeable elsewhere): these find only what can wait
    that long, since everything else that brings work wakes the P.
  - A thread's P is set only through set_this_proc, which writes the
    thread-local and the (thread id, P) cache together: this_proc() answers
    from the cache when the caller is the last thread to set one, from the
    thread-local otherwise, so both always agree.
"""

from __future__ import annotations

import threading
from collections import deque
from time import monotonic, monotonic_ns
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent, greenlet

from .._errors import no_runtime, not_in_goroutine, other_runtime, runtime_ended
from .._shm import atom, gqueue, loadtab, ptable
from .._shm import layout as L
from .._shm import waiter as W
from . import preempt, spin
from .timers import TimerHeap

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._errors import NoRuntime
    from .._shm.arena import Arena, Mem
    from .protocols import SchedHooks, TimerEntry

NOVAL = object()          # "the value is in the wait group's cell"
FIRST_SLEEP = 0.001      # an idle P's first sleep, before its slow checks (_wait_for_work)
IDLE_POLL = 0.25          # longest futex sleep: liveness checks run this often
TIMED_OUT = 1             # what Mem.futex_wait returns when its time ran out
SLICE_NS = preempt.SLICE_NS   # a goroutine that ran this long gives way (give_way)
# Greenlets kept for reuse after their goroutine ended (Go's free G list):
# creating and starting a greenlet costs several times a switch into one.
FREE_GREENLETS = 256

class _ThisThread(threading.local):
    """The Processor a thread is running, if any. Per thread: a standalone
    WorkerPool runs its P0 in a background thread while the user's threads,
    which are not goroutines, keep calling into parago."""

    # None in a thread that runs no scheduler. Typed without None: the kernel
    # reads it after checks that raise through a helper (runtime_of, misuse),
    # which a type checker cannot follow.
    proc: Processor = None  # type: ignore[assignment]


tls = _ThisThread()

# The last thread to set its P and that P: the kernel asks for this thread's
# P on every operation, and a thread-local's attribute costs a dict lookup
# while comparing thread ids costs nothing (compiled). Every thread that sets
# a P clears it before it ends, so a reused thread id never meets a stale P.
_cached_ident = 0
_cached_proc: Processor | None = None


def set_this_proc(proc: Processor | None) -> None:
    """Make ``proc`` the P of the calling thread (None: it runs none)."""
    global _cached_ident, _cached_proc
    tls.proc = proc  # type: ignore[assignment]  # see _ThisThread
    _cached_ident = atom.thread_ident()
    _cached_proc = proc


def this_proc() -> Processor:
    """The P the calling thread runs (None if it runs none; typed without
    None as _ThisThread.proc is)."""
    if atom.thread_ident() == _cached_ident:
        return _cached_proc  # type: ignore[return-value]
    return tls.proc


def misuse(arena: Arena | None, proc: Processor | None, what: str) -> NoRuntime:
    """The NoRuntime error for using an object (a ``what``) of ``arena``
    (None: it has none) where ``proc`` runs (None: no scheduler in this
    thread)."""
    if arena is None:
        return no_runtime(what)
    if arena.seg.mm is None:
        return runtime_ended(what)
    if proc is None:
        return not_in_goroutine(f"this {what}")
    return other_runtime(what)


def runtime_of(arena: Arena | None, what: str, op: str | None = None) -> Processor:
    """This thread's P, if it runs ``arena``'s runtime — and, when ``op``
    names an operation that may park, if a goroutine of it is calling.
    Raises NoRuntime saying which of these fails."""
    proc = this_proc()
    if proc is None or proc.arena is not arena:
        raise misuse(arena, proc, what)
    if op is not None and proc.current is None:
        raise not_in_goroutine(op)
    return proc


class GoExit(BaseException):
    """Raised by goexit() to end the calling goroutine; finally blocks run."""


class G:
    """A goroutine started on this process."""

    __slots__ = (
        "created_by",
        "fn",
        "fnkey",
        "gb",
        "gr",
        "heavy",
        "id",
        "reason",
        "sendval",
        "since",
        "start",
        "timer",
        "xval",
    )

    def __init__(self, gid: int, fn: Callable[..., object], created_by: int = 0) -> None:
        self.id = gid
        self.fn = fn
        self.start: Any = None     # (args, kwargs) until it starts
        self.gr: Any = None        # its greenlet, once spawned
        self.reason = "runnable"
        self.since = 0.0
        self.gb = 0            # wait group (shared memory), allocated on first wait
        self.xval = NOVAL      # value handed over in-process by a waker on this P
        self.sendval = NOVAL   # what a blocked plain send offers to receivers on this P
        self.timer: TimerEntry | None = None
        self.created_by = created_by
        self.fnkey = 0         # its function, for the load counters (loadtab)
        self.heavy = False     # its last time slice ran SLICE_NS or more (give_way)


class Processor:
    """The scheduler of one P."""

    def __init__(self, arena: Arena, p: int, hooks: SchedHooks) -> None:
        self.arena = arena
        self.M = arena.M
        self.Mv = arena.M            # the same view; compiled, a typed one (_c_sched.pxd)
        self.mem = arena.mem
        self.tag = arena.tag         # the lock owner tag of this P (lock.py)
        self.p = p
        self.hooks = hooks
        self.slot = ptable.slot_w(arena, p)
        self.inbox_w = self.slot + ptable.PS_INBOX
        self.rescan_w = self.slot + ptable.PS_RESCAN
        self.retire_w = self.slot + ptable.PS_RETIRE
        self.slice_w = self.slot + ptable.PS_SLICE_AT
        self.runq: deque[G] = deque()
        self.gs: dict[int, G] = {}
        self.waiting: dict[int, G] = {}
        self.timers = TimerHeap()
        # None while the scheduler itself runs. Typed G: it is read by the
        # running goroutine, for which it is never None.
        self.current: G = None  # type: ignore[assignment]
        self.g0: Any = None        # the scheduler's greenlet, once run() starts
        self.stop = False
        self.accept_new = True   # False while retiring: run what started, then stop
        self.tick = 0
        self.now = monotonic()
        # A P in a background thread (a standalone WorkerPool's P0) does not
        # spin before sleeping: spinning would hold the GIL that the
        # process's other threads need (measured: it doubles a round trip).
        self.spinner = (spin.Spinner(arena, p)
                        if threading.current_thread() is threading.main_thread() else None)
        # calls posted by other threads (call_soon_threadsafe)
        self.foreign: deque[tuple[Callable[..., object], tuple[Any, ...]]] = deque()
        self.ticket = 0          # numbers this P's waits (wait-group states)
        self.sleeps = 0          # numbers this P's sleeps (ptable.PS_SLEEPING)
        self.started = 0         # goroutines started here (published for runtime.stats)
        # More than one P: time slices are measured and published (PS_SLICE_AT).
        # And PARAGO_PREEMPT not 0: CPU-bound goroutines give way (give_way)
        # and may be preempted.
        self.multi = False
        self.slicing = False
        self.slice_t = 0         # when the running goroutine was switched in (ns, if slicing)
        self.idle_ns = 0         # time spent with nothing to run (published likewise)
        self.pending_wake: list[int] = []   # groups on other Ps to tell, after unlocking
        self.free_gr: list[Any] = []        # ended goroutines' greenlets, for reuse

    def release(self) -> None:
        """Let go of the arena's memory (before the arena is closed: a
        compiled Processor's typed view holds the buffer)."""
        self.Mv = None  # type: ignore[assignment]  # let go of the buffer
        self.free_gr.clear()     # any left (run() ended by an exception) end when freed

    # ---- goroutines ----------------------------------------------------------

    def spawn(self, gid: int, fn: Callable[..., object], args: tuple[Any, ...] = (),
              kwargs: dict[str, Any] | None = None, created_by: int = 0,
              runnable: bool = True, fnkey: int = 0) -> G:
        """Create goroutine ``gid`` that will run fn(*args, **kwargs) here.
        It must already be counted in this P's load (loadtab): its end
        uncounts it."""
        g = G(gid, fn, created_by)
        free = self.free_gr
        if free:
            g.gr = free.pop()
        else:
            g.gr = greenlet(self._body, parent=self.g0)
        g.start = (args, kwargs or {})
        g.fnkey = fnkey
        # Its wait group, now: the groups of a P list its live goroutines in
        # shared memory, for the crash report if this process dies.
        g.gb = W.new_group(self.arena, self.p, gid)
        self.gs[gid] = g
        self.started += 1
        if runnable:
            self.runq.append(g)
        return g

    def _body(self) -> None:
        """The run of a goroutine's greenlet: its goroutine, then, while the
        free list has room, the goroutines spawn gives it next. Between two,
        it waits in free_gr, switched out to g0."""
        while True:
            g = self.current
            args, kwargs = g.start
            g.start = None
            try:
                g.fn(*args, **kwargs)
            except GoExit:
                pass
            except GreenletExit:
                return           # thrown in to end it: the greenlet ends too
            except BaseException as e:  # noqa: BLE001 - the runtime decides what a panic does
                self.hooks.on_panic(self, g, e)
            finally:
                self._exited(g)
            free = self.free_gr
            if self.stop or len(free) >= FREE_GREENLETS:
                return
            g.gr = None
            gr = getcurrent()
            gr.gr_context = None     # the next goroutine starts in a fresh context
            free.append(gr)
            self.g0.switch()

    def _exited(self, g: G) -> None:
        self.gs.pop(g.id, None)
        if g.fnkey != loadtab.UNCOUNTED:
            loadtab.add(self.arena, self.p, g.fnkey, -1)
        if g.timer is not None:
            self.timers.cancel(g.timer)
        if g.gb:
            self.waiting.pop(g.gb, None)
            self.arena.free(g.gb)
            g.gb = 0
        self.mem.add64(L.H_NGOROUTINE << 3, -1)
        self.current = None  # type: ignore[assignment]  # see __init__

    # ---- park / ready ----------------------------------------------------------

    def park(self, reason: str) -> None:
        """Suspend the running goroutine until something readies it."""
        if self.stop:
            raise GreenletExit     # the runtime is ending: unwind, never wait
        g = self.current
        g.reason = reason
        g.since = self.now
        self.tick += 1
        runq = self.runq
        if self.multi:
            t = monotonic_ns()
            g.heavy = t - self.slice_t >= SLICE_NS
            if runq and self.tick & 15:
                self._slice_starts(runq[0], t)
        if runq and self.tick & 15:
            nxt = runq.popleft()
            self.current = nxt
            nxt.gr.switch()
        else:
            self.g0.switch()
        g.reason = "running"

    def ready(self, g: G) -> None:
        self.runq.append(g)

    def give_way(self) -> None:
        """Called (with more than one P) after a channel operation that did
        not block: a CPU-bound goroutine lets this P's other runnable
        goroutines run first.

        Without preemption, a CPU-bound goroutine that readies one of this
        P's goroutines (it takes a parked sender's value, say) would keep
        running for its whole next job while the readied goroutine — often
        the one feeding every other process — waits, and those processes
        starve. Go preempts after 10 ms; this is the same idea at the only
        points where parago may switch. A goroutine gives way when its
        last time slice, or this one so far, ran SLICE_NS or more: the light
        goroutines it readied run at once and park again, and it goes on.
        Only with more than one P: on one P there is no one to feed. The
        inbox is read first (the goroutine to give way to was often readied
        by another process: a worker there took its parked value), and a
        goroutine queued here and never started gets its start (nobody else
        may start a pinned one)."""
        if self.current.heavy or monotonic_ns() - self.slice_t >= SLICE_NS:
            self.let_others_run()

    def let_others_run(self) -> bool:
        """Yield the running goroutine to this P's other work, if any: woken
        goroutines (the inbox is read first), else one goroutine queued on
        this P and never started. Returns whether it yielded."""
        if self.M[self.inbox_w]:
            self._drain_inbox()
        if not self.runq and not self._start_next_queued():
            return False
        self.gosched()
        return True

    def gosched(self) -> None:
        """Yield to this P's other runnable goroutines, and to one queued on
        it and never started when none is runnable (as Go's Gosched runs the
        goroutines just made): a goroutine looping on gosched while it waits
        for the goroutines it made must not wait for _find's every 8th look."""
        if self.stop:
            raise GreenletExit
        g = self.current
        if self.multi:
            g.heavy = monotonic_ns() - self.slice_t >= SLICE_NS
        runq = self.runq
        if not runq:
            self._start_next_queued()
        runq.append(g)
        g.reason = "runnable"
        self.g0.switch()
        g.reason = "running"

    def sleep_until(self, when: float, reason: str = "sleep") -> None:
        g = self.current
        g.timer = self.timers.add(when, self._timer_ready, g)
        self.park(reason)
        g.timer = None

    def _timer_ready(self, g: G) -> None:
        g.timer = None
        self.runq.append(g)

    # ---- the loop ------------------------------------------------------------------

    def run(self) -> None:
        """Schedule goroutines until ``stop`` is set (in g0)."""
        self.g0 = getcurrent()
        while not self.stop:
            g = self._find()
            if g is None:
                continue
            self.current = g
            if self.multi:
                self._slice_starts(g, monotonic_ns())
                g.gr.switch()
                self.M[self.slice_w] = 0
            else:
                g.gr.switch()
            self.current = None  # type: ignore[assignment]  # see __init__
        self.drop_free_greenlets()

    def drop_free_greenlets(self) -> None:
        """End the greenlets kept for reuse (they hold this P through their
        run method: left alone, they would outlive the runtime)."""
        free = self.free_gr
        while free:
            free.pop().throw(GreenletExit)

    def _slice_starts(self, g: G, t: int) -> None:
        """``g`` is switched in at ``t`` (with more than one P). Published in
        PS_SLICE_AT for placement (is this P busy in one goroutine?) and
        preempt.nudge: a goroutine whose last slice was long (heavy) counts
        as having run a whole slice already, so that a goroutine woken for
        this P by another process does not wait for its next job to end."""
        self.slice_t = t
        self.M[self.slice_w] = t - SLICE_NS if g.heavy else t

    def _find(self) -> G | None:
        runq = self.runq
        self.tick += 1
        if not self.tick & 7:
            # Goroutines queued here must not starve behind ping-pong pairs;
            # and a P that always has runnable goroutines must still start
            # what is placed on it, or placement reads it as busy and other
            # Ps take its goroutines for good.
            self._start_next_queued()
        self.poll()
        if self.stop:
            return None
        if runq:
            return runq.popleft()
        g = None
        if self.accept_new:
            g = self._start_queued()
            if g is None:
                blob = self.hooks.steal(self)
                if blob:
                    g = self._start(blob)
        elif not self.gs:
            self.stop = True                 # retired and nothing left to run
            return None
        if g is None:
            self._idle()
            return None
        return g

    def _start_next_queued(self) -> bool:
        """Start the next goroutine queued on this P into the run queue, if
        this P takes new ones; returns whether it did."""
        if not self.accept_new:
            return False
        g = self._start_queued()
        if g is None:
            return False
        self.runq.append(g)
        return True

    def _start_queued(self) -> G | None:
        """Start the next goroutine queued on this P: pinned ones first."""
        M, s = self.Mv, self.slot
        blobs = None
        # The lengths are read here first (a queue is most often empty): take
        # reads them again under the queue's lock.
        if M[s + ptable.PS_PINQ + gqueue.Q_LEN]:
            blobs = gqueue.take(self.arena, self.p, False, pinned=True)
        if not blobs and M[s + ptable.PS_GQ + gqueue.Q_LEN]:
            blobs = gqueue.take(self.arena, self.p, False)
        return self._start(blobs[0]) if blobs else None

    def _start(self, blob: int) -> G:
        return self.hooks.start_blob(self, blob)

    def call_soon_threadsafe(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn(*args) in this P's scheduler (g0) soon; callable from any
        thread of this process. fn must not block; it may ready goroutines."""
        self.foreign.append((fn, args))
        ptable.bump_activity(self.arena)
        ptable.wake(self.arena, self.p)

    def poll(self) -> None:
        """Look at everything that may have made goroutines runnable."""
        M = self.M
        self.now = monotonic()
        self.multi = M[L.H_NSLOTS] > 1
        self.slicing = self.multi and not M[L.H_NO_PREEMPT]
        if not self.tick & 63:
            self.publish()
        foreign = self.foreign
        while foreign:
            fn, args = foreign.popleft()
            fn(*args)
        if M[self.inbox_w]:
            self._drain_inbox()
        if M[self.rescan_w]:
            self._rescan()
        if self.timers.heap:
            self.timers.fire_due(self.now)
        if M[L.H_EVENT] or (M[self.retire_w] and self.accept_new):
            self.hooks.on_event(self)
        if self.arena.graveyard:
            self.arena.bury()

    def publish(self) -> None:
        """What runtime.stats shows of this P, as of now."""
        M, s = self.Mv, self.slot
        M[s + ptable.PS_RUNNABLE] = len(self.runq)
        M[s + ptable.PS_NG] = len(self.gs)
        M[s + ptable.PS_STARTED] = self.started
        M[s + ptable.PS_IDLE_NS] = self.idle_ns

    def _drain_inbox(self) -> None:
        M = self.M
        for gb in ptable.inbox_take(self.arena, self.p, W.INBOX_OFF):
            g = self.waiting.get(gb)
            if g is not None and M[(gb >> 3) + W.G_STATE] & W.CODE_MASK == W.DELIVERED:
                del self.waiting[gb]
                self.runq.append(g)

    def _rescan(self) -> None:
        self.mem.store64(self.rescan_w << 3, 0)
        M = self.M
        for gb, g in list(self.waiting.items()):
            if M[(gb >> 3) + W.G_STATE] & W.CODE_MASK == W.DELIVERED:
                del self.waiting[gb]
                self.runq.append(g)

    def _idle(self) -> None:
        """Sleep on the P's futex until woken or the next timer is due.

        First spin briefly on the inbox, when that pays (spin.py): a partner
        in another process often answers within microseconds, and a futex
        sleep plus wake-up costs tens of them (Go's Ms spin before parking
        for the same reason)."""
        M, mem, s = self.M, self.mem, self.slot
        t0 = monotonic_ns()
        try:
            self._wait_for_work(M, mem, s)
        finally:
            self.idle_ns += monotonic_ns() - t0

    def _wait_for_work(self, M: memoryview, mem: Mem, s: int) -> None:
        if self.spinner is not None and M[L.H_NSLOTS] > 1:
            inbox_w, foreign = self.inbox_w, self.foreign
            if self.spinner.spin(lambda: M[inbox_w] or foreign):
                return
        wake_b = (s + ptable.PS_WAKE) << 3
        seq = mem.load32(wake_b)
        self.sleeps += 1
        self.publish()
        ptable.begin_sleep(self.arena, self.p, self.sleeps, self.timers.live, len(self.gs))
        try:
            if self._nothing_new(s):
                # Sleep at once, briefly, before the slow checks below (the
                # deadlock proof, goroutines takeable elsewhere): a partner
                # in another process often answers within their time, and a
                # P that never gets to sleep before it does runs like a busy
                # loop, which a loaded machine's scheduler time-slices for
                # milliseconds. Whatever the slow checks look for either
                # wakes this P or can wait FIRST_SLEEP.
                deadline = self.timers.next_deadline()
                first = (FIRST_SLEEP if deadline is None
                         else min(max(0.0, deadline - monotonic()), FIRST_SLEEP))
                if first > 0 and mem.futex_wait(wake_b, seq, first) != TIMED_OUT:
                    return
            if self.hooks.has_work(self):
                return
            deadline = self.timers.next_deadline()
            if deadline is None:
                self.hooks.idle_without_timers(self)
                timeout = IDLE_POLL
            else:
                timeout = min(max(0.0, deadline - monotonic()), IDLE_POLL)
            recheck = self.hooks.recheck_in(self)
            if recheck is not None:
                timeout = min(timeout, recheck)
            if timeout > 0:
                mem.futex_wait(wake_b, seq, timeout)
        finally:
            ptable.end_sleep(self.arena, self.p)

    def has_local_work(self) -> bool:
        """Work waits for this P itself: a runnable goroutine, a call from
        another thread, a wake-up in its inbox, a rescan, or a goroutine
        queued on it."""
        M, s = self.Mv, self.slot
        return bool(self.runq or self.foreign or M[s + ptable.PS_INBOX] or M[s + ptable.PS_RESCAN]
                    or M[s + ptable.PS_GQ + gqueue.Q_LEN] or M[s + ptable.PS_PINQ + gqueue.Q_LEN])

    def _nothing_new(self, s: int) -> bool:
        """No local work, and no event or retire request to look at."""
        M = self.Mv
        return not (self.has_local_work() or M[s + ptable.PS_RETIRE] or M[L.H_EVENT])

    # ---- introspection -----------------------------------------------------------

    def goroutines(self) -> list[G]:
        return list(self.gs.values())


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
