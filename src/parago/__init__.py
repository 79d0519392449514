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

from . import atomic, context, pipeline, runtime
from ._errors import (
    Deadlock,
    GoroutinePanic,
    NoRuntime,
    Panic,
    RemoteError,
    TaskTimeout,
    WorkerCrashed,
)
from .chan import Chan, RecvOnlyChan, SendOnlyChan, chan
from .pool import WorkerPool
from .runtime import go, goexit, gomaxprocs, gosched, num_cpu, num_goroutine, run
from .select import select
from .sync import Cond, Mutex, Once, Pool, RWMutex, WaitGroup
from .time import Ticker, Timer, after, after_func, sleep, tick

__version__ = "0.1.0"

__all__ = [
    "Chan", "Cond", "Deadlock", "GoroutinePanic", "Mutex", "NoRuntime", "Once", "Panic", "Pool",
    "RWMutex", "RecvOnlyChan", "RemoteError", "SendOnlyChan", "TaskTimeout", "Ticker", "Timer",
    "WaitGroup",
    "WorkerCrashed", "WorkerPool", "after", "after_func", "atomic", "chan", "context", "go",
    "goexit", "pipeline",
    "gomaxprocs", "gosched", "num_cpu", "num_goroutine", "run", "runtime", "select", "sleep",
    "tick",
]
