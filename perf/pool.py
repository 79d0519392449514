"""WorkerPool beside multiprocessing.Pool, ProcessPoolExecutor, loky and
mpire, measured in one run (each kernel in a fresh interpreter):

    python perf/pool.py [--quick]
"""

import sys

from parago.bench import report
from parago.bench.runner import KernelFailed, available, measure

quick = "--quick" in sys.argv
K = "parago.bench.poolbench:"
IMPLS = [("parago.WorkerPool", "parago"), ("multiprocessing.Pool", "multiprocessing"),
         ("ProcessPoolExecutor", "ProcessPoolExecutor"), ("loky", "loky"), ("mpire", "mpire")]
IMPLS = [(name, key) for name, key in IMPLS if key in ("parago", "multiprocessing",
                                                          "ProcessPoolExecutor") or available(key)]


def each(kernel, **kw):
    out = {}
    for name, key in IMPLS:
        try:
            out[name] = measure(K + kernel, impl=key, **kw)
        except KernelFailed as e:
            print(f"  {name} {kernel} failed: {str(e).splitlines()[0]}", file=sys.stderr)
    return out


n = 5000 if quick else 20000
r = each("tiny", n=n)
ours = r["parago.WorkerPool"]["tasks_per_s"]
print(report.table(f"Tiny tasks: x + 1 over {n} items, chunksize 1, 2 workers "
                   "(ratio >1: parago faster)", ["pool", "tasks/s", "parago vs"],
                   [[k, report.fmt_rate(v["tasks_per_s"], "/s"),
                     report.ratio(ours, v["tasks_per_s"], lower_is_better=False)]
                    for k, v in r.items()]))

r = each("roundtrip", n=200 if quick else 1000)
ours = r["parago.WorkerPool"]["p50"]
print(report.table("One submit().result() at a time (ratio >1: parago faster)",
                   ["pool", "p50", "p90", "p99", "parago vs (p50)"],
                   [[k, report.fmt_time(v["p50"]), report.fmt_time(v["p90"]),
                     report.fmt_time(v["p99"]), report.ratio(ours, v["p50"])]
                    for k, v in r.items()]))

r = each("cpu_speedup", k=300_000 if quick else 2_000_000)
print(report.table("16 CPU-bound tasks: 1 worker vs 2 workers",
                   ["pool", "1 worker", "2 workers", "speedup"],
                   [[k, report.fmt_time(v["t1"]), report.fmt_time(v["tn"]),
                     f"{v['speedup']:.2f}x"] for k, v in r.items()]))

r = each("start")
ours = r["parago.WorkerPool"]["seconds"]
print(report.table("Cold start: pool creation to first result, fresh interpreter "
                   "(ratio >1: parago faster)", ["pool", "start", "parago vs"],
                   [[k, report.fmt_time(v["seconds"]), report.ratio(ours, v["seconds"])]
                    for k, v in r.items()]))
