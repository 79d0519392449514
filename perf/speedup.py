"""Parallelism (16 CPU-bound goroutines on procs=1..N, beside
ProcessPoolExecutor) and concurrency (M sleeping goroutines on procs=1,
beside asyncio and gevent).

    python perf/speedup.py [--quick]
"""
import sys

from parago.bench import suite

quick = "--quick" in sys.argv
print(suite.parallelism(quick).render())
print(suite.concurrency(quick, [10000]).render())
