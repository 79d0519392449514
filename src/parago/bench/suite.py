"""The benchmark sections, each parago beside the peers installed here.

A section function (parallelism, concurrency, context_switch, xproc_hop,
goroutine_memory, xproc_throughput) only plans: it returns a Section that
lists its kernels and knows how to turn their results into a table.
Section.run measures every kernel in its own interpreter (runner.measure) and
fills the printable rows and, for --json, one dict of raw figures per row
(data). render() runs the section first if nobody has, so

    print(suite.context_switch(quick).render())

measures and prints, while the bench command counts every kernel up front for
its progress bar.

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

from . import report
from .memory import GO_MEMORY_KB
from .runner import KernelFailed, available, measure
from .switch import GO_REFERENCE_NS


def tiny() -> bool:
    return os.environ.get("PARAGO_BENCH_TINY") == "1"


def _size(quick: bool, full, fast, smallest):
    return smallest if tiny() else fast if quick else full


@dataclass
class Kernel:
    key: str                   # its result's name in the section's results
    target: str                # "module:function", run by runner.measure
    kwargs: dict
    peer: str | None = None    # the module a peer needs; skipped (with a note) if absent

    @property
    def label(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.target.split(':')[1]} {args}"

    @property
    def ours(self) -> bool:
        return self.target.split(":")[1].startswith("parago")


@dataclass
class Section:
    name: str
    title: str
    header: list[str]
    build: Callable[[Section, dict], None]     # fills rows and data from {key: result | None}
    params: dict = field(default_factory=dict)
    kernels: list[Kernel] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    data: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    done: bool = False

    def add(self, key: str, target: str, peer: str | None = None, **kwargs) -> None:
        self.kernels.append(Kernel(key, f"parago.bench.{target}", kwargs, peer))

    def run(self, progress=None) -> Section:
        results = {}
        for k in self.kernels:
            if progress:
                progress.start(f"{self.name}: {k.label}")
            results[k.key] = self._measure(k)
            if progress:
                progress.advance()
        self.build(self, results)
        self.done = True
        return self

    def _measure(self, k: Kernel) -> dict | None:
        if k.peer and not available(k.peer):
            self._note(f"{k.peer} is not installed: its figures are skipped")
            return None
        try:
            return measure(k.target, timeout=60 if tiny() else 600, **k.kwargs)
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

    def row(self, cells: list, **figures) -> None:
        """One table row and the raw figures behind it."""
        self.rows.append(cells)
        self.data.append(figures)

    def render(self) -> str:
        if not self.done:
            self.run()
        text = report.table(self.title, self.header, self.rows)
        return text + "".join(f"  note: {n}\n" for n in self.notes)

    def to_json(self) -> dict:
        return {"title": self.title, "params": self.params, "header": self.header,
                "rows": [[str(c) for c in r] for r in self.rows], "data": self.data,
                "notes": self.notes}


def _get(r: dict | None, key: str):
    return r[key] if r else None


def _time(t: float | None) -> str:
    return report.fmt_time(t) if t is not None else "-"


# ---- 1. parallelism ------------------------------------------------------------------

def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def parallelism(quick: bool, procs: list[int] | None = None) -> Section:
    m = _size(quick, 16, 16, 4)
    k = _size(quick, 2_000_000, 300_000, 20_000)
    repeat = _size(quick, 3, 2, 1)
    procs = sorted({1, *(procs or range(1, usable_cores() + 1))})   # procs=1 is the baseline
    s = Section("parallelism",
                f"Parallelism: {m} CPU-bound goroutines of {k:,} steps on 1..N processes "
                "(speedup and efficiency vs procs=1; ratio >1: parago faster)",
                ["procs", "parago", "speedup", "efficiency", "ProcessPoolExecutor", "parago vs",
                 "loky", "parago vs"],
                _parallelism_table, {"m": m, "k": k, "repeat": repeat, "procs": procs,
                                     "usable_cores": usable_cores()})
    for p in procs:
        kw = {"m": m, "k": k, "procs": p, "repeat": repeat}
        s.add(f"parago_{p}", "speedup:parago_cpu", **kw)
        s.add(f"ppe_{p}", "speedup:ppe_cpu", **kw)
        s.add(f"loky_{p}", "speedup:loky_cpu", peer="loky", **kw)
    if procs[-1] > usable_cores():
        s.notes.append(f"procs above the {usable_cores()} usable cores share cores")
    return s


def _parallelism_table(s: Section, r: dict) -> None:
    base = {impl: _get(r[f"{impl}_1"], "seconds") for impl in ("parago", "ppe", "loky")}
    for p in s.params["procs"]:
        t = {impl: _get(r[f"{impl}_{p}"], "seconds") for impl in base}
        up = {impl: base[impl] / t[impl] if base[impl] and t[impl] else None for impl in t}
        s.row([p, _time(t["parago"]), f"{up['parago']:.2f}x", f"{up['parago'] / p:.0%}",
               _time(t["ppe"]), report.ratio(t["parago"], t["ppe"]),
               _time(t["loky"]), report.ratio(t["parago"], t["loky"])],
              procs=p, parago_s=t["parago"], speedup=up["parago"], efficiency=up["parago"] / p,
              ppe_s=t["ppe"], ppe_speedup=up["ppe"],
              vs_ppe=report.ratio_value(t["parago"], t["ppe"]),
              loky_s=t["loky"], loky_speedup=up["loky"],
              vs_loky=report.ratio_value(t["parago"], t["loky"]))


# ---- 2. concurrency ------------------------------------------------------------------

WAITS = (("sleep", "sleepers"), ("chan", "chan_waiters"))


def concurrency(quick: bool, counts: list[int] | None = None) -> Section:
    wait = _size(quick, 0.5, 0.2, 0.02)
    counts = counts or _size(quick, [10, 100, 1000, 10_000, 100_000], [10, 1000, 10_000],
                             [10, 100])
    s = Section("concurrency",
                f"Concurrency: M goroutines each blocked {wait} s on ONE process "
                "(total time vs the single wait: 1.00x = all M waited at once; "
                "ratio >1: parago faster)",
                ["blocked on", "M", "parago", "vs one wait", "asyncio", "gevent",
                 "parago vs asyncio", "parago vs gevent"],
                _concurrency_table, {"wait": wait, "counts": counts})
    for kind, fn in WAITS:
        for m in counts:
            s.add(f"parago_{kind}_{m}", f"speedup:parago_{fn}", m=m, s=wait)
            s.add(f"asyncio_{kind}_{m}", f"speedup:asyncio_{fn}", m=m, s=wait)
            s.add(f"gevent_{kind}_{m}", f"speedup:gevent_{fn}", peer="gevent", m=m, s=wait)
    s.notes.append("sleep: pg.sleep / asyncio.sleep / gevent.sleep; chan: a receive on one "
                   "channel main closes after the wait (asyncio, gevent: an Event main sets)")
    return s


def _concurrency_table(s: Section, r: dict) -> None:
    wait = s.params["wait"]
    for kind, _ in WAITS:
        for m in s.params["counts"]:
            t = {impl: _get(r[f"{impl}_{kind}_{m}"], "seconds")
                 for impl in ("parago", "asyncio", "gevent")}
            s.row([kind, m, _time(t["parago"]), f"{t['parago'] / wait:.2f}x",
                   _time(t["asyncio"]), _time(t["gevent"]),
                   report.ratio(t["parago"], t["asyncio"]), report.ratio(t["parago"], t["gevent"])],
                  blocked_on=kind, m=m, parago_s=t["parago"], vs_one_wait=t["parago"] / wait,
                  asyncio_s=t["asyncio"], gevent_s=t["gevent"],
                  vs_asyncio=report.ratio_value(t["parago"], t["asyncio"]),
                  vs_gevent=report.ratio_value(t["parago"], t["gevent"]))


# ---- 3. context switch and the cross-process hop -------------------------------------

SWITCH_PEERS = (("greenlet.switch (raw, no channel)", "greenlet_switch", "greenlet", 5),
                ("gevent.queue.Channel", "gevent_channel", "gevent", 1),
                ("asyncio.Queue(1)", "asyncio_queue", None, 1))


def context_switch(quick: bool) -> Section:
    n = _size(quick, 200_000, 20_000, 1_000)
    s = Section("switch", "Context switch: one handoff over an unbuffered channel, one process "
                "(ratio >1: parago faster)", ["implementation", "per handoff", "parago vs"],
                _switch_table, {"n": n})
    s.add("parago", "switch:parago_handoff", n=n)
    for _, fn, mod, times in SWITCH_PEERS:
        s.add(fn, f"switch:{fn}", peer=mod, n=times * n)
    return s


def _switch_table(s: Section, r: dict) -> None:
    ours = r["parago"]["per_op"]
    s.row(["parago chan (procs=1)", report.fmt_time(ours), "1.00x"],
          impl="parago", per_op=ours, vs=1.0)
    for name, fn, _, _ in SWITCH_PEERS:
        if r[fn]:
            per = r[fn]["per_op"]
            s.row([name, report.fmt_time(per), report.ratio(ours, per)],
                  impl=fn, per_op=per, vs=report.ratio_value(ours, per))
    s.row(["Go (the seed's figure, another machine)", f"{GO_REFERENCE_NS} ns", "-"],
          impl="go_seed", per_op=GO_REFERENCE_NS * 1e-9, vs=None)


XPROC_IMPLS = (("parago chan", None, "parago"), ("multiprocessing.Pipe", None, "pipe"),
               ("multiprocessing.Queue", None, "mpqueue"), ("faster-fifo", "faster_fifo", "ffifo"))


def xproc_hop(quick: bool) -> Section:
    n = _size(quick, 20_000, 2_000, 200)
    s = Section("hop", "One-way hop latency between two processes "
                "(ping-pong / 2; ratio >1: parago faster)",
                ["implementation", "hop", "parago vs"], _hop_table, {"n": n})
    for _, mod, key in XPROC_IMPLS:
        s.add(key, f"xproc:{key}_hop", peer=mod, n=n)
    return s


def _hop_table(s: Section, r: dict) -> None:
    ours = r["parago"]["per_op"]
    for name, _, key in XPROC_IMPLS:
        if r[key]:
            per = r[key]["per_op"]
            s.row([name, report.fmt_time(per), report.ratio(ours, per)],
                  impl=key, per_op=per, vs=report.ratio_value(ours, per))


# ---- 4. goroutine memory -------------------------------------------------------------

def goroutine_memory(quick: bool, counts: list[int] | None = None) -> Section:
    counts = counts or _size(quick, [10, 100, 1000, 10_000, 100_000], [10, 1000, 10_000],
                             [10, 100])
    s = Section("memory", "Goroutine memory: M goroutines blocked receiving on a channel nobody "
                "sends to, procs=1; USS of the process after minus before "
                "(ratio >1: parago smaller)",
                ["M", "parago total", "per goroutine", "gevent per greenlet", "asyncio per task",
                 "Go (seed) per goroutine", "parago vs gevent", "parago vs asyncio"],
                _memory_table, {"counts": counts})
    for m in counts:
        s.add(f"parago_{m}", "memory:parago_memory", m=m)
        s.add(f"gevent_{m}", "memory:gevent_memory", peer="gevent", m=m)
        s.add(f"asyncio_{m}", "memory:asyncio_memory", m=m)
    s.notes.append("gevent: greenlets blocked on an Event; asyncio: tasks awaiting a Future; "
                   "Go: the seed's table (runtime.MemStats.Sys, another machine)")
    return s


def _memory_table(s: Section, r: dict) -> None:
    def per(res):
        return res["uss"] / res["m"] if res else None

    for m in s.params["counts"]:
        ours, gev, aio = r[f"parago_{m}"], r[f"gevent_{m}"], r[f"asyncio_{m}"]
        go = GO_MEMORY_KB[m] * 1e3 / m if m in GO_MEMORY_KB else None
        s.row([m, report.fmt_kb(ours["uss"]), report.fmt_kb(per(ours)),
               report.fmt_kb(per(gev)) if gev else "-", report.fmt_kb(per(aio)) if aio else "-",
               report.fmt_kb(go) if go else "-",
               report.ratio(per(ours), per(gev)), report.ratio(per(ours), per(aio))],
              m=m, parago_uss=ours["uss"], parago_rss=ours["rss"], parago_per_goroutine=per(ours),
              gevent_uss=_get(gev, "uss"), gevent_rss=_get(gev, "rss"), gevent_per=per(gev),
              asyncio_uss=_get(aio, "uss"), asyncio_rss=_get(aio, "rss"), asyncio_per=per(aio),
              go_seed_per=go, vs_gevent=report.ratio_value(per(ours), per(gev)),
              vs_asyncio=report.ratio_value(per(ours), per(aio)))


# ---- 5. throughput across processes --------------------------------------------------

PARAGO_CAP = {"int": 1024, "64KiB": 256, "4MiB": 4}


def xproc_throughput(quick: bool) -> Section:
    sizes = {"int": _size(quick, 200_000, 20_000, 500), "64KiB": _size(quick, 20_000, 2_000, 50),
             "4MiB": _size(quick, 500, 50, 4)}
    s = Section("throughput", "Streaming values from one process to another "
                "(ratio >1: parago faster)",
                ["values", "implementation", "throughput", "parago vs"],
                _throughput_table, {"n": sizes, "parago_cap": PARAGO_CAP})
    for kind, n in sizes.items():
        for _, mod, key in XPROC_IMPLS:
            extra = {"cap": PARAGO_CAP[kind]} if key == "parago" else {}
            s.add(f"{key}_{kind}", f"xproc:{key}_stream", peer=mod, kind=kind, n=n, **extra)
    return s


def _throughput_table(s: Section, r: dict) -> None:
    for kind in s.params["n"]:
        ours = r[f"parago_{kind}"]["per_op"]
        for name, _, key in XPROC_IMPLS:
            res = r[f"{key}_{kind}"]
            if not res:
                continue
            per = res["per_op"]
            shown = (report.fmt_rate(1 / per, "items/s") if kind == "int"
                     else report.fmt_bandwidth(res["bytes"] / per))
            s.row([kind, name, shown, report.ratio(ours, per)],
                  values=kind, impl=key, per_op=per, items_per_s=1 / per,
                  bytes_per_s=res["bytes"] / per, vs=report.ratio_value(ours, per))



# ---- 6. Go's patterns on N cores -----------------------------------------------------

PATTERN_VARIANTS = (
    ("workers first (4, fed by a goroutine)", "workers", {"w": 4, "feeder": "go", "cap": 0}),
    ("workers first (2, fed by main)", "workers", {"w": 2, "feeder": "main", "cap": 0}),
    ("jobs first (README)", "jobs", {}),
    ("fan-out / fan-in", "fanout", {}),
    ("pipeline, 3 stages x N", "pipeline", {}),
    ("fork-join tree", "forkjoin", {}),
)


def patterns(quick: bool, procs: list[int] | None = None) -> Section:
    top = max(procs or [usable_cores()])
    n = _size(quick, 240, 80, 8)
    runs = _size(quick, 3, 3, 1)
    s = Section("patterns",
                f"Go patterns on {top} cores: CPU-bound, plain goroutines and channels, no hint "
                f"(speedup procs={top} vs procs=1, min/median/max of {runs} interleaved runs; "
                "beside the same work on ProcessPoolExecutor, multiprocessing queues for the "
                "pipeline)",
                ["pattern", "speedup", "efficiency", "work off main", "reference", "its speedup",
                 "parago vs"],
                _patterns_table, {"procs": top, "n": n, "runs": runs})
    for name, pattern, params in PATTERN_VARIANTS:
        kw = dict(params)
        if pattern == "forkjoin":
            kw["depth"] = _size(quick, 6, 5, 2)
        elif pattern == "pipeline":
            kw["n"] = n * 3 // 8
        else:
            kw["n"] = n
        s.add(name, "patterns:interleaved", pattern=pattern, procs=[1, top], runs=runs, **kw)
    if top > usable_cores():
        s.notes.append(f"procs={top} is more than the {usable_cores()} usable cores")
    return s


def _spread(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"{xs[0]:.2f} / {xs[len(xs) // 2]:.2f} / {xs[-1]:.2f}x"


def _patterns_table(s: Section, r: dict) -> None:
    top = str(s.params["procs"])
    for name, _, _ in PATTERN_VARIANTS:
        res = r[name]
        up = [a / b for a, b in zip(res["parago"]["1"], res["parago"][top], strict=True)]
        ref = [a / b for a, b in zip(res["reference"]["1"], res["reference"][top], strict=True)]
        med, ref_med = sorted(up)[len(up) // 2], sorted(ref)[len(ref) // 2]
        off = sorted(res["off_main"][top])[len(up) // 2]
        s.row([name, _spread(up), f"{med / int(top):.0%}", f"{off:.0%}", res["reference_name"],
               _spread(ref), f"{med / ref_med:.2f}x"],
              pattern=name, procs=int(top), speedups=up, speedup=med,
              efficiency=med / int(top), off_main=off, reference=res["reference_name"],
              reference_speedups=ref, reference_speedup=ref_med, vs_reference=med / ref_med)
