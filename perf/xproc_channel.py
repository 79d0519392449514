"""Channels between two processes: hop latency and throughput of ints, 64 KiB
and 4 MiB values, beside multiprocessing.Pipe/Queue and faster-fifo.

    python perf/xproc_channel.py [--quick]
"""
import sys

from parago.bench import suite

quick = "--quick" in sys.argv
print(suite.xproc_hop(quick).render())
print(suite.xproc_throughput(quick).render())
