"""A WorkerPool inside pg.run: workers are goroutines on the runtime's processes.

Owns: (to be written)

Invariants: (to be written)
"""

from __future__ import annotations

from .._core import sched


def inside_run() -> bool:
    proc = sched.tls.proc
    return proc is not None and proc.current is not None


class RunEngine:
    def __init__(self, *a, **k):
        raise NotImplementedError
