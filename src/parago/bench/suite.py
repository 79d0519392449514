"""The benchmark sections, each parago beside the peers installed here.

A section function (parallelism, concurrency, context_switch, xproc_hop,
goroutine_memory, xproc_throughput, patterns, pool) only plans: it returns a
Section that lists its kernels and knows how to turn their results into a
table. Section.run measures: ``rounds`` times over, every kernel once per
round, in an order that rotates, so the runs of the sides of a comparison
are interleaved and the machine's ups and downs hit them alike. Each
implementation (parago, asyncio, gevent, ...) runs in an interpreter of its
own (runner.Server) that stays up for the section; the memory kernels get a
fresh interpreter for every run (they measure the process's growth).

A figure is the median of its runs (stats.Sample, pyperf's statistics),
shown with its spread (the farthest run from the median, ``±4%``); a figure
whose runs vary more than pyperf's bound for an unstable benchmark is marked
``*`` and counted in the section's noise note. A ratio is the median of the
run-by-run ratios (run i of both sides ran back to back).

render() runs the section first if nobody has, so

    print(suite.context_switch(quick).render())

measures and prints, while the bench command counts every run up front for
its progress display.

Sizes: full by default, smaller with ``quick``, smallest with the environment
variable PARAGO_BENCH_TINY=1 (for the tests: every path, in seconds; a kernel
then has 60 s instead of 600 before it counts as failed).

A parago kernel that fails raises KernelFailed: its section has no figures
to compare with. A peer's failure becomes a note on the section and an entry
in ``Section.failures``; a peer that is not installed, a note.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from . import report
from .memory import GO_MEMORY_KB
from .runner import KernelFailed, Server, available, measure
from .stats import NOISE_BOUND, Sample, load_average, paired_ratio
from .switch import GO_REFERENCE_NS

if TYPE_CHECKING:
    from typing import TypeAlias

    from .progress import Progress

    Result: TypeAlias = dict[str, Any]                   # what one kernel run returned
    Results: TypeAlias = dict[str, list[Result] | None]  # key -> its runs; None: it failed

_T = TypeVar("_T")


def tiny() -> bool:
    return os.environ.get("PARAGO_BENCH_TINY") == "1"


def _size(quick: bool, full: _T, fast: _T, smallest: _T) -> _T:
    return smallest if tiny() else fast if quick else full


def rounds(quick: bool) -> int:
    """Interleaved runs of every kernel: 5 (full), 3 (quick), 2 (tiny)."""
    return _size(quick, 5, 3, 2)


@dataclass
class Kernel:
    key: str                   # its results' name in the section's results
    target: str                # "module:function", run by a Server (or measure)
    kwargs: dict[str, Any]
    peer: str | None = None    # the module a peer needs; skipped (with a note) if absent
    fresh: bool = False        # a fresh interpreter for every run (runner.measure)

    @property
    def label(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.function} {args}"

    @property
    def function(self) -> str:
        return self.target.split(":")[1]

    @property
    def side(self) -> str:
        """The implementation it measures, which names its server: the
        ``impl`` argument, else the function's first word."""
        return self.kwargs.get("impl") or self.function.split("_")[0]

    @property
    def ours(self) -> bool:
        return self.side == "parago"


