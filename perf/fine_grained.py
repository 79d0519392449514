"""Fine-grained programs at the default procs, this tree beside another
(an older checkout's src/), runs interleaved, min / median / max:

    python perf/fine_grained.py --before /path/to/old/src [--runs 5] [--n 20000]

- switch: the seeds' context-switch program, two goroutines handing a token
  back and forth through unbuffered channels (time per handoff);
- genchain: pipeline.generator -> pipeline.take -> a consumer in main (time
  per value).

Placement for life (docs/design.md, "Placement") may put the two ends of
such a program on different processes, where each handoff is a cross-process
hop; this measures what that costs beside the code before it. Each run is a
fresh interpreter with PYTHONPATH set to the tree measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "src"

PROGRAMS = {
    "switch": """
        import time, parago as pg
        def player(inbox, outbox, n):
            for _ in range(n):
                outbox.send(inbox.recv() + 1)
        def main(n):
            a, b = pg.chan(), pg.chan()
            pg.go(player, a, b, n)
            t = time.perf_counter()
            a.send(0)
            for _ in range(n - 1):
                a.send(b.recv() + 1)
            b.recv()
            return (time.perf_counter() - t) / (2 * n)
        print(pg.run(main, N))
    """,
    "genchain": """
        import time, parago as pg
        P = pg.pipeline
        def main(n):
            done = pg.chan()
            t = time.perf_counter()
            total = sum(P.take(done, P.generator(done, *range(n)), n))
            dt = time.perf_counter() - t
            done.close()
            assert total == n * (n - 1) // 2
            return dt / n
        print(pg.run(main, N))
    """,
}


def run_once(program: str, tree: str, n: int) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    code = textwrap.dedent(PROGRAMS[program]).replace("N))", f"{n}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=600, check=True)
    return float(out.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="the other tree's src/ directory")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    trees = {"before": args.before, "after": str(HERE)}
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} cpus, default procs, n={args.n}, {args.runs} interleaved runs")
    print(f"{'program':10} {'before µs':>22} {'after µs':>22} {'after/before':>14}")
    for program in PROGRAMS:
        t: dict[str, list[float]] = {k: [] for k in trees}
        for _ in range(args.runs):
            for side, tree in trees.items():
                t[side].append(run_once(program, tree, args.n) * 1e6)
        cells = [f"{min(v):.1f}/{statistics.median(v):.1f}/{max(v):.1f}" for v in t.values()]
        ratio = statistics.median(a / b for a, b in zip(t["after"], t["before"], strict=True))
        print(f"{program:10} {cells[0]:>22} {cells[1]:>22} {ratio:>13.2f}x")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
