"""--plot: one PNG of every section run, parago beside its peers, drawn with
matplotlib's Agg backend from the sections' figures.

Panels: parallelism (speedup vs procs against the ideal line), concurrency
(total time vs M against the single wait), latency (a handoff in one process
and a hop between two, log scale), throughput (values per second across
processes, and the pool's tiny tasks), memory (bytes per blocked goroutine
vs M) and the Go patterns (speedup beside the reference). Every point is the
median of the runs with a bar from the fastest to the slowest run; every
implementation keeps its colour in every panel. The caption names the
machine, its cores, Python, the date, the mode and the load average."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TypeAlias

    from matplotlib.axes import Axes

    from .suite import Section

    Fig: TypeAlias = tuple[float, ...]        # (median, below it, above it), as _fig gives


class PlotUnavailable(RuntimeError):
    pass


PANELS = ("parallelism", "concurrency", "switch", "hop", "throughput", "pool", "memory",
          "patterns")

NAMES = {"greenlet_switch": "greenlet.switch (no channel)", "gevent_channel": "gevent Channel",
         "asyncio_queue": "asyncio.Queue(1)", "pipe": "multiprocessing.Pipe",
         "mpqueue": "multiprocessing.Queue", "ffifo": "faster-fifo",
         "multiprocessing": "multiprocessing.Pool"}
COLOURS = {"parago": "C0", "ppe": "C1", "ProcessPoolExecutor": "C1", "loky": "C2",
           "asyncio": "C3", "gevent": "C4", "greenlet": "C5", "pipe": "C1", "mpqueue": "C6",
           "ffifo": "C2", "multiprocessing": "C6", "reference": "C1", "go": "0.5"}


def check() -> None:
    """Raise PlotUnavailable, saying what to do, if matplotlib cannot be used."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib, which is not installed: "
                              "pip install 'parago[bench]' (or matplotlib)") from None
    matplotlib.use("Agg")


def caption(run: dict[str, Any]) -> str:
    m = run["machine"]
    la = run["load_average"]
    return (f"parago {m['parago']} · python -m parago bench ({run['mode']}, {run['rounds']} "
            f"interleaved runs; points: median, bars: fastest to slowest run) · "
            f"{m['usable_cores']} usable cores, {m['cpu']} · {m['implementation']} "
            f"{m['python']} · {m['platform']} · {run['date']} · load average "
            f"{la['start'][0]:.2f} at the start, {la['end'][0]:.2f} at the end")


def write(path: str, sections: dict[str, Section], run: dict[str, Any]) -> None:
    """Draw the panels of ``sections`` ({name: Section}, already run) into
    the PNG at ``path``, captioned from ``run`` (the bench's JSON header)."""
    check()
    import textwrap

    import matplotlib.pyplot as plt

    draw = [(name, fn) for name, fn in PANEL_DRAWERS if any(n in sections for n in name)]
    cols = min(3, len(draw))
    rows = (len(draw) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.6 * rows + 0.8), squeeze=False)
    for ax, (_, fn) in zip(axes.flat, draw, strict=False):
        fn(ax, sections)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(draw):]:
        ax.set_visible(False)
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(caption(run), 40 * cols)), fontsize=8,
             va="bottom", ha="left", color="0.25")
    fig.tight_layout(rect=(0, 0.9 / (4.6 * rows + 0.8), 1, 1))
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


def _fig(d: dict[str, Any], key: str) -> Fig | None:
    """(median, [below], [above]) of a figure stored by Section.row, or None."""
    f = d.get(key)
    if not isinstance(f, dict):
        return None
    return f["median"], f["median"] - f["min"], f["max"] - f["median"]


def _line(ax: Axes, points: Iterable[tuple[float, Fig | None]], label: str, colour: str,
          style: str = "o-") -> None:
    """Points (x, figure) with min-max error bars."""
    pts = [(x, f) for x, f in points if f is not None]
    if not pts:
        return
    xs = [x for x, _ in pts]
    ys = [f[0] for _, f in pts]
    err = [[f[1] for _, f in pts], [f[2] for _, f in pts]]
    ax.errorbar(xs, ys, yerr=err, fmt=style, color=colour, capsize=3, label=label)


def _bars(ax: Axes, groups: list[str], series: list[tuple[str, str, list[Fig | None]]],
          log: bool = True) -> None:
    """Grouped horizontal bars: ``series`` is [(label, colour, [figure or
    None per group])]."""
    n = len(series)
    h = 0.8 / max(1, n)
    for i, (label, colour, figs) in enumerate(series):
        ys = [g + (i - (n - 1) / 2) * h for g in range(len(groups))]
        pts = [(y, f) for y, f in zip(ys, figs, strict=True) if f is not None]
        if not pts:
            continue
        ax.barh([y for y, _ in pts], [f[0] for _, f in pts], height=h * 0.9, color=colour,
                xerr=[[f[1] for _, f in pts], [f[2] for _, f in pts]], capsize=2, label=label)
    ax.set_yticks(range(len(groups)), groups)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.legend(fontsize="x-small")


