"""WorkerPool beside multiprocessing.Pool, ProcessPoolExecutor, loky and
mpire, measured in one run: every kernel in a fresh interpreter, the pools
interleaved run by run, min / median / max over the runs.

    python perf/pool.py [--quick] [--runs N]

Ratios compare medians (>1: parago better). The load average is printed at
the start and the end: the figures mean little on a busy machine without it.
"""

import os
import statistics
import sys

from parago.bench import report
from parago.bench.runner import KernelFailed, available, measure

quick = "--quick" in sys.argv
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else (3 if quick else 5)
K = "parago.bench.poolbench:"
IMPLS = [("parago.WorkerPool", "parago"), ("multiprocessing.Pool", "multiprocessing"),
         ("ProcessPoolExecutor", "ProcessPoolExecutor"), ("loky", "loky"), ("mpire", "mpire")]
IMPLS = [(name, key) for name, key in IMPLS if key in ("parago", "multiprocessing",
                                                          "ProcessPoolExecutor") or available(key)]
OURS = "parago.WorkerPool"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def interleaved(kernel, pick, impls=IMPLS, **kw) -> dict:
    """name -> the figures ``pick(result)`` of RUNS runs, the pools taking
    turns run by run."""
    out: dict = {name: [] for name, _ in impls}
    for _ in range(RUNS):
        for name, key in impls:
            try:
                out[name] += pick(measure(K + kernel, impl=key, **kw))
            except KernelFailed as e:
                print(f"  {name} {kernel} failed: {str(e).splitlines()[0]}", file=sys.stderr)
    return {k: v for k, v in out.items() if v}


def spread(v: list, fmt) -> str:
    return f"{fmt(min(v))} / {fmt(statistics.median(v))} / {fmt(max(v))}"


def rate_table(title: str, r: dict) -> str:
    ours = statistics.median(r[OURS])
    rows = [[k, spread(v, lambda x: report.fmt_rate(x, "/s")),
             report.ratio(ours, statistics.median(v), lower_is_better=False)]
            for k, v in r.items()]
    return report.table(title, ["pool", "tasks/s min / median / max", "parago vs"], rows)


print(load())
n = 5000 if quick else 20000
reps = 1 if quick else 3

r = interleaved("map_rate", lambda d: d["rates"], n=n, reps=reps)
print(rate_table(f"map(x + 1) over {n} items, each pool's default arguments (multiprocessing."
                 f"Pool and mpire chunk the input; the executors send one item per call), "
                 f"2 workers, {RUNS} runs x {reps}", r))

r = interleaved("map_rate", lambda d: d["rates"], n=n, reps=reps, chunksize=1)
print(rate_table(f"map(x + 1) over {n} items, chunksize 1 for every pool, 2 workers", r))

for busy, what in ((0, "quiet"), (os.cpu_count() or 1, "one busy-loop process per core beside")):
    r = interleaved("roundtrip", lambda d: [d["p50"]], n=300 if quick else 1000, busy=busy)
    ours = statistics.median(r[OURS])
    print(report.table(f"One submit().result() at a time, p50, {what} (ratio >1: parago faster)",
                       ["pool", "p50 min / median / max", "parago vs"],
                       [[k, spread(v, report.fmt_time), report.ratio(ours, statistics.median(v))]
                        for k, v in r.items()]))

r = interleaved("cpu_speedup", lambda d: [d["speedup"]], k=300_000 if quick else 2_000_000)
ours = statistics.median(r[OURS])
print(report.table("16 CPU-bound tasks: speedup of 2 workers over 1",
                   ["pool", "speedup min / median / max", "parago's median vs"],
                   [[k, spread(v, lambda x: f"{x:.2f}x"),
                     f"{ours / statistics.median(v):.2f}"] for k, v in r.items()]))

r = interleaved("start", lambda d: [d["seconds"]])
ours = statistics.median(r[OURS])
print(report.table("Cold start: pool creation to first result, fresh interpreter "
                   "(ratio >1: parago faster)", ["pool", "start min / median / max", "parago vs"],
                   [[k, spread(v, report.fmt_time), report.ratio(ours, statistics.median(v))]
                    for k, v in r.items()]))
print(load())