@dataclass
class Section:
    name: str
    title: str
    header: list[str]
    build: Callable[[Section, Results], None]  # fills rows and data from {key: [result] | None}
    params: dict[str, Any] = field(default_factory=dict)
    rounds: int = 1
    labels: int = 1                            # leading name columns (left-aligned)
    kernels: list[Kernel] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    samples: int = 0                           # figures shown with a spread
    noisy: int = 0                             # ... of which noisy
    done: bool = False

    def add(self, key: str, target: str, peer: str | None = None, fresh: bool = False,
            **kwargs: Any) -> None:
        self.kernels.append(Kernel(key, f"parago.bench.{target}", kwargs, peer, fresh))

    @property
    def runs(self) -> int:
        """Kernel runs this section makes (for the progress display)."""
        return len(self.kernels) * self.rounds

    def run(self, progress: Progress | None = None) -> Section:
        results: Results = {k.key: [] for k in self.kernels}
        servers: dict[str, Server] = {}
        n = len(self.kernels)
        try:
            for r in range(self.rounds):
                for k in self.kernels[r % n:] + self.kernels[:r % n]:
                    if progress:
                        progress.start(f"{self.name}: {k.label}")
                    runs = results[k.key]
                    if runs is not None:
                        res = self._measure(k, servers)
                        results[k.key] = None if res is None else [*runs, res]
                    if progress:
                        progress.advance()
        finally:
            for srv in servers.values():
                srv.close()
        self.build(self, results)
        self.note_noise()
        self.done = True
        return self

    def note_noise(self) -> None:
        """Say so under the table when figures came out noisy, with the load."""
        if self.noisy:
            la = load_average()
            self.notes.append(
                f"noisy: {self.noisy} of {self.samples} figures (marked *) varied between runs "
                f"by more than pyperf's bound (stdev >= {NOISE_BOUND:.0%} of the mean); load "
                f"average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} on {usable_cores()} usable cores")

    def _measure(self, k: Kernel, servers: dict[str, Server]) -> Result | None:
        if k.peer and not available(k.peer):
            self._note(f"{k.peer} is not installed: its figures are skipped")
            return None
        timeout = 60 if tiny() else 600
        try:
            if k.fresh:
                return measure(k.target, timeout=timeout, **k.kwargs)
            return servers.setdefault(k.side, Server()).call(k.target, timeout, **k.kwargs)
        except KernelFailed as e:
            if k.ours:
                raise
            reason = [ln for ln in str(e).splitlines() if ln.strip()][-1]
            self._note(f"{k.label} failed: {reason}")
            self.failures.append(str(e))
            return None

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def sample(self, results: Results, key: str,
               figure: str | Callable[[Result], float]) -> Sample | None:
        """The Sample of one figure of kernel ``key`` over the runs (None if
        it has no results): ``figure`` names a field of its result, or
        computes the figure from a result."""
        res = results.get(key)
        if not res:
            return None
        get: Callable[[Result], float] = figure if callable(figure) else (lambda r: r[figure])
        return Sample.of(get(r) for r in res)

    def cell(self, sample: Sample | None, fmt: Callable[[float], str]) -> str:
        """A figure as shown: its median, its spread, ``*`` when noisy."""
        if sample is None:
            return "-"
        self.samples += 1
        self.noisy += sample.noisy
        if len(sample.values) < 2:
            return fmt(sample.median)
        return f"{fmt(sample.median)} ±{sample.spread:.0%}{'*' if sample.noisy else ''}"

    def row(self, cells: list[Any], **figures: Any) -> None:
        """One table row and the raw figures behind it (Samples as dicts)."""
        self.rows.append(cells)
        self.data.append({k: v.to_json() if isinstance(v, Sample) else v
                          for k, v in figures.items()})

    def render(self) -> str:
        if not self.done:
            self.run()
        text = report.table(self.title, self.header, self.rows, self.labels)
        return text + "".join(report.note(n) for n in self.notes)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "params": self.params, "rounds": self.rounds,
                "header": self.header, "rows": [[str(c) for c in r] for r in self.rows],
                "data": self.data, "notes": self.notes, "noisy": self.noisy}


def _ratio(s: Sample | None) -> str:
    return "-" if s is None else f"{s.median:.2f}x"


def _median(s: Sample | None) -> float | None:
    return None if s is None else s.median


def _efficiency(e: float | None) -> str:
    """Parallel efficiency; above 100% it can only be noise (a batch that ran
    slow on one process), never a real superlinear speedup."""
    if e is None:
        return "-"
    return f"{e:.0%}" + (" (noise)" if e > 1.0 else "")


# ---- 1. parallelism ------------------------------------------------------------------

def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


PAR_IMPLS = (("parago", "parago_cpu", None), ("ppe", "ppe_cpu", None), ("loky", "loky_cpu", "loky"))


