"""The benchmark sections: each measures parago and its peers in one run and
returns a Section (a printable table plus the raw figures for --json)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from . import report
from .runner import KernelFailed, available, measure
from .switch import GO_REFERENCE_NS


@dataclass
class Section:
    name: str
    title: str
    header: list
    rows: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def render(self) -> str:
        text = report.table(self.title, self.header, self.rows)
        return text + "".join(f"  note: {n}\n" for n in self.notes)


def _try(section: Section, target: str, peer_module: str | None = None, **kwargs):
    if peer_module and not available(peer_module):
        section.notes.append(f"{peer_module} is not installed: its row is skipped")
        return None
    try:
        return measure(target, **kwargs)
    except KernelFailed as e:
        if peer_module is None and target.split(":")[1].startswith("parago"):
            raise
        section.notes.append(f"{target} failed: {str(e).splitlines()[0]}")
        print(e, file=sys.stderr)
        return None


def context_switch(quick: bool) -> Section:
    s = Section("switch", "Context switch: one handoff over an unbuffered channel, one process "
                "(ratio >1: parago faster)", ["implementation", "per handoff", "parago vs"])
    n = 20000 if quick else 200000
    ours = measure("parago.bench.switch:parago_handoff", n=n)["per_op"]
    s.figures["parago"] = ours
    s.rows.append(["parago chan (procs=1)", report.fmt_time(ours), "1.00x"])
    peers = (("greenlet.switch (raw, no channel)", "greenlet", "greenlet_switch", 5 * n),
             ("gevent.queue.Channel", "gevent", "gevent_channel", n),
             ("asyncio.Queue(1)", None, "asyncio_queue", n))
    for name, mod, fn, k in peers:
        r = _try(s, f"parago.bench.switch:{fn}", mod, n=k)
        if r:
            s.figures[fn] = r["per_op"]
            s.rows.append([name, report.fmt_time(r["per_op"]), report.ratio(ours, r["per_op"])])
    s.rows.append(["Go (the seed's figure, another machine)", f"{GO_REFERENCE_NS} ns", "-"])
    return s


XPROC_IMPLS = (("parago chan", None, "parago"), ("multiprocessing.Pipe", None, "pipe"),
               ("multiprocessing.Queue", None, "mpqueue"), ("faster-fifo", "faster_fifo", "ffifo"))


def xproc_hop(quick: bool) -> Section:
    s = Section("hop", "One-way hop latency between two processes "
                "(ping-pong / 2; ratio >1: parago faster)",
                ["implementation", "hop", "parago vs"])
    ours = None
    for name, mod, key in XPROC_IMPLS:
        r = _try(s, f"parago.bench.xproc:{key}_hop", mod, n=2000 if quick else 20000)
        if r:
            ours = ours or r["per_op"]
            s.figures[key] = r["per_op"]
            s.rows.append([name, report.fmt_time(r["per_op"]), report.ratio(ours, r["per_op"])])
    return s


def xproc_throughput(quick: bool) -> Section:
    s = Section("throughput", "Streaming values from one process to another "
                "(ratio >1: parago faster)",
                ["values", "implementation", "throughput", "parago vs"])
    for kind, n in (("int", 20000 if quick else 200000), ("64KiB", 2000 if quick else 20000),
                    ("4MiB", 50 if quick else 500)):
        ours = None
        for name, mod, key in XPROC_IMPLS:
            kwargs = {"kind": kind, "n": n}
            if key == "parago":
                kwargs["cap"] = {"int": 1024, "64KiB": 256, "4MiB": 4}[kind]
            r = _try(s, f"parago.bench.xproc:{key}_stream", mod, **kwargs)
            if not r:
                continue
            per = r["per_op"]
            ours = ours or per
            s.figures[f"{key}_{kind}"] = per
            shown = (report.fmt_rate(1 / per, "items/s") if kind == "int"
                     else report.fmt_bandwidth(r["bytes"] / per))
            s.rows.append([kind, name, shown, report.ratio(ours, per)])
    return s


def parallelism(quick: bool, procs: list[int] | None = None) -> Section:
    m, k = 16, (300_000 if quick else 2_000_000)
    s = Section("parallelism", f"Parallelism: {m} CPU-bound goroutines on 1..N processes "
                "(ratio >1: parago faster)",
                ["procs", "parago", "speedup", "efficiency", "ProcessPoolExecutor", "parago vs"])
    ncpu = len(os.sched_getaffinity(0))
    procs = procs or list(range(1, ncpu + 1))
    base = None
    for p in procs:
        t = measure("parago.bench.speedup:parago_cpu", m=m, k=k, procs=p)["seconds"]
        base = base or (t if p == 1 else None)
        ppe = _try(s, "parago.bench.speedup:ppe_cpu", m=m, k=k, procs=p)
        speedup = base / t if base else float("nan")
        s.figures[f"procs_{p}"] = {"seconds": t, "speedup": speedup,
                                   "ppe_seconds": ppe["seconds"] if ppe else None}
        s.rows.append([p, report.fmt_time(t), f"{speedup:.2f}x", f"{speedup / p * 100:.0f}%",
                       report.fmt_time(ppe["seconds"]) if ppe else "-",
                       report.ratio(t, ppe["seconds"]) if ppe else "-"])
    return s


def concurrency(quick: bool, counts: list[int] | None = None) -> Section:
    wait = 0.5
    counts = counts or ([10, 1000, 10000] if quick else [10, 100, 1000, 10000, 100000])
    s = Section("concurrency", f"Concurrency: M goroutines each waiting {wait} s on ONE process "
                "(total time vs the single wait; ratio >1: parago faster)",
                ["M", "parago", "vs one wait", "asyncio", "gevent", "parago vs asyncio"])
    for m in counts:
        ours = measure("parago.bench.speedup:parago_sleepers", m=m, s=wait)["seconds"]
        aio = _try(s, "parago.bench.speedup:asyncio_sleepers", None, m=m, s=wait)
        gev = _try(s, "parago.bench.speedup:gevent_sleepers", "gevent", m=m, s=wait)
        s.figures[f"m_{m}"] = {"seconds": ours, "asyncio": aio and aio["seconds"],
                               "gevent": gev and gev["seconds"]}
        s.rows.append([m, report.fmt_time(ours), f"{ours / wait:.2f}x",
                       report.fmt_time(aio["seconds"]) if aio else "-",
                       report.fmt_time(gev["seconds"]) if gev else "-",
                       report.ratio(ours, aio["seconds"]) if aio else "-"])
    return s
