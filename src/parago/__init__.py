"""parago: Go's concurrency model for Python, with true parallelism.

Goroutines run on N processes (so CPU-bound Python uses every core), a green
scheduler in each process multiplexes them, and channels and sync objects
live in shared memory, usable from any goroutine in any process.

    import parago as pg

    def worker(ch):
        ch.send(sum(range(10**6)))

    def main():
        ch = pg.chan()
        pg.go(worker, ch)
        return ch.recv()

    print(pg.run(main))
"""

from . import runtime
from ._errors import Deadlock, GoroutinePanic, NoRuntime, Panic, RemoteError, WorkerCrashed
from .chan import Chan, RecvOnlyChan, SendOnlyChan, chan
from .runtime import go, goexit, gomaxprocs, gosched, num_cpu, num_goroutine, run
from .select import select
from .time import after, sleep

__version__ = "0.1.0"

__all__ = [
    "Chan", "Deadlock", "GoroutinePanic", "NoRuntime", "Panic", "RecvOnlyChan", "RemoteError",
    "SendOnlyChan", "WorkerCrashed", "after", "chan", "go", "goexit", "gomaxprocs", "gosched",
    "num_cpu", "num_goroutine", "run", "runtime", "select", "sleep",
]