def parallelism(quick: bool, procs: list[int] | None = None) -> Section:
    m = _size(quick, 16, 16, 4)
    k = _size(quick, 600_000, 200_000, 20_000)
    procs = sorted({1, *(procs or range(1, usable_cores() + 1))})   # procs=1 is the baseline
    s = Section("parallelism",
                f"Parallelism: {m} CPU-bound goroutines of {k:,} steps on 1..N processes: "
                "batch time, speedup and efficiency vs procs=1, beside the same calls on "
                "ProcessPoolExecutor and loky (ratio >1: parago faster)",
                ["procs", "parago", "speedup", "efficiency", "ProcessPool\nExecutor",
                 "parago vs", "loky", "parago vs"],
                _parallelism_table, {"m": m, "k": k, "procs": procs,
                                     "usable_cores": usable_cores()}, rounds(quick))
    for p in procs:
        for impl, fn, peer in PAR_IMPLS:
            s.add(f"{impl}_{p}", f"speedup:{fn}", peer=peer, m=m, k=k, procs=p)
    if procs[-1] > usable_cores():
        s.notes.append(f"procs above the {usable_cores()} usable cores share cores")
    return s


def _parallelism_table(s: Section, r: Results) -> None:
    t = {(impl, p): s.sample(r, f"{impl}_{p}", "seconds")
         for impl, _, _ in PAR_IMPLS for p in s.params["procs"]}
    for p in s.params["procs"]:
        up = {impl: paired_ratio(t[impl, p], t[impl, 1]) for impl, _, _ in PAR_IMPLS}
        eff = _median(up["parago"]) / p if up["parago"] else None
        vs = {impl: paired_ratio(t["parago", p], t[impl, p]) for impl in ("ppe", "loky")}
        s.row([p, s.cell(t["parago", p], report.fmt_time), _ratio(up["parago"]),
               _efficiency(eff), s.cell(t["ppe", p], report.fmt_time), _ratio(vs["ppe"]),
               s.cell(t["loky", p], report.fmt_time), _ratio(vs["loky"])],
              procs=p, parago_s=t["parago", p], speedup=up["parago"], efficiency=eff,
              efficiency_is_noise=eff is not None and eff > 1.0,
              ppe_s=t["ppe", p], ppe_speedup=up["ppe"], vs_ppe=vs["ppe"],
              loky_s=t["loky", p], loky_speedup=up["loky"], vs_loky=vs["loky"])


# ---- 2. concurrency ------------------------------------------------------------------

WAITS = (("sleep", "sleepers"), ("chan", "chan_waiters"))
CONC_IMPLS = (("parago", None), ("asyncio", None), ("gevent", "gevent"))


def concurrency(quick: bool, counts: list[int] | None = None) -> Section:
    wait = _size(quick, 0.2, 0.1, 0.02)
    counts = counts or _size(quick, [10, 1000, 10_000], [10, 1000], [10, 100])
    s = Section("concurrency",
                f"Concurrency: M goroutines each blocked {wait} s on ONE process: total time, "
                "and that time over the single wait (1.00x: all M waited at once); "
                "ratio >1: parago faster",
                ["blocked on", "M", "parago", "vs one\nwait", "asyncio", "gevent",
                 "parago vs\nasyncio", "parago vs\ngevent"],
                _concurrency_table, {"wait": wait, "counts": counts}, rounds(quick), labels=1)
    for kind, fn in WAITS:
        for m in counts:
            for impl, peer in CONC_IMPLS:
                s.add(f"{impl}_{kind}_{m}", f"speedup:{impl}_{fn}", peer=peer, m=m, s=wait)
    s.notes.append("sleep: pg.sleep / asyncio.sleep / gevent.sleep; chan: a receive on one "
                   "channel main closes after the wait (asyncio, gevent: an Event main sets)")
    return s


def _concurrency_table(s: Section, r: Results) -> None:
    wait = s.params["wait"]
    for kind, _ in WAITS:
        for m in s.params["counts"]:
            t = {impl: s.sample(r, f"{impl}_{kind}_{m}", "seconds") for impl, _ in CONC_IMPLS}
            over = _median(t["parago"]) / wait if t["parago"] else None
            vs = {impl: paired_ratio(t["parago"], t[impl]) for impl in ("asyncio", "gevent")}
            s.row([kind, m, s.cell(t["parago"], report.fmt_time),
                   "-" if over is None else f"{over:.2f}x",
                   s.cell(t["asyncio"], report.fmt_time), s.cell(t["gevent"], report.fmt_time),
                   _ratio(vs["asyncio"]), _ratio(vs["gevent"])],
                  blocked_on=kind, m=m, parago_s=t["parago"], vs_one_wait=over,
                  asyncio_s=t["asyncio"], gevent_s=t["gevent"], vs_asyncio=vs["asyncio"],
                  vs_gevent=vs["gevent"])


