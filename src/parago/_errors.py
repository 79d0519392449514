"""The exceptions every layer may raise (a leaf module: it imports nothing).

Messages carry Go's own text ("send on closed channel", "sync: negative
WaitGroup counter", ...), so a Go programmer recognises them.
"""

from __future__ import annotations


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


class WorkerCrashed(Panic):
    """A worker process died (signal, os._exit, out of memory) under goroutines."""

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

    def __reduce__(self):
        return type(self), (self.type_name, self.message)


class NoRuntime(RuntimeError):
    """A parago operation was used where no runtime is running."""


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
