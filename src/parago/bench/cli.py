"""The bench command: run the standard suite and print side-by-side tables.

Every section is planned first (so the progress bar knows how many kernels
there are), then run kernel by kernel, its table printed as soon as it is
done. Exit status: 0; 1 when a kernel failed (a parago kernel stops the run at
once, a peer's failure is noted and reported at the end); 2 for a usage error
(--plot without matplotlib); 130 on Ctrl-C, after the running kernel and
everything it started are stopped (runner.stop).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time

from . import plot, suite
from .progress import Progress
from .runner import KernelFailed

SECTIONS = {
    "parallelism": lambda a: suite.parallelism(a.quick, a.procs),
    "concurrency": lambda a: suite.concurrency(a.quick),
    "switch": lambda a: suite.context_switch(a.quick),
    "hop": lambda a: suite.xproc_hop(a.quick),
    "memory": lambda a: suite.goroutine_memory(a.quick),
    "throughput": lambda a: suite.xproc_throughput(a.quick),
    "patterns": lambda a: suite.patterns(a.quick, a.procs),
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
    p.add_argument("--quick", action="store_true", help="small sizes (under ~30 s)")
    p.add_argument("--procs", type=_procs, default=None,
                   help="process counts for the parallelism section: N (1..N) or a list 1,2,4 "
                        "(default: 1..the usable cores)")
    p.add_argument("--only", choices=list(SECTIONS), action="append", metavar="NAME",
                   help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    p.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="also draw speedup vs procs and concurrency time vs M (PNG; matplotlib)")
    return p.parse_args(argv)


def _machine() -> dict:
    peers = {}
    for name in PEERS:
        try:
            peers[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            peers[name] = None
    return {"usable_cores": suite.usable_cores(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform(),
            "parago": importlib.metadata.version("parago"), "peers": peers}


def main(argv: list[str]) -> int:
    args = parse(argv)
    names = list(dict.fromkeys(args.only or SECTIONS))
    if args.plot:
        try:
            plot.check()
        except plot.PlotUnavailable as e:
            print(f"bench: {e}", file=sys.stderr)
            return 2
        if not set(names) & set(plot.PANELS):
            print("bench: --plot draws the parallelism and concurrency sections; "
                  "--only leaves both out", file=sys.stderr)
            return 2
    for path in (args.json, args.plot):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            print(f"bench: cannot write {path}: no such directory", file=sys.stderr)
            return 2
    machine = _machine()
    mode = "tiny" if suite.tiny() else "quick" if args.quick else "full"
    print(f"parago {machine['parago']} bench ({mode} sizes) on {machine['usable_cores']} usable "
          f"cores, {machine['implementation']} {machine['python']}, {machine['platform']}\n",
          flush=True)
    sections = {n: SECTIONS[n](args) for n in names}          # planned; nothing measured yet
    progress = Progress(sum(len(s.kernels) for s in sections.values()))
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": "python -m parago bench " + " ".join(argv), "mode": mode,
                       "machine": machine, "seconds": time.perf_counter() - t0,
                       "sections": {n: s.to_json() for n, s in sections.items()}},
                      f, indent=2, allow_nan=False)
    if args.plot:
        plot.write(args.plot, sections)
    failures = [f for s in sections.values() for f in s.failures]
    if failures:
        print(f"bench failed: {len(failures)} peer kernel(s) failed:\n\n" + "\n\n".join(failures),
              file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
