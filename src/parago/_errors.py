"""The exceptions every layer may raise (a leaf module: it imports nothing of parago).

Messages carry Go's own text ("send on closed channel", "sync: negative
WaitGroup counter", ...), so a Go programmer recognises them.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool


class Panic(RuntimeError):
    """Misuse that Go reports as a panic or fatal error."""


class Deadlock(Panic):
    """Every goroutine in every process is blocked and no timer is pending."""


class GoroutinePanic(Panic):
    """An exception escaped a goroutine other than main; the run ended.

    ``__cause__`` is the original exception (or a stand-in carrying its type
    name and message where it cannot be unpickled), ``goroutine`` its id and
    ``remote_traceback`` the traceback text from the process it ran in.
    """

    def __init__(self, message: str, goroutine: int = 0, remote_traceback: str = ""):
        super().__init__(message)
        self.goroutine = goroutine
        self.remote_traceback = remote_traceback


class WorkerCrashed(Panic, BrokenProcessPool):
    """A worker process died (signal, os._exit, out of memory) under goroutines
    or under a WorkerPool task (so ``except BrokenProcessPool`` catches it)."""

    def __init__(self, message: str, proc: int = -1, exitcode: int | None = None,
                 goroutines: tuple = ()):
        super().__init__(message)
        self.proc = proc
        self.exitcode = exitcode
        self.goroutines = goroutines


class RemoteError(Exception):
    """Stands in for an exception that could not be copied back from another
    process: it keeps the original type's name and message."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


class NoRuntime(RuntimeError):
    """A parago operation was used where no runtime is running."""


class TaskTimeout(TimeoutError):
    """A WorkerPool task ran longer than its ``task_timeout``; its worker was
    killed and replaced. (A TimeoutError, but not the one ``result(timeout)``
    raises when the caller stops waiting.)"""
