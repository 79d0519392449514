"""WorkerPool(cluster=...) beside the same work through the Dask client
directly, on one Dask cluster, measured in one run: every kernel in a fresh
interpreter, the two sides interleaved run by run, min / median / max over
the runs (and this machine's WorkerPool for scale).

    python perf/cluster.py [--quick] [--runs N] [--cluster tcp://host:8786]

Without --cluster it starts a LocalCluster of 2 single-threaded worker
processes here (and closes it at the end). Tiny tasks: x + 1 over n items,
each side's map as it comes (the pool batches items into Dask tasks by
itself; Dask makes one task per item). CPU-bound: 16 tasks of about 0.2 s,
one Dask task each on both sides. "overhead" is parago's time over Dask's
(median of the run-by-run ratios; <= 1.1x is the goal).
"""

import os
import statistics
import sys

from parago.bench.runner import KernelFailed, measure

quick = "--quick" in sys.argv
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else (3 if quick else 5)
ADDRESS = sys.argv[sys.argv.index("--cluster") + 1] if "--cluster" in sys.argv else None
K = "parago.bench.clusterbench:"
SIDES = [("WorkerPool(cluster=)", "cluster"), ("Dask client directly", "dask"),
         ("WorkerPool (this machine)", "local")]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def interleaved(kernel: str, address: str, **kw) -> dict:
    """side -> seconds of RUNS runs, the sides taking turns run by run."""
    out: dict = {name: [] for name, _ in SIDES}
    for _ in range(RUNS):
        for name, impl in SIDES:
            try:
                out[name].append(measure(K + kernel, impl=impl, address=address,
                                         **kw)["seconds"])
            except KernelFailed as e:
                print(f"  {name} {kernel} failed: {str(e).splitlines()[0]}", file=sys.stderr)
    return out


def spread(v: list, fmt) -> str:
    return f"{fmt(min(v))} / {fmt(statistics.median(v))} / {fmt(max(v))}" if v else "-"


def report(title: str, r: dict, per_s: int | None = None) -> None:
    print(f"\n{title}")
    ours, dask = r["WorkerPool(cluster=)"], r["Dask client directly"]
    for name, v in r.items():
        fig = spread([per_s / t for t in v], lambda x: f"{x:,.0f}/s") if per_s else \
            spread(v, lambda x: f"{x:.3f} s")
        print(f"  {name:28s} {fig}")
    if ours and len(ours) == len(dask):
        ratios = [o / d for o, d in zip(ours, dask, strict=True)]
        print(f"  parago overhead (its time / Dask's), min / median / max: "
              f"{spread(ratios, lambda x: f'{x:.2f}x')}")


def main(address: str) -> None:
    n = 2000 if quick else 5000
    k = 1_000_000 if quick else 2_000_000
    print(f"cluster {address}, {RUNS} interleaved runs; {load()}")
    report(f"tiny tasks: x + 1 over {n:,} items (tasks/s)",
           interleaved("tiny", address, n=n), per_s=n)
    report(f"CPU-bound: 16 tasks of cpu({k:,}) (seconds)",
           interleaved("cpu_bound", address, k=k))
    print(f"\n{load()}")


if __name__ == "__main__":
    if ADDRESS is not None:
        main(ADDRESS)
    else:
        from distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster:
            main(cluster.scheduler_address)
