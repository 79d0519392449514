"""The bench command: run the standard suite and print side-by-side tables.

Every section is planned first (so the progress display knows how many runs
there are), then run, its table printed as soon as it is done. The header
line names the machine and its load average; when figures came out noisy
the run ends with a warning saying how many and what the load was.

Exit status: 0; 1 when a kernel failed (a parago kernel stops the run at
once, a peer's failure is noted and reported at the end); 2 for a usage
error (--plot without matplotlib); 130 on Ctrl-C, after the running kernel
and everything it started are stopped (runner.stop).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import sys
import textwrap
import time
from typing import Any

from . import plot, report, suite
from .progress import Progress
from .runner import KernelFailed
from .stats import NOISE_BOUND, load_average

SECTIONS = {
    "parallelism": lambda a: suite.parallelism(a.quick, a.procs),
    "concurrency": lambda a: suite.concurrency(a.quick),
    "switch": lambda a: suite.context_switch(a.quick),
    "hop": lambda a: suite.xproc_hop(a.quick),
    "memory": lambda a: suite.goroutine_memory(a.quick),
    "throughput": lambda a: suite.xproc_throughput(a.quick),
    "patterns": lambda a: suite.patterns(a.quick, a.procs),
    "pool": lambda a: suite.pool(a.quick),
}
PEERS = ("gevent", "faster-fifo", "loky", "greenlet")


def _procs(text: str) -> list[int]:
    try:
        out = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("--procs takes numbers like 4 or 1,2,4") from None
    if not out or out[0] < 1:
        raise argparse.ArgumentTypeError("--procs values must be >= 1")
    return out if len(out) > 1 else list(range(1, out[0] + 1))


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m parago bench",
        description="Measure parallelism versus concurrency on this machine, "
                    "beside the peers installed here (docs/bench.md).")
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes and 3 runs instead of 5 (docs/bench.md gives the times)")
    p.add_argument("--procs", type=_procs, default=None,
                   help="process counts for the parallelism section: N (1..N) or a list 1,2,4 "
                        "(default: 1..the usable cores)")
    p.add_argument("--only", choices=list(SECTIONS), action="append", metavar="NAME",
                   help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="measure the pool on this Dask cluster (tcp://host:8786), beside the Dask "
                        "client directly and this machine's WorkerPool (docs/cluster.md); "
                        "other sections only as --only names them")
    p.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="also draw every section's figures beside the peers' (PNG; matplotlib)")
    return p.parse_args(argv)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine() -> dict[str, Any]:
    peers: dict[str, str | None] = {}
    for name in PEERS:
        try:
            peers[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            peers[name] = None
    return {"usable_cores": suite.usable_cores(), "cpu": _cpu_model(),
            "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "parago": importlib.metadata.version("parago"), "peers": peers}


def main(argv: list[str]) -> int:
    args = parse(argv)
    # --cluster alone measures the cluster; with --only, those sections too.
    names = list(dict.fromkeys(args.only or ([] if args.cluster else SECTIONS)))
    if args.plot:
        try:
            plot.check()
        except plot.PlotUnavailable as e:
            print(f"bench: {e}", file=sys.stderr)
            return 2
        if not set(names) & set(plot.PANELS):
            print(f"bench: --plot draws the sections {', '.join(plot.PANELS)}; "
                  "--only leaves them all out", file=sys.stderr)
            return 2
    for path in (args.json, args.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            print(f"bench: cannot write {path}: no such directory", file=sys.stderr)
            return 2
    machine = _machine()
    mode = "tiny" if suite.tiny() else "quick" if args.quick else "full"
    started = datetime.datetime.now().astimezone()
    load_start = load_average()
    head = (f"parago {machine['parago']} bench ({mode} sizes, {suite.rounds(args.quick)} "
            f"interleaved runs) on {machine['usable_cores']} usable cores ({machine['cpu']}), "
            f"{machine['implementation']} {machine['python']}, {machine['platform']}, "
            f"{started:%Y-%m-%d %H:%M}, load average {load_start[0]:.2f}. Figures: the "
            "median of the runs, ±the farthest run from it, * when noisy.")
    print("\n".join(textwrap.wrap(head, report.WIDTH)) + "\n", flush=True)
    sections = {n: SECTIONS[n](args) for n in names}          # planned; nothing measured yet
    if args.cluster:
        from . import clusterbench
        sections["cluster"] = clusterbench.section(args.quick, args.cluster)
    progress = Progress(sum(s.runs for s in sections.values()))
    t0 = time.perf_counter()
    try:
        for s in sections.values():
            s.run(progress)
            progress.write(s.render())
    except KernelFailed as e:
        progress.close()
        print(f"bench failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.close()
        print("bench interrupted: the running kernel and its processes were stopped",
              file=sys.stderr)
        return 130
    progress.close()
    seconds = time.perf_counter() - t0
    load_end = load_average()
    run = {"command": "python -m parago bench " + " ".join(argv), "mode": mode,
           "rounds": suite.rounds(args.quick), "date": started.isoformat(timespec="seconds"),
           "machine": machine, "load_average": {"start": load_start, "end": load_end},
           "seconds": seconds}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**run, "sections": {n: s.to_json() for n, s in sections.items()}},
                      f, indent=2, allow_nan=False)
    if args.plot:
        plot.write(args.plot, sections, run)
    noisy = sum(s.noisy for s in sections.values())
    if noisy:
        shown = sum(s.samples for s in sections.values())
        warning = (f"warning: the machine was noisy: {noisy} of {shown} figures varied between "
                   f"runs by more than {NOISE_BOUND:.0%} (stdev/mean; marked *); load average "
                   f"{load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end, on "
                   f"{machine['usable_cores']} usable cores. Compare ratios of one run, or "
                   "rerun on a quiet machine.")
        print("\n".join(textwrap.wrap(warning, report.WIDTH)), file=sys.stderr)
    failures = [f for s in sections.values() for f in s.failures]
    if failures:
        print(f"bench failed: {len(failures)} peer kernel(s) failed:\n\n" + "\n\n".join(failures),
              file=sys.stderr)
        return 1
    print(f"done in {seconds:.1f} s", file=sys.stderr)
    return 0
