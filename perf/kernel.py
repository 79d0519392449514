"""The kernel's targets, each row beside its peer in the same run: before
(an older tree, optional), after (this tree, compiled kernel), after with
PARAGO_PURE_PYTHON=1, and the peer; quiet, and with one busy-loop process
per core beside.

    python perf/kernel.py [--before SRC] [--load quiet|loaded|both] [--runs N] [--quick]
                          [--no-save]

--before SRC is the src/ directory of the code to compare with (its _native
built); without it there is no before column. Every side runs in an
interpreter of its own that stays up for the row (runner.Server; PYTHONPATH
picks the tree), a fresh one for every run of the memory row; the sides take
turns run by run, the order rotating each round. A figure is
median (min-max) over the runs; "after vs peer" is the median of the run by
run ratios (run i of both sides ran back to back), as the target states it:
a time ratio (after / peer, lower is better) or a speed ratio (peer's time /
after's, higher is better). The 1-minute load average is taken before each
row. The output is also saved to perf/results/kernel-<date>[-quiet|-loaded].txt.

The kernels are the bench's (parago.bench.switch, xproc, speedup, memory)
of the tree being measured, plus three here: go() of a module function,
gevent.spawn of it, and a 4 MiB memcpy.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

# ---- kernels not in the bench (imported by the servers: stdlib only up here) ----------

_ran = 0                  # goroutines of go_cost that have run (procs=1: one process)


def _bump() -> None:
    global _ran
    _ran += 1


def parago_go(n: int = 50_000) -> dict[str, float]:
    """Seconds per pg.go(module function) on procs=1, its run included."""
    import parago as pg

    def wait_for(k: int) -> None:
        while _ran < k:
            pg.gosched()

    def main() -> float:
        global _ran
        _ran = 0
        pg.go(_bump)                   # warm-up: first goroutine, code paths
        wait_for(1)
        _ran = 0
        t0 = time.perf_counter()
        for _ in range(n):
            pg.go(_bump)
        wait_for(n)
        return (time.perf_counter() - t0) / n
    return {"per_op": pg.run(main, procs=1), "n": n}


def gevent_go(n: int = 50_000) -> dict[str, float]:
    """Seconds per gevent.spawn(module function), its run included."""
    import gevent
    global _ran
    gevent.spawn(_bump).join()
    _ran = 0
    t0 = time.perf_counter()
    for _ in range(n):
        gevent.spawn(_bump)
    while _ran < n:
        gevent.sleep(0)
    return {"per_op": (time.perf_counter() - t0) / n, "n": n}


def memcpy(n: int = 100, size: int = 4 << 20) -> dict[str, float]:
    """Seconds per copy of ``size`` bytes into a bytearray of that size."""
    src, dst = b"\x5a" * size, bytearray(size)
    dst[:] = src                       # its pages are faulted in before timing
    t0 = time.perf_counter()
    for _ in range(n):
        dst[:] = src
    return {"per_op": (time.perf_counter() - t0) / n, "n": n, "bytes": size}


def whoami() -> dict[str, Any]:
    """Which parago a server imports, and how many kernel modules are compiled."""
    import parago
    try:
        from parago import _accel
        compiled = len(_accel.compiled)
    except ImportError:                # a tree from before the compiled kernel
        compiled = 0
    return {"file": parago.__file__, "compiled": compiled}


# ---- the driver ------------------------------------------------------------------------

def main(argv: list[str]) -> None:
    import argparse
    import datetime
    import statistics
    import subprocess
    import tempfile
    from dataclasses import dataclass
    from pathlib import Path

    from parago.bench import report, runner

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", help="src/ directory of the code to compare with")
    p.add_argument("--load", choices=("quiet", "loaded", "both"), default="both")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--rows", help="only these rows, by number: 1,6,7 (not saved)")
    args = p.parse_args(argv)

    perf = Path(__file__).resolve().parent
    after_src = perf.parent / "src"
    runner_py = runner.__file__         # run by path: a tree's own runner may have no --serve

    class TreeServer(runner.Server):
        """A kernel server importing parago from ``src`` (and this file's kernels)."""

        def __init__(self, src: Path, **env: str) -> None:
            super().__init__()
            inherited = {k: v for k, v in os.environ.items() if k != "PARAGO_PURE_PYTHON"}
            self.env = inherited | {"PYTHONPATH": f"{src}{os.pathsep}{perf}", **env}

        def _start(self) -> subprocess.Popen[str]:
            self.errors = tempfile.TemporaryFile(mode="w+")
            return subprocess.Popen([sys.executable, "-P", runner_py, "--serve"], env=self.env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=self.errors, text=True, process_group=0)

    ours = {"after": TreeServer(after_src), "pure": TreeServer(after_src, PARAGO_PURE_PYTHON="1")}
    if args.before:
        ours = {"before": TreeServer(Path(args.before).resolve()), **ours}
    sides = list(ours)

    def size(full: int, quick: int) -> int:
        return quick if args.quick else full

    # ---- the rows ----------------------------------------------------------------------

    B = "parago.bench."

    @dataclass
    class Row:
        short: str                             # its name in the table
        name: str                              # what it measures (the legend)
        ours: tuple[str, dict[str, Any]]       # kernel target and arguments, every tree
        peer_name: str
        peer: tuple[str, dict[str, Any]]
        value: Any                             # result -> the figure (a time, bytes, ...)
        fmt: Any                               # figure -> text
        speed: bool                            # ratio = peer / ours (else ours / peer)
        target: dict[str, float]               # load -> the ratio's bound
        absolute: dict[str, float] | None = None   # load -> a bound on after's figure itself
        peer_value: Any = None                 # result -> the peer's figure, if not value
        fresh: bool = False                    # a fresh interpreter every run

    def per_op(r: dict[str, Any]) -> float:
        return float(r["per_op"])

    def per_byte(r: dict[str, Any]) -> float:      # bandwidth's inverse
        return float(r["per_op"]) / r["bytes"]

    def rss_per(r: dict[str, Any]) -> float:
        return float(r["rss"]) / r["m"]

    def items(v: float) -> str:
        return report.fmt_rate(1 / v, "/s")

    def bandwidth(v: float) -> str:
        return report.fmt_bandwidth(1 / v)

    n_switch, n_hop, n_int = size(20_000, 5_000), size(2_000, 500), size(20_000, 5_000)
    n_64k, n_4m, n_go, m = size(500, 100), size(30, 8), size(20_000, 5_000), 10_000
    sleep_s = 0.01
    both = {"quiet": 1.0, "loaded": 1.0}
    rows = [
        Row("1 handoff", "goroutine to goroutine through an unbuffered channel, one process",
            (B + "switch:parago_handoff", {"n": n_switch}),
            "greenlet.switch round trip (two switches)",
            (B + "switch:greenlet_switch", {"n": 5 * n_switch}), per_op, report.fmt_time,
            False, {k: 3.0 for k in both},
            peer_value=lambda r: 2 * float(r["per_op"])),   # it returns time per switch
        Row("2 hop", "P0 <-> P1 ping-pong over two unbuffered channels, procs=2, per hop",
            (B + "xproc:parago_hop", {"n": n_hop}), "multiprocessing.Pipe",
            (B + "xproc:pipe_hop", {"n": n_hop}), per_op, report.fmt_time, True,
            {"quiet": 8.0, "loaded": 1.0}),
        Row("3 ints", "ints streamed P1 -> P0 through chan(1024), procs=2",
            (B + "xproc:parago_stream", {"kind": "int", "n": n_int, "cap": 1024}),
            "multiprocessing.Pipe", (B + "xproc:pipe_stream", {"kind": "int", "n": n_int}),
            per_op, items, True, {"quiet": 5.0, "loaded": 1.0}, absolute={"quiet": 1e-6}),
        Row("4 64 KiB", "64 KiB bytes values streamed P1 -> P0 through chan(256), procs=2",
            (B + "xproc:parago_stream", {"kind": "64KiB", "n": n_64k, "cap": 256}),
            "multiprocessing.Pipe", (B + "xproc:pipe_stream", {"kind": "64KiB", "n": n_64k}),
            per_byte, bandwidth, True, {k: 2.0 for k in both}),
        Row("5 4 MiB", "4 MiB bytes values streamed P1 -> P0 through chan(4), procs=2",
            (B + "xproc:parago_stream", {"kind": "4MiB", "n": n_4m, "cap": 4}),
            "memcpy of 4 MiB (bytearray slice assignment)", ("kernel:memcpy", {"n": n_4m}),
            per_byte, bandwidth, True, {k: 0.6 for k in both}),
        Row("6 sleepers", f"{m:,} goroutines each pg.sleep({sleep_s}) once, all started then "
            "joined, procs=1", (B + "speedup:parago_sleepers", {"m": m, "s": sleep_s}),
            f"{m:,} asyncio tasks of asyncio.sleep({sleep_s}), gathered",
            (B + "speedup:asyncio_sleepers", {"m": m, "s": sleep_s}),
            lambda r: float(r["seconds"]), report.fmt_time, False, {k: 1.2 for k in both}),
        Row("7 go()", "pg.go of a module function on procs=1, per goroutine, its run included",
            ("kernel:parago_go", {"n": n_go}), "gevent.spawn of it (orientation, no target)",
            ("kernel:gevent_go", {"n": n_go}), per_op, report.fmt_time, False, {},
            absolute={k: 5e-6 for k in both}),
        Row("8 memory", f"RSS growth / N for N={m:,} goroutines parked on a channel, procs=1, "
            "a fresh interpreter every run", (B + "memory:parago_memory", {"m": m}),
            "gevent greenlets blocked on an Event, same N",
            (B + "memory:gevent_memory", {"m": m}), rss_per, report.fmt_kb, False, both,
            fresh=True),
    ]

    if args.rows:
        wanted = set(args.rows.split(","))
        rows = [r for r in rows if r.short.split()[0] in wanted]
        args.no_save = True           # a part of the table is not the record of a run

    # ---- measuring ----------------------------------------------------------------------

    def load1() -> float:
        return os.getloadavg()[0]

    def call(srv: runner.Server, kernel: tuple[str, dict[str, Any]], fresh: bool) -> Any:
        try:
            return srv.call(kernel[0], timeout=300, **kernel[1])
        except runner.KernelFailed as e:
            print(f"  {kernel[0]} failed: {str(e).splitlines()[0]}", file=sys.stderr)
            return None
        finally:
            if fresh:
                srv.close()

    def measure_row(row: Row) -> dict[str, Any]:
        """side -> [figure or None per round], and the load before the row."""
        peer_srv = TreeServer(after_src)
        servers = {**ours, "peer": peer_srv}
        kernels = {s: row.ours for s in sides} | {"peer": row.peer}
        pick = {s: row.value for s in sides} | {"peer": row.peer_value or row.value}
        figures: dict[str, list[float | None]] = {s: [] for s in servers}
        load = load1()
        order = list(servers)
        try:
            for r in range(args.runs):
                for s in order[r % len(order):] + order[:r % len(order)]:
                    res = call(servers[s], kernels[s], row.fresh)
                    figures[s].append(None if res is None else pick[s](res))
        finally:
            peer_srv.close()
            for srv in ours.values():
                srv.close()             # the next row starts fresh interpreters
        return {"figures": figures, "load": load}

    # ---- the table ----------------------------------------------------------------------

    def span(lo: str, hi: str) -> str:
        """'2.412 µs', '2.735 µs' -> '2.41-2.74 µs': 3 digits, the unit once if shared."""
        (a, _, unit), (b, _, unit_b) = lo.rpartition(" "), hi.rpartition(" ")
        try:
            a, b = (f"{float(x.replace(',', '')):.3g}" for x in (a, b))
        except ValueError:
            return f"{lo}-{hi}"
        return f"{a}-{b} {unit}" if unit == unit_b else f"{a} {unit}-{b} {unit_b}"

    def spread(vals: list[float | None], fmt: Any) -> str:
        v = [x for x in vals if x is not None]
        if not v:
            return "-"
        lo, hi = (max(v), min(v)) if fmt in (items, bandwidth) else (min(v), max(v))  # rates
        return f"{fmt(statistics.median(v))}\n{span(fmt(lo), fmt(hi))}"

    def ratios(row: Row, mine: list[float | None], peer: list[float | None]) -> list[float]:
        return [(p / o if row.speed else o / p) for o, p in zip(mine, peer, strict=True)
                if o and p]

    def verdict(row: Row, load: str, after: list[float | None], rs: list[float]) -> str:
        checks = []
        if load in row.target and rs:
            r, bound = statistics.median(rs), row.target[load]
            checks.append(r >= bound if row.speed else r <= bound)
        v = [x for x in after if x is not None]
        if row.absolute and load in row.absolute and v:
            checks.append(statistics.median(v) <= row.absolute[load])
        return "-" if not checks else "yes" if all(checks) else "NO"

    def target_text(row: Row, load: str) -> str:
        parts = []
        if load in row.target:
            parts.append(f"{'>=' if row.speed else '<='} {row.target[load]:g}x")
        if row.absolute and load in row.absolute:
            parts.append(f"{'>=' if row.speed else '<='} {row.fmt(row.absolute[load])}")
        return "\n".join(parts)

    def table(load: str, measured: list[dict[str, Any]]) -> str:
        header = ["row\nload 1m", *sides, "peer", "after\nvs peer", "target", "met?"]
        lines = []
        for row, m in zip(rows, measured, strict=True):
            f = m["figures"]
            rs = ratios(row, f["after"], f["peer"])
            vs = (f"{statistics.median(rs):.2f}x\n{min(rs):.2f}-{max(rs):.2f}x" if rs else "-")
            lines.append([f"{row.short}\n{m['load']:.2f}",
                          *(spread(f[s], row.fmt) for s in sides), spread(f["peer"], row.fmt),
                          vs, target_text(row, load), verdict(row, load, f["after"], rs)])
        title = ("QUIET" if load == "quiet" else
                 f"LOADED: {os.cpu_count()} busy-loop processes (one per core) beside")
        return report.table(f"{title}. Each cell: median, then min-max, of {args.runs} runs; "
                            "the 1-minute load average before each row under its name", header,
                            lines)

    def legend() -> str:
        text = []
        for row in rows:
            how = (f"{row.peer_name}'s time per item / after's (higher is better)" if row.speed
                   else f"after / {row.peer_name} (lower is better)")
            text.append(f"{row.short}: {row.name}. vs peer: {how}.")
        return "".join(report.note(t) for t in text)

    def busy_loops(k: int) -> list[subprocess.Popen[bytes]]:
        return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(k)]

    def git_head(src: Path) -> str:
        out = subprocess.run(["git", "-C", str(src), "log", "-1", "--format=%h %s"],
                             capture_output=True, text=True)
        return out.stdout.strip()[:90] or "?"

    out: list[str] = []

    def emit(text: str) -> None:
        print(text, flush=True)
        out.append(text)

    started = datetime.datetime.now()
    emit(f"perf/kernel.py {' '.join(argv)}   {started:%Y-%m-%d %H:%M}   "
         f"{os.cpu_count()} cores   Python {sys.version.split()[0]}")
    for s, srv in ours.items():
        w = srv.call("kernel:whoami")
        src = Path(w["file"]).parent.parent
        emit(f"  {s:7} {w['file']}  compiled kernel modules: {w['compiled']}  "
             f"[{git_head(src)}]")
        srv.close()
    emit(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if load1() > 1.5:
        emit("  the machine is busy (1-minute load > 1.5): 'quiet' figures are not quiet")
    emit("")

    loads = ["quiet", "loaded"] if args.load == "both" else [args.load]
    for load in loads:
        loops = busy_loops(os.cpu_count() or 1) if load == "loaded" else []
        try:
            if loops:
                time.sleep(1)           # the loops are running before the first row
            measured = [measure_row(r) for r in rows]
        finally:
            for lp in loops:
                lp.kill()
                lp.wait()
        emit(table(load, measured))
        emit(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")

    emit(legend())
    if not args.no_save:
        results = perf / "results"
        results.mkdir(exist_ok=True)
        suffix = "" if args.load == "both" else f"-{args.load}"
        path = results / f"kernel-{started:%Y-%m-%d}{suffix}.txt"
        path.write_text("\n".join(out) + "\n")
        print(f"saved to {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
