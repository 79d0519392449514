"""The seeds' goroutine-memory table: M = 10 .. 100,000 goroutines blocked
receiving on a channel nobody sends to (procs=1), memory per goroutine
beside gevent greenlets blocked on an Event and asyncio tasks awaiting a
Future, each measured the same way in its own interpreter.

    python perf/goroutine_memory.py [--quick]
"""
import sys

from parago.bench import suite

print(suite.goroutine_memory("--quick" in sys.argv).render())
