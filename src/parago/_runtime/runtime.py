"""P0: starting a runtime, running main, ending everything.

Owns: the Runtime object of pg.run — the arena it created, the worker
processes, P0's Processor, the process watcher thread — and P0's reactions
to panics, crashes and deadlock (P0Hooks).

    pg.run(main)
      sweep stale segments -> create arena -> start P1..Pn-1 (forkserver)
      -> main as goroutine 1 on P0 -> P0's scheduler loop
      -> main returns / raises, or an event (panic, crash, deadlock) ends it
      -> teardown: SHUTDOWN to every P, unwind P0's goroutines, join or kill
         the workers, unmap and unlink the arena

Invariants:
  - One runtime per process at a time (pg.run is not reentrant).
  - Teardown runs on every exit path (return, exception, Ctrl-C) and leaves
    no worker process and no segment behind.
  - Workers are started once per runtime and reused for every goroutine.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, Self, cast

from greenlet import GreenletExit, getcurrent

from .._core import preempt, sched
from .._core.sched import GoExit, Processor
from .._errors import Deadlock, GoroutinePanic, Panic, WorkerCrashed
from .._shm import gqueue, loadtab, ptable, segment, values
from .._shm import layout as L
from .._shm.arena import Arena
from . import config, crash, dump, panics, stdio, worker
from .hooks import Hooks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    from .._core.sched import G, Processor

MAIN_GID = 1
STOP_CHECK_S = 1.0       # how often the watcher looks for stopped workers
STOPPED_WARN_S = 5.0     # a worker stopped this long gets a warning on stderr


def num_cpu() -> int:
    """The cores this process may run on: its CPU affinity mask, as Go's
    NumCPU (RT-03); the default number of Ps. Raises nothing; callable
    anywhere, with or without a runtime."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_procs() -> int:
    return config.max_procs() or min(num_cpu(), L.MAXP)


def _context() -> Any:
    method = config.start_method()
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["parago"])
    return ctx


class _MainNotImported:
    """While a worker starts, keep multiprocessing from re-running the user's
    main module in it. A script calling pg.run at top level (no ``__main__``
    guard) would otherwise start a runtime in every worker; objects of the
    main module are copied by value (cloudpickle) instead."""

    def __enter__(self) -> Self:
        import multiprocessing.spawn as mspawn
        self._mod = mspawn
        self._orig = orig = mspawn.get_preparation_data

        def get_preparation_data(name: str) -> dict[str, Any]:
            d = orig(name)
            d.pop("init_main_from_path", None)
            d.pop("init_main_from_name", None)
            return d

        mspawn.get_preparation_data = get_preparation_data
        return self

    def __exit__(self, *exc: BaseException) -> None:
        self._mod.get_preparation_data = self._orig


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None:
        return "unknown status"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


class P0Hooks(Hooks):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def on_panic(self, proc: Processor, g: G, exc: BaseException) -> None:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            self.rt.outcome = exc
        else:
            self.rt.outcome = self.rt.goroutine_panic(panics.panic_record(g.id, proc.p, exc), exc)
        proc.stop = True

    def event_pending(self, proc: Processor) -> bool:
        return bool(proc.M[L.H_EVENT] & (L.EV_PANIC | L.EV_CRASH | L.EV_DEADLOCK | L.EV_PROCS)
                    or super().event_pending(proc))

    def on_event(self, proc: Processor) -> None:
        arena = proc.arena
        ev = proc.M[L.H_EVENT]
        if ev & L.EV_DUMP:
            dump.answer(proc)                   # a worker's goroutine asked for a dump
        if ev & L.EV_PROCS:
            panics.clear_event(arena, L.EV_PROCS)
            want = arena.mem.swap64(L.H_WANT_PROCS << 3, 0)
            if want:
                self.rt.set_procs(want)
        if ev & L.EV_PANIC:
            # EV_PANIC is raised only once its record is written: never None.
            rec = cast("dict[str, Any]", panics.read(arena, L.H_PANIC_BLOB))
            raise self.rt.goroutine_panic(rec, panics.load_exc(rec))
        if ev & L.EV_CRASH:
            panics.clear_event(arena, L.EV_CRASH)
            for rec in panics.take_records(arena, L.H_CRASH_BLOB):
                self.rt.on_crash(rec)
        if ev & L.EV_DEADLOCK:
            if self.rt.main_goexited and proc.M[L.H_NGOROUTINE] == 0:
                raise Deadlock("no goroutines (main called runtime.Goexit) - deadlock!")
            raise Deadlock("all goroutines are asleep - deadlock!\n\n" + dump.collect(proc))


class _ThisThread(threading.local):
    rt: Runtime | None = None         # the runtime whose P0 runs in this thread


_this_thread = _ThisThread()


def current() -> Runtime | None:
    return _this_thread.rt


