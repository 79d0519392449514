"""Go's canonical patterns, CPU-bound, on procs = 1..N beside the same CPU
work on ProcessPoolExecutor (multiprocessing queues for the pipeline):
speedup over procs=1, efficiency, and min/median/max over the runs, the
runs of every side interleaved (docs/design.md, "Placement").

    python perf/patterns.py [--runs 5] [--procs 1,2] [--quick] [--only workers,fanout]

Speedup of run r = time on procs=1 in round r / time on procs=N in round r;
the efficiency of a median speedup is speedup / N; "vs reference" is
parago's median efficiency over the reference's.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from parago.bench import report
from parago.bench.runner import measure

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def variants(quick: bool):
    n = 120 if quick else 400
    for w in (2, 4, 16):
        for feeder in ("main", "go"):
            for cap in (0, 64):
                yield (f"a. workers W={w} fed by {feeder}, cap {cap}", "workers",
                       {"w": w, "feeder": feeder, "cap": cap, "n": n})
    yield "b. jobs first (README)", "jobs", {"n": n}
    yield "c. fan-out / fan-in", "fanout", {"n": n}
    yield "d. pipeline, 3 stages x N goroutines", "pipeline", {"n": n * 3 // 8}
    yield "d. pipeline, 3 stages x 1 goroutine", "pipeline", {"n": n * 3 // 8, "per_stage": 1}
    yield "e. fork-join tree, depth 7", "forkjoin", {"depth": 5 if quick else 7}


def spread(xs):
    return f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}"


def run_example(args: list[str], procs: int) -> float:
    env = dict(os.environ, PARAGO_MAXPROCS=str(procs))
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   cwd=EXAMPLES)
    return time.perf_counter() - t


# An empty program: what starting the interpreter, importing parago and
# starting (and ending) a runtime of `procs` Ps costs, whatever the example.
START_UP = ["-c", "import parago as pg; pg.run(lambda: None)"]


def examples(procs: list[int], runs: int, quick: bool):
    """Each example with CPU work enough that its procs=1 run takes several
    seconds (the documented arguments take under a second of CPU, which the
    start-up would swamp). Yields the whole program's times and the
    start-up's, measured in the same interleaved rounds."""
    progs = [("f. cpu_pipeline.py", ["cpu_pipeline.py", "24", "15000" if quick else "40000"]),
             ("f. fork_join.py (CPU-bound part)", ["fork_join.py", "160" if quick else "640", "6"]),
             ("f. worker_pools.py (CPU-bound)",
              ["worker_pools.py", "160" if quick else "320", "4", "0",
               "30000" if quick else "100000"])]
    for name, args in progs:
        times = {p: [] for p in procs}
        start = {p: [] for p in procs}
        for r in range(runs):
            order = procs[r % len(procs):] + procs[:r % len(procs)]
            for p in order:
                start[p].append(run_example(START_UP, p))
                times[p].append(run_example(args, p))
        yield name, times, start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--procs", default=f"1,{len(os.sched_getaffinity(0))}")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    procs = sorted({int(p) for p in a.procs.split(",")} | {1})
    only = set(filter(None, a.only.split(",")))
    rows = []
    load0 = os.getloadavg()[0]
    for name, pattern, params in variants(a.quick):
        if only and pattern not in only:
            continue
        r = measure("parago.bench.patterns:interleaved", timeout=3600, pattern=pattern,
                    procs=procs, runs=a.runs, **params)
        base, ref_base = r["parago"]["1"], r["reference"]["1"]
        for p in procs[1:]:
            up = [b / t for b, t in zip(base, r["parago"][str(p)], strict=True)]
            ref_up = [b / t for b, t in zip(ref_base, r["reference"][str(p)], strict=True)]
            eff, ref_eff = statistics.median(up) / p, statistics.median(ref_up) / p
            rows.append([name, p, report.fmt_time(statistics.median(r["parago"][str(p)])),
                         spread(up), f"{eff:.0%}", r["reference_name"], spread(ref_up),
                         f"{eff / ref_eff:.2f}x",
                         f"{statistics.median(r['off_main'][str(p)]):.0%}"])
        print(rows[-1], file=sys.stderr, flush=True)
    notes = []
    if not only or "examples" in only:
        for name, times, start in examples(procs, a.runs, a.quick):
            for p in procs[1:]:
                up = [b / t for b, t in zip(times[1], times[p], strict=True)]
                rows.append([name, p, report.fmt_time(statistics.median(times[p])), spread(up),
                             f"{statistics.median(up) / p:.0%}", "-", "-", "-", "-"])
                # The same rounds less each side's median start-up: the speedup
                # of the program's own work.
                s1, sp = statistics.median(start[1]), statistics.median(start[p])
                up = [(b - s1) / (t - sp) for b, t in zip(times[1], times[p], strict=True)]
                rows.append(["   its work (less start-up)", p,
                             report.fmt_time(statistics.median(times[p]) - sp), spread(up),
                             f"{statistics.median(up) / p:.0%}", "-", "-", "-", "-"])
                notes.append(f"{name}: start-up (an empty pg.run) {report.fmt_time(s1)} at "
                             f"procs=1, {report.fmt_time(sp)} at procs={p} (medians)")
            print(rows[-2:], file=sys.stderr, flush=True)
    print(report.table(
        f"Go patterns, CPU-bound, procs=1 vs N ({a.runs} interleaved runs; load average "
        f"{load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end)",
        ["pattern", "procs", "parago", "speedup min/med/max", "efficiency", "reference",
         "its speedup", "parago vs", "off main"], rows))
    for line in notes:
        print(line)


if __name__ == "__main__":
    main()
