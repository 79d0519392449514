"""The exceptions every layer may raise (a leaf module: it imports nothing of parago).

Messages carry Go's own text ("send on closed channel", "sync: negative
WaitGroup counter", ...), so a Go programmer recognises them.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool


class Panic(RuntimeError):
    """Misuse that Go reports as a panic or fatal error; the message holds
    Go's own text: "send on closed channel", "close of closed channel",
    "sync: negative WaitGroup counter", "sync: unlock of unlocked mutex",
    "non-positive interval for NewTicker", ... Raised where the misuse
    happens, in the goroutine that made it; one that escapes a goroutine
    other than main ends the run as GoroutinePanic. A RuntimeError."""


class Deadlock(Panic):
    """Raised by pg.run when every goroutine in every process is blocked on
    a parago object and no timer is pending (RT-13): the message is "all
    goroutines are asleep - deadlock!" followed by the dump of every
    goroutine (as pg.runtime.stack() gives it), or "no goroutines (main
    called runtime.Goexit) - deadlock!" (RT-07). Catch it around pg.run;
    Go's is fatal. A Panic."""


class GoroutinePanic(Panic):
    """Raised by pg.run when an exception escaped a goroutine other than
    main: the run ended, as a panic ends a Go program (RT-09).

    ``__cause__`` is the original exception (or a RemoteError carrying its
    type name and message where it cannot be copied back), ``goroutine``
    its id and ``remote_traceback`` the traceback text from the process it
    ran in, naming the user's files and lines (with the source lines where
    the file exists). A Panic.
    """

    def __init__(self, message: str, goroutine: int = 0, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.goroutine = goroutine
        self.remote_traceback = remote_traceback


class WorkerCrashed(Panic, BrokenProcessPool):
    """A worker process died (signal, os._exit, out of memory) under
    goroutines: pg.run raises it (with ``on_crash="raise"``), and a
    WorkerPool's futures fail with it for the tasks that worker held (so
    ``except BrokenProcessPool`` catches it, as with ProcessPoolExecutor).
    ``proc`` is the P, ``exitcode`` the process's exit code (negative: the
    signal), ``goroutines`` the ids it took with it. A Panic."""

    def __init__(self, message: str, proc: int = -1, exitcode: int | None = None,
                 goroutines: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.proc = proc
        self.exitcode = exitcode
        self.goroutines = goroutines


class RemoteError(Exception):
    """Stands in for an exception that could not be copied back from another
    process (its class is local to a function, it holds an unpicklable
    value): ``type_name`` and ``message`` keep the original's type name and
    text; str() is "TypeName: message". Found as the ``__cause__`` of a
    GoroutinePanic, a StageError or a pool task's exception."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message

    def __reduce__(self) -> tuple[type[RemoteError], tuple[str, str]]:
        return type(self), (self.type_name, self.message)


class NoRuntime(RuntimeError):
    """A parago object or call was used where it has no runtime: outside
    pg.run (and any WorkerPool), after its runtime ended, in another
    runtime than its own, or from a plain thread where a goroutine is
    needed. The message says which, and what to do. A RuntimeError."""


# ---- NoRuntime: one wording per situation ------------------------------------------
#
# Every "no runtime" error is made here, so each situation reads the same
# wherever it is met. ``what`` names the object or call ("Chan", "pg.go").

def no_runtime(what: str = "a parago object") -> NoRuntime:
    """Nothing runs here: this thread has no runtime and the object has none."""
    return NoRuntime(f"{what} needs a running runtime: call it inside pg.run (or a WorkerPool)")


def runtime_ended(what: str = "object") -> NoRuntime:
    """The object's runtime has ended (its shared memory is gone)."""
    return NoRuntime(f"this parago {what} belongs to a runtime that has ended")


def other_runtime(what: str = "object") -> NoRuntime:
    """The object belongs to a runtime, but not to the one running here."""
    return NoRuntime(f"this parago {what} belongs to another runtime than the one running here")


def not_in_goroutine(what: str) -> NoRuntime:
    """The runtime runs, but the caller is not one of its goroutines (a plain
    thread) and the operation needs one."""
    return NoRuntime(f"{what} must be used from a goroutine, not from a plain thread")


class TaskTimeout(TimeoutError):
    """A WorkerPool task ran longer than its ``task_timeout``; its worker was
    killed and replaced. Raised by that task's ``result()`` wherever it is
    called, in a goroutine or any thread. (A TimeoutError, but not the one
    ``result(timeout)`` raises when the caller stops waiting.)"""