class Runtime:
    _watch_stop_r: int        # the watcher thread's wake-up pipe: "r" rescan, "x" stop
    _watch_stop_w: int

    def __init__(self, procs: int, on_crash: str = "raise", detect_deadlock: bool = True) -> None:
        if _this_thread.rt is not None:
            raise RuntimeError("pg.run is not reentrant: a runtime is already running here")
        if sched.this_proc() is not None:
            raise RuntimeError("pg.run cannot be called from inside a goroutine")
        if not 1 <= procs <= L.MAXP:
            raise ValueError(f"procs must be between 1 and {L.MAXP}, not {procs}")
        if on_crash not in ("raise", "continue"):
            raise ValueError(f"on_crash must be 'raise' or 'continue', not {on_crash!r}")
        cfg = config.from_environ()
        self.crash_policy: str = on_crash
        # A runtime driven from outside (a standalone WorkerPool, fed by user
        # threads) idles waiting for them: that is not a deadlock
        # (H_NO_DEADLOCK tells every P).
        self.crashes: list[WorkerCrashed] = []
        # goroutine tag -> fn(gid, WorkerCrashed)
        self.crash_listeners: dict[int, Callable[[int, WorkerCrashed], None]] = {}
        segment.sweep()
        self.outcome: BaseException | None = None
        self.result: Any = None
        self.main_goexited: bool = False
        self.workers: dict[int, mp.Process] = {}
        self._watcher: threading.Thread | None = None
        self.arena: Arena = Arena.create(cfg.shm_size)
        arena = self.arena
        self.rid: str = arena.runtime_id
        try:
            pipe: tuple[int, int] = os.pipe()
            self._watch_stop_r, self._watch_stop_w = pipe
        except BaseException:
            arena.close()
            arena.unlink()
            raise
        _this_thread.rt = self
        try:
            epoch = ptable.init_slot(arena, 0, os.getpid())
            arena.p = 0
            arena.tag = ptable.tag_of(epoch, 0)
            for p in range(procs):
                gqueue.init(arena, p)
            arena.M[L.H_NPROCS] = procs
            arena.M[L.H_NSLOTS] = procs
            arena.M[L.H_NO_DEADLOCK] = 0 if detect_deadlock else 1
            arena.M[L.H_NO_PREEMPT] = 0 if cfg.preempt else 1
            ptable.set_state(arena, 0, ptable.S_ALIVE)
            self.proc: Processor = Processor(arena, 0, P0Hooks(self))
            self.proc.g0 = getcurrent()
            sched.set_this_proc(self.proc)
            self._stdio = stdio.one_write_per_line()
            self._old_sigquit: Any = None
            if threading.current_thread() is threading.main_thread():
                self._old_sigquit = signal.signal(signal.SIGQUIT, self._on_sigquit)
            self._old_sigurg = preempt.install()
            if procs > 1:
                self._ctx: Any = _context()
                for p in range(1, procs):
                    self.start_worker(p)
                self._watcher = threading.Thread(target=self._watch, name="parago-watch",
                                                 daemon=True)
                self._watcher.start()
        except BaseException:
            self.teardown()
            raise

    # ---- workers ---------------------------------------------------------------

    def start_worker(self, p: int) -> None:
        arena = self.arena
        epoch = ptable.init_slot(arena, p, 0)
        gqueue.init(arena, p)
        w = self._ctx.Process(target=worker.main, args=(self.rid, p, epoch, os.getpid()),
                              name=f"parago-P{p}", daemon=True)
        with _MainNotImported():
            w.start()
        self.workers[p] = w

    def set_procs(self, n: int) -> int:
        """Change the number of Ps (P0 only); returns the previous number.
        New Ps are worker processes started now; Ps beyond ``n`` retire:
        they start nothing new and exit once their goroutines have ended."""
        arena = self.arena
        M = arena.M
        old = M[L.H_NPROCS]
        n = max(1, min(int(n), L.MAXP))
        if n == old:
            return old
        if getattr(self, "_ctx", None) is None:
            self._ctx = _context()
        for p in range(1, max(n, M[L.H_NSLOTS])):
            s = ptable.slot_w(arena, p)
            st = M[s + ptable.PS_STATE]
            if p < n:
                if st in (ptable.S_ALIVE, ptable.S_STARTING) and M[s + ptable.PS_RETIRE]:
                    M[s + ptable.PS_RETIRE] = 0          # still there: keep it
                elif st not in (ptable.S_ALIVE, ptable.S_STARTING):
                    old_w = self.workers.get(p)
                    if old_w is not None:
                        old_w.join(5.0)
                    self.start_worker(p)
            elif st in (ptable.S_ALIVE, ptable.S_STARTING):
                arena.mem.store64((s + ptable.PS_RETIRE) << 3, 1)
        M[L.H_NSLOTS] = max(n, M[L.H_NSLOTS])
        M[L.H_NPROCS] = n
        ptable.bump_activity(arena)
        ptable.wake_all(arena, M[L.H_NSLOTS])
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="parago-watch", daemon=True)
            self._watcher.start()
        else:
            os.write(self._watch_stop_w, b"r")           # watch the new workers too
        return old

    def _watch(self) -> None:
        """P0's watcher thread: notices a worker that dies, or that stays
        stopped (SIGSTOP, a debugger) long enough to hold up the run."""
        arena = self.arena
        stopped_since: dict[int, float | None] = {}
        while True:
            # Keyed by Any: wait() hands back its argument's objects, typed as
            # connections or sockets too.
            live: dict[Any, int] = {w.sentinel: p for p, w in self.workers.items()
                                    if w.exitcode is None}
            ready = mp.connection.wait([*live, self._watch_stop_r], timeout=STOP_CHECK_S)
            if self._watch_stop_r in ready:
                if os.read(self._watch_stop_r, 1) != b"r":
                    return
                continue
            for s in ready:
                p = live[s]
                w = self.workers[p]
                w.join(0)
                stopped_since.pop(p, None)
                if ptable.state(arena, p) in (ptable.S_EXITED, ptable.S_DEAD):
                    continue
                if arena.M[L.H_SHUTDOWN]:
                    continue
                lost = crash.sweep(arena, p)
                panics.push_record(arena, L.H_CRASH_BLOB, L.EV_CRASH,
                                   {"p": p, "pid": w.pid, "exitcode": w.exitcode, "lost": lost})
            self._check_stopped(live.values(), stopped_since)

    def _check_stopped(self, ps: Iterable[int], stopped_since: dict[int, float | None]) -> None:
        """Warn (once per stop) about a worker stopped for STOPPED_WARN_S: what
        it holds (a lock, a channel operation) holds up everyone waiting on it,
        with no error to show for it, since the process may be continued."""
        now = time.monotonic()
        for p in ps:
            w = self.workers.get(p)
            if w is None or not dump.process_stopped(w.pid):
                stopped_since.pop(p, None)
                continue
            since = stopped_since.setdefault(p, now)
            if since is not None and now - since >= STOPPED_WARN_S:
                stopped_since[p] = None              # warned for this stop
                self._warn_stopped(p, w.pid, now - since)

    def _warn_stopped(self, p: int, pid: int | None, seconds: float) -> None:
        head = (f"parago: worker process P{p} (pid {pid}) has been stopped for "
                f"{seconds:.0f} s (SIGSTOP or a debugger); goroutines waiting on what it "
                f"holds cannot go on until it is continued (kill -CONT {pid}). "
                "Still waiting.\n")
        done = threading.Event()
        once = threading.Lock()

        def write(text: str) -> None:
            if once.acquire(blocking=False):
                sys.stderr.write(head + "\n" + text + "\n")
                sys.stderr.flush()
                done.set()

        # The dump is gathered on P0's own thread (its goroutines are its to
        # walk) when its scheduler gets to it; if P0 is itself held up (say
        # spinning on a lock the stopped process holds), say so without it.
        self.proc.call_soon_threadsafe(lambda: write(dump.collect(self.proc, timeout=0.5)))
        if not done.wait(2.0):
            write(f"(P0, pid {os.getpid()}: busy, its goroutines cannot be listed)\n")

    def _on_sigquit(self, _signum: int, _frame: FrameType | None) -> None:
        """SIGQUIT prints every goroutine of every process, and the program
        goes on (Go exits after the dump; here the dump is the point)."""
        try:
            text = dump.collect(self.proc, timeout=0.5)
        except Exception as e:  # noqa: BLE001 - a dump must never kill the program
            text = f"(goroutine dump failed: {e!r})"
        sys.stderr.write(f"SIGQUIT: goroutine dump\n\n{text}\n\n")
        sys.stderr.flush()

    # ---- crashes ---------------------------------------------------------------------

    def on_crash(self, rec: dict[str, Any]) -> None:
        """A worker died (the watcher already repaired shared memory). Its
        goroutines working for a WorkerPool fail alone (the pool is told);
        any other lost goroutine ends the run with WorkerCrashed, unless the
        run continues on crashes. Either way a replacement P starts."""
        lost = rec["lost"]
        own = [gid for gid, tag in lost if not tag]
        err = WorkerCrashed(
            f"worker process P{rec['p']} (pid {rec['pid']}) {_signal_name(rec['exitcode'])}; "
            f"{len(lost)} goroutine(s) on it were lost"
            + (f": {', '.join(str(g) for g, _ in lost[:20])}"
               + (" ..." if len(lost) > 20 else "") if lost else ""),
            proc=rec["p"], exitcode=rec["exitcode"], goroutines=tuple(g for g, _ in lost))
        self.crashes.append(err)
        for gid, tag in lost:
            listener = self.crash_listeners.get(tag)
            if listener is not None:
                listener(gid, err)
        if own and self.crash_policy == "raise":
            raise err
        if self.crash_policy == "continue" and own:
            warnings.warn(str(err) + "; replaced, the run continues", RuntimeWarning, stacklevel=1)
        if not self.arena.M[L.H_SHUTDOWN] and rec["p"] < self.arena.M[L.H_NPROCS]:
            self.start_worker(rec["p"])
            os.write(self._watch_stop_w, b"r")

    # ---- main ----------------------------------------------------------------------

    def goroutine_panic(self, rec: dict[str, Any], exc: BaseException) -> GoroutinePanic:
        gp = GoroutinePanic(
            f"goroutine {rec['gid']} panicked (on P{rec['p']}): {rec['type']}: {rec['message']}",
            goroutine=rec["gid"], remote_traceback=rec["traceback"])
        gp.__cause__ = exc
        return gp

    def _main_body(self, main: Callable[..., Any], args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> None:
        try:
            self.result = main(*args, **kwargs)
        except GoExit:
            self.main_goexited = True
            return
        except BaseException as e:  # noqa: BLE001 - propagates out of pg.run unchanged
            self.outcome = e
        self.proc.stop = True

    def run(self, main: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        arena = self.arena
        try:
            arena.M[L.H_GID] = MAIN_GID
            main_key = 0
            arena.mem.add64(L.H_NGOROUTINE << 3, 1)
            if arena.M[L.H_NSLOTS] > 1:
                loadtab.add(arena, 0, 0, 1)
            else:
                main_key = loadtab.UNCOUNTED
            self.proc.spawn(MAIN_GID, self._main_body, (main, args, kwargs), fnkey=main_key)
            self.proc.run()
            if self.outcome is not None:
                raise self.outcome
            return self.result
        finally:
            self.outcome = None
            self.teardown()

    # ---- the end -------------------------------------------------------------------

    def teardown(self) -> None:
        arena = self.arena
        proc = getattr(self, "proc", None)
        try:
            if arena.seg.mm is not None:
                arena.M[L.H_SHUTDOWN] = 1
                panics.raise_event(arena, L.EV_SHUTDOWN)
                ptable.wake_all(arena, arena.M[L.H_NSLOTS])
            if proc is not None:
                proc.stop = True
                for g in list(proc.gs.values()):
                    gr = g.gr
                    if gr is not None and not gr.dead:
                        try:
                            gr.throw(GreenletExit)
                        except BaseException:  # noqa: BLE001 - unwinding abandoned goroutines
                            pass
            for w in self.workers.values():
                w.join(2.0)
                if w.exitcode is None:
                    w.kill()
                    w.join(2.0)
            if self._watcher is not None:
                os.write(self._watch_stop_w, b"x")
                self._watcher.join(2.0)
        finally:
            stdio.restore(getattr(self, "_stdio", []))
            if getattr(self, "_old_sigquit", None) is not None:
                signal.signal(signal.SIGQUIT, self._old_sigquit)
            preempt.restore(getattr(self, "_old_sigurg", None))
            os.close(self._watch_stop_r)
            os.close(self._watch_stop_w)
            sched.set_this_proc(None)
            _this_thread.rt = None
            values.forget_functions()
            if proc is not None:
                proc.release()
            arena.close()
            arena.unlink()


def gomaxprocs(proc: Processor, n: int | None) -> int:
    """The number of Ps; with ``n`` >= 1, set it (from any P: a worker asks
    P0, which starts or retires the workers) and return the previous one."""
    cur = proc.M[L.H_NPROCS]
    if n is None or n < 1 or n == cur:
        return cur
    if n > L.MAXP:
        raise ValueError(f"gomaxprocs: at most {L.MAXP} Ps")
    rt = current()
    if proc.p == 0 and rt is not None:
        return rt.set_procs(n)
    proc.mem.store64(L.H_WANT_PROCS << 3, n)
    panics.raise_event(proc.arena, L.EV_PROCS)
    return cur


def num_goroutine(proc: Processor) -> int:
    """Goroutines that exist now, in every process, started or not."""
    return proc.M[L.H_NGOROUTINE]


def run(main: Callable[..., Any], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
        procs: int | None = None, on_crash: str = "raise", detect_deadlock: bool = True) -> Any:
    if not callable(main):
        raise TypeError(f"pg.run: main must be callable, not {type(main).__name__!r}")
    rt = Runtime(default_procs() if procs is None else int(procs), on_crash, detect_deadlock)
    return rt.run(main, args, kwargs or {})


__all__ = ["Panic", "Runtime", "default_procs", "num_cpu", "run"]