# ---- 3. context switch and the cross-process hop -------------------------------------

SWITCH_PEERS = (("greenlet.switch (raw, no channel)", "greenlet_switch", "greenlet", 5),
                ("gevent.queue.Channel", "gevent_channel", "gevent", 1),
                ("asyncio.Queue(1)", "asyncio_queue", None, 1))


def context_switch(quick: bool) -> Section:
    n = _size(quick, 50_000, 20_000, 1_000)
    s = Section("switch", "Context switch: one handoff over an unbuffered channel, one process "
                "(ratio >1: parago faster)", ["implementation", "per handoff", "parago vs"],
                _switch_table, {"n": n}, rounds(quick))
    s.add("parago", "switch:parago_handoff", n=n)
    for _, fn, mod, times in SWITCH_PEERS:
        s.add(fn, f"switch:{fn}", peer=mod, n=times * n)
    return s


def _switch_table(s: Section, r: Results) -> None:
    ours = s.sample(r, "parago", "per_op")
    s.row(["parago chan (procs=1)", s.cell(ours, report.fmt_time), "1.00x"],
          impl="parago", per_op=ours)
    for name, fn, _, _ in SWITCH_PEERS:
        per = s.sample(r, fn, "per_op")
        if per:
            vs = paired_ratio(ours, per)
            s.row([name, s.cell(per, report.fmt_time), _ratio(vs)], impl=fn, per_op=per, vs=vs)
    s.row(["Go (the seed's figure, another machine)", f"{GO_REFERENCE_NS} ns", "-"],
          impl="go_seed", per_op=GO_REFERENCE_NS * 1e-9, vs=None)


XPROC_IMPLS = (("parago chan", None, "parago"), ("multiprocessing.Pipe", None, "pipe"),
               ("multiprocessing.Queue", None, "mpqueue"), ("faster-fifo", "faster_fifo", "ffifo"))


def xproc_hop(quick: bool) -> Section:
    n = _size(quick, 5_000, 2_000, 200)
    s = Section("hop", "One-way hop latency between two processes "
                "(ping-pong / 2; ratio >1: parago faster)",
                ["implementation", "hop", "parago vs"], _hop_table, {"n": n}, rounds(quick))
    for _, mod, key in XPROC_IMPLS:
        s.add(key, f"xproc:{key}_hop", peer=mod, n=n)
    return s


def _hop_table(s: Section, r: Results) -> None:
    ours = s.sample(r, "parago", "per_op")
    for name, _, key in XPROC_IMPLS:
        per = s.sample(r, key, "per_op")
        if per:
            vs = paired_ratio(ours, per)
            s.row([name, s.cell(per, report.fmt_time), _ratio(vs)], impl=key, per_op=per, vs=vs)


# ---- 4. goroutine memory -------------------------------------------------------------

MEM_IMPLS = (("parago", None), ("gevent", "gevent"), ("asyncio", None))


def goroutine_memory(quick: bool, counts: list[int] | None = None) -> Section:
    # At least 100 even when tiny: ten asyncio tasks can fit in pages already
    # mapped, a growth of 0 that is no figure (a Sample's values are all > 0).
    counts = counts or _size(quick, [100, 10_000], [100, 10_000], [100, 1000])
    s = Section("memory", "Goroutine memory: M goroutines blocked receiving on a channel nobody "
                "sends to, procs=1; USS of the process after minus before, a fresh "
                "interpreter each run (ratio >1: parago smaller)",
                ["M", "parago total", "per goroutine", "gevent per\ngreenlet",
                 "asyncio per\ntask", "Go (seed) per\ngoroutine", "parago vs\ngevent",
                 "parago vs\nasyncio"],
                _memory_table, {"counts": counts}, max(2, rounds(quick) - 2))
    for m in counts:
        for impl, peer in MEM_IMPLS:
            s.add(f"{impl}_{m}", f"memory:{impl}_memory", peer=peer, fresh=True, m=m)
    s.notes.append("gevent: greenlets blocked on an Event; asyncio: tasks awaiting a Future; "
                   "Go: the seed's table (runtime.MemStats.Sys, another machine)")
    return s


