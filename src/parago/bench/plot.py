"""--plot: one PNG with speedup vs procs against the ideal line (parallelism),
total time vs M against the single wait (concurrency) and the speedup of each
Go pattern beside its reference (patterns), drawn with matplotlib's Agg
backend from the sections' figures."""

from __future__ import annotations


class PlotUnavailable(RuntimeError):
    pass


PANELS = ("parallelism", "concurrency", "patterns")


def check() -> None:
    """Raise PlotUnavailable, saying what to do, if matplotlib cannot be used."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib, which is not installed: "
                              "pip install 'parago[bench]' (or matplotlib)") from None
    matplotlib.use("Agg")


def write(path: str, sections: dict) -> None:
    """Draw the parallelism and concurrency sections of ``sections``
    ({name: Section}, already run) into the PNG at ``path``."""
    check()
    import matplotlib.pyplot as plt

    panels = [sections[n] for n in PANELS if n in sections]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    draw = {"parallelism": _speedup, "concurrency": _concurrency, "patterns": _patterns}
    for ax, s in zip(axes[0], panels, strict=True):
        draw[s.name](ax, s)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def _speedup(ax, s) -> None:
    procs = [d["procs"] for d in s.data]
    ax.plot(procs, procs, "k--", label="ideal (speedup = procs)")
    for key, label in (("speedup", "parago"), ("ppe_speedup", "ProcessPoolExecutor"),
                       ("loky_speedup", "loky")):
        pts = [(d["procs"], d[key]) for d in s.data if d[key] is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), "o-", label=label)
    ax.set(title=f"Parallelism: {s.params['m']} CPU-bound goroutines", xlabel="procs",
           ylabel="speedup vs procs=1", xticks=procs)
    ax.grid(alpha=0.3)
    ax.legend()


def _concurrency(ax, s) -> None:
    wait = s.params["wait"]
    for kind, style in (("sleep", "-"), ("chan", ":")):
        for i, impl in enumerate(("parago", "asyncio", "gevent")):
            pts = [(d["m"], d[f"{impl}_s"]) for d in s.data
                   if d["blocked_on"] == kind and d[f"{impl}_s"] is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), f"o{style}", color=f"C{i}",
                        label=f"{impl} ({kind})")
    ax.axhline(wait, color="k", linestyle="--", label=f"the single wait ({wait} s)")
    ax.set(title="Concurrency: M blocked goroutines on one process", xlabel="M (log)",
           ylabel="total time (s)", xscale="log", ylim=(0, None))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")


def _patterns(ax, s) -> None:
    """Speedup of each Go pattern (median, min-max bars) beside its reference."""
    names = [d["pattern"] for d in s.data]
    ys = range(len(names))

    def bars(key, many, offset, label):
        med = [d[key] for d in s.data]
        lo = [m - min(d[many]) for m, d in zip(med, s.data, strict=True)]
        hi = [max(d[many]) - m for m, d in zip(med, s.data, strict=True)]
        ax.barh([y + offset for y in ys], med, height=0.38, xerr=[lo, hi], capsize=3,
                label=label)

    bars("speedup", "speedups", -0.2, "parago (plain goroutines)")
    bars("reference_speedup", "reference_speedups", 0.2, "same work, ProcessPoolExecutor / mp")
    ax.axvline(s.params["procs"], color="k", linestyle="--", label="ideal")
    ax.set(title=f"Go patterns, procs={s.params['procs']} vs 1", xlabel="speedup",
           yticks=list(ys), yticklabels=names)
    ax.invert_yaxis()
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize="small")
