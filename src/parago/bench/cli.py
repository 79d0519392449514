"""The bench command: run the standard suite and print side-by-side tables."""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import suite
from .runner import KernelFailed

SECTIONS = {
    "parallelism": lambda a: suite.parallelism(a.quick, a.procs),
    "concurrency": lambda a: suite.concurrency(a.quick),
    "switch": lambda a: suite.context_switch(a.quick),
    "hop": lambda a: suite.xproc_hop(a.quick),
    "throughput": lambda a: suite.xproc_throughput(a.quick),
}


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
                    "beside the peers installed here.")
    p.add_argument("--quick", action="store_true", help="small sizes (under ~30 s)")
    p.add_argument("--procs", type=_procs, default=None,
                   help="process counts for the parallelism section: N (1..N) or a list 1,2,4")
    p.add_argument("--only", choices=sorted(SECTIONS), action="append",
                   help="run only this section (repeatable)")
    p.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    names = args.only or list(SECTIONS)
    results = {}
    t0 = time.perf_counter()
    try:
        for i, name in enumerate(names, 1):
            print(f"[{i}/{len(names)}] {name} ...", file=sys.stderr, flush=True)
            sec = SECTIONS[name](args)
            results[name] = sec
            print(sec.render(), flush=True)
    except KernelFailed as e:
        print(f"bench failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted", file=sys.stderr)
        return 130
    if args.json:
        with open(args.json, "w") as f:
            json.dump({n: {"title": s.title, "figures": s.figures, "notes": s.notes}
                       for n, s in results.items()}, f, indent=2)
    print(f"done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