def _memory_table(s: Section, r: Results) -> None:
    for m in s.params["counts"]:
        total = s.sample(r, f"parago_{m}", "uss")
        per = {impl: s.sample(r, f"{impl}_{m}", lambda res: res["uss"] / res["m"])
               for impl, _ in MEM_IMPLS}
        go = GO_MEMORY_KB[m] * 1e3 / m if m in GO_MEMORY_KB else None
        vs = {impl: paired_ratio(per["parago"], per[impl]) for impl in ("gevent", "asyncio")}
        s.row([m, s.cell(total, report.fmt_kb), s.cell(per["parago"], report.fmt_kb),
               s.cell(per["gevent"], report.fmt_kb), s.cell(per["asyncio"], report.fmt_kb),
               report.fmt_kb(go) if go else "-", _ratio(vs["gevent"]), _ratio(vs["asyncio"])],
              m=m, parago_uss=total, parago_per_goroutine=per["parago"],
              gevent_per=per["gevent"], asyncio_per=per["asyncio"], go_seed_per=go,
              vs_gevent=vs["gevent"], vs_asyncio=vs["asyncio"])


# ---- 5. throughput across processes --------------------------------------------------

PARAGO_CAP = {"int": 1024, "64KiB": 256, "4MiB": 4}


def xproc_throughput(quick: bool) -> Section:
    sizes = {"int": _size(quick, 50_000, 20_000, 500), "64KiB": _size(quick, 5_000, 2_000, 50),
             "4MiB": _size(quick, 200, 50, 4)}
    s = Section("throughput", "Streaming values from one process to another "
                "(ratio >1: parago faster)",
                ["values", "implementation", "throughput", "parago vs"],
                _throughput_table, {"n": sizes, "parago_cap": PARAGO_CAP}, rounds(quick),
                labels=2)
    for kind, n in sizes.items():
        for _, mod, key in XPROC_IMPLS:
            extra: dict[str, Any] = {"cap": PARAGO_CAP[kind]} if key == "parago" else {}
            s.add(f"{key}_{kind}", f"xproc:{key}_stream", peer=mod, kind=kind, n=n, **extra)
    return s


def _throughput_table(s: Section, r: Results) -> None:
    for kind in s.params["n"]:
        ours = s.sample(r, f"parago_{kind}", "per_op")
        for name, _, key in XPROC_IMPLS:
            per = s.sample(r, f"{key}_{kind}", "per_op")
            if not per:
                continue
            runs = cast("list[Result]", r[f"{key}_{kind}"])    # it has a sample: it ran
            size: int = runs[0]["bytes"]
            rate = per.inverse()
            shown = (s.cell(rate, lambda v: report.fmt_rate(v, "items/s")) if kind == "int"
                     else s.cell(rate, lambda v: report.fmt_bandwidth(v * size)))  # noqa: B023 - called at once
            vs = paired_ratio(ours, per)
            s.row([kind, name, shown, _ratio(vs)], values=kind, impl=key, per_op=per,
                  items_per_s=rate, bytes_per_value=size, vs=vs)


# ---- 6. WorkerPool: the README's tiny-task figure ------------------------------------

POOL_IMPLS = (("parago.WorkerPool", "parago"), ("multiprocessing.Pool", "multiprocessing"))


def pool(quick: bool) -> Section:
    n = _size(quick, 10_000, 5_000, 200)
    chunks = (1, 100)
    s = Section("pool", f"WorkerPool, tiny tasks: map(x + 1) over {n:,} items on 2 workers, "
                "tasks per second; chunksize 1 is where batching pays, a large chunksize "
                "batches the peers too (ratio >1: parago faster)",
                ["chunksize", "pool", "tasks/s", "parago vs"], _pool_table,
                {"n": n, "chunksizes": chunks, "workers": 2}, rounds(quick), labels=2)
    for c in chunks:
        for _, impl in POOL_IMPLS:
            s.add(f"{impl}_{c}", "poolbench:tiny", impl=impl, n=n, workers=2, chunksize=c)
    return s


