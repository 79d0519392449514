"""The sync package beside multiprocessing's primitives, in one run:
the seeds' RWMutex-vs-Mutex table, Mutex lock/unlock (uncontended, and
contended by two processes) beside multiprocessing.Lock, atomic add beside
multiprocessing.Value under its lock, and the seeds' 1,048,576-goroutine
Pool program.

    python perf/sync.py [--quick]
"""

import sys

from parago.bench import report
from parago.bench.runner import measure

quick = "--quick" in sys.argv
K = "parago.bench.syncbench:"

rows = measure(K + "rw_table", max_pow=8 if quick else 14)["rows"]
print(report.table("The seeds' table: 1 producer (5 write locks) + N observers "
                   "(read lock vs plain lock), procs=1",
                   ["readers", "RWMutex", "Mutex", "RWMutex vs Mutex"],
                   [[c, report.fmt_time(a), report.fmt_time(b), report.ratio(a, b)]
                    for c, a, b in rows]))

n = 20000 if quick else 200000
out = []
for label, contended in (("uncontended, one process", False), ("contended, two processes", True)):
    ours = measure(K + "parago_mutex", n=n, contended=contended)["per_op"]
    theirs = measure(K + "mp_lock", n=n, contended=contended)["per_op"]
    out.append([label, report.fmt_time(ours), report.fmt_time(theirs),
                report.ratio(ours, theirs)])
print(report.table("Mutex lock+unlock (ratio >1: parago faster)",
                   ["case", "pg.Mutex", "multiprocessing.Lock", "parago vs"], out))

n = 50000 if quick else 500000
out = []
for label, contended in (("one process", False), ("two processes", True)):
    ours = measure(K + "parago_atomic", n=n, contended=contended)["per_op"]
    theirs = measure(K + "mp_value", n=n, contended=contended)["per_op"]
    out.append([label, report.fmt_time(ours), report.fmt_time(theirs),
                report.ratio(ours, theirs)])
print(report.table("Atomic add (ratio >1: parago faster)",
                   ["case", "pg.atomic.Int64.add", "multiprocessing.Value + lock", "parago vs"],
                   out))

n = 50000 if quick else 1024 * 1024
r = measure(K + "pool_program", n=n, timeout=3600)
print(report.table(f"The seeds' Pool program: {n} goroutines sharing 4 KB of buffers",
                   ["goroutines", "calculators created", "time", "per goroutine", "P0 max RSS"],
                   [[n, r["created"], report.fmt_time(r["seconds"]),
                     report.fmt_time(r["seconds"] / n), f"{r['p0_max_rss_kb'] / 1024:.0f} MiB"]]))
