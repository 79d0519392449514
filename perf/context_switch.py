"""The seeds' BenchmarkContextSwitch in one process, beside raw
greenlet.switch, gevent's Channel and asyncio.Queue, in the same run.

    python perf/context_switch.py [--quick]
"""
import sys

from parago.bench import suite

print(suite.context_switch("--quick" in sys.argv).render())