def _pool_table(s: Section, r: Results) -> None:
    for c in s.params["chunksizes"]:
        ours = s.sample(r, f"parago_{c}", "tasks_per_s")
        for name, impl in POOL_IMPLS:
            rate = s.sample(r, f"{impl}_{c}", "tasks_per_s")
            vs = paired_ratio(rate, ours)
            s.row([c, name, s.cell(rate, lambda v: report.fmt_rate(v, "/s")), _ratio(vs)],
                  chunksize=c, impl=impl, tasks_per_s=rate, vs=vs)


# ---- 7. Go's patterns on N cores -----------------------------------------------------

PATTERN_VARIANTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("4 workers, fed by a go", "workers", {"w": 4, "feeder": "go", "cap": 0}),
    ("2 workers, fed by main", "workers", {"w": 2, "feeder": "main", "cap": 0}),
    ("jobs first (README)", "jobs", {}),
    ("fan-out / fan-in", "fanout", {}),
    ("pipeline, 3 stages x N", "pipeline", {}),
    ("fork-join tree", "forkjoin", {}),
)


def patterns(quick: bool, procs: list[int] | None = None) -> Section:
    top = max(procs or [usable_cores()])
    n = _size(quick, 120, 80, 8)
    runs = rounds(quick)
    s = Section("patterns",
                f"Go patterns on {top} cores: CPU-bound, plain goroutines and channels, no hint; "
                f"speedup procs={top} vs procs=1 over {runs} interleaved runs, beside the same "
                "work on ProcessPoolExecutor (multiprocessing queues for the pipeline)",
                ["pattern", "speedup", "efficiency", "work off\nmain", "reference",
                 "its\nspeedup", "parago\nvs"],
                _patterns_table, {"procs": top, "n": n, "runs": runs})
    for name, pattern, params in PATTERN_VARIANTS:
        kw = dict(params)
        if pattern == "forkjoin":
            kw["depth"] = _size(quick, 5, 5, 2)
        elif pattern == "pipeline":
            kw["n"] = n * 3 // 8
        else:
            kw["n"] = n
        # One kernel runs both sides, interleaved, on fresh runtimes (patterns.interleaved).
        s.add(name, "patterns:interleaved", pattern=pattern, procs=[1, top], runs=runs, **kw)
    s.notes.append("workers first: the workers start before any job exists; PPE: "
                   "ProcessPoolExecutor; mp queues: processes joined by multiprocessing queues")
    if top > usable_cores():
        s.notes.append(f"procs={top} is more than the {usable_cores()} usable cores")
    return s


REFERENCE_SHORT = {"ProcessPoolExecutor": "PPE", "multiprocessing queues": "mp queues"}


def _patterns_table(s: Section, r: Results) -> None:
    top = s.params["procs"]
    for name, _, _ in PATTERN_VARIANTS:
        res = cast("list[Result]", r[name])[0]      # a parago kernel never fails quietly
        times = {(side, p): Sample.of(res[side][str(p)])
                 for side in ("parago", "reference") for p in (1, top)}
        # interleaved() returns every run of both sides: none of these is None.
        up = cast("Sample", paired_ratio(times["parago", top], times["parago", 1]))
        ref = cast("Sample", paired_ratio(times["reference", top], times["reference", 1]))
        off = cast("Sample", Sample.of(max(x, 1e-9) for x in res["off_main"][str(top)]))
        eff = up.median / top
        reference = REFERENCE_SHORT.get(res["reference_name"], res["reference_name"])
        s.row([name, s.cell(up, lambda v: f"{v:.2f}x"), _efficiency(eff),
               f"{off.median:.0%}", reference, s.cell(ref, lambda v: f"{v:.2f}x"),
               f"{up.median / ref.median:.2f}x"],
              pattern=name, procs=top, speedup=up, efficiency=eff,
              efficiency_is_noise=eff > 1.0, off_main=off, reference=res["reference_name"],
              reference_speedup=ref, vs_reference=up.median / ref.median)