def _parallelism(ax: Axes, sections: dict[str, Section]) -> None:
    s = sections["parallelism"]
    procs = [d["procs"] for d in s.data]
    ax.plot(procs, procs, "k--", label="ideal (speedup = procs)")
    for key, label, impl in (("speedup", "parago", "parago"),
                             ("ppe_speedup", "ProcessPoolExecutor", "ppe"),
                             ("loky_speedup", "loky", "loky")):
        _line(ax, [(d["procs"], _fig(d, key)) for d in s.data], label, COLOURS[impl])
    ax.set(title=f"Parallelism: {s.params['m']} CPU-bound goroutines", xlabel="procs",
           ylabel="speedup vs procs=1", xticks=procs)
    ax.legend(fontsize="small")


def _concurrency(ax: Axes, sections: dict[str, Section]) -> None:
    s = sections["concurrency"]
    wait = s.params["wait"]
    for kind, style in (("sleep", "o-"), ("chan", "s:")):
        for impl in ("parago", "asyncio", "gevent"):
            _line(ax, [(d["m"], _fig(d, f"{impl}_s")) for d in s.data
                       if d["blocked_on"] == kind], f"{impl} ({kind})", COLOURS[impl], style)
    ax.axhline(wait, color="k", linestyle="--", label=f"the single wait ({wait} s)")
    ax.set(title="Concurrency: M blocked goroutines, one process", xlabel="M (log)",
           ylabel="total time (s)", xscale="log", ylim=(0, None))
    ax.legend(fontsize="x-small")


def _latency(ax: Axes, sections: dict[str, Section]) -> None:
    groups: list[tuple[str, str, Fig | None]] = []
    series: dict[str, list[Fig | None]] = {}
    if "switch" in sections:
        for d in sections["switch"].data:
            if d["impl"] != "go_seed":
                groups.append(("handoff, one process", d["impl"], _fig(d, "per_op")))
    if "hop" in sections:
        for d in sections["hop"].data:
            groups.append(("hop, two processes", d["impl"], _fig(d, "per_op")))
    names = list(dict.fromkeys(g for g, _, _ in groups))
    for g, impl, f in groups:
        series.setdefault(impl, [None] * len(names))[names.index(g)] = (
            None if f is None else tuple(x * 1e6 for x in f))
    _bars(ax, names, [(NAMES.get(impl, impl), COLOURS.get(impl.split("_")[0], "0.6"), figs)
                      for impl, figs in series.items()])
    ax.set(title="Latency (log)", xlabel="µs per handoff or hop (lower is better)")


def _throughput(ax: Axes, sections: dict[str, Section]) -> None:
    rows = []
    if "throughput" in sections:
        rows += [(f"{d['values']} values", d["impl"], _fig(d, "items_per_s"))
                 for d in sections["throughput"].data]
    if "pool" in sections:
        rows += [(f"pool tasks, chunksize {d['chunksize']}", d["impl"], _fig(d, "tasks_per_s"))
                 for d in sections["pool"].data]
    names = list(dict.fromkeys(g for g, _, _ in rows))
    series: dict[str, list[Fig | None]] = {}
    for g, impl, f in rows:
        series.setdefault(impl, [None] * len(names))[names.index(g)] = f
    _bars(ax, names, [(NAMES.get(impl, impl), COLOURS.get(impl, "0.6"), figs)
                      for impl, figs in series.items()])
    ax.set(title="Throughput across processes (log)", xlabel="per second (higher is better)")


def _memory(ax: Axes, sections: dict[str, Section]) -> None:
    s = sections["memory"]
    for key, label, impl in (("parago_per_goroutine", "parago", "parago"),
                             ("gevent_per", "gevent greenlet", "gevent"),
                             ("asyncio_per", "asyncio task", "asyncio")):
        _line(ax, [(d["m"], _kb(_fig(d, key))) for d in s.data], label, COLOURS[impl])
    go = [(d["m"], d["go_seed_per"] / 1e3) for d in s.data if d["go_seed_per"]]
    if go:
        ax.plot(*zip(*go, strict=True), "x--", color=COLOURS["go"], label="Go (seed)")
    ax.set(title="Memory per blocked goroutine", xlabel="M (log)", ylabel="kB (USS)",
           xscale="log", ylim=(0, None))
    ax.legend(fontsize="small")


def _kb(f: Fig | None) -> Fig | None:
    return None if f is None else tuple(x / 1e3 for x in f)


def _patterns(ax: Axes, sections: dict[str, Section]) -> None:
    s = sections["patterns"]
    names = [d["pattern"] for d in s.data]
    _bars(ax, names, [("parago (plain goroutines)", COLOURS["parago"],
                       [_fig(d, "speedup") for d in s.data]),
                      ("same work, ProcessPoolExecutor / mp queues", COLOURS["reference"],
                       [_fig(d, "reference_speedup") for d in s.data])], log=False)
    ax.axvline(s.params["procs"], color="k", linestyle="--", label="ideal")
    ax.set(title=f"Go patterns, procs={s.params['procs']} vs 1", xlabel="speedup")


PANEL_DRAWERS = (
    (("parallelism",), _parallelism),
    (("concurrency",), _concurrency),
    (("switch", "hop"), _latency),
    (("throughput", "pool"), _throughput),
    (("memory",), _memory),
    (("patterns",), _patterns),
)
