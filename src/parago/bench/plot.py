"""--plot: one PNG with speedup vs procs against the ideal line (parallelism)
and total time vs M against the single wait (concurrency), drawn with
matplotlib's Agg backend from the sections' figures."""

from __future__ import annotations


class PlotUnavailable(RuntimeError):
    pass


PANELS = ("parallelism", "concurrency")


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
    for ax, s in zip(axes[0], panels, strict=True):
        (_speedup if s.name == "parallelism" else _concurrency)(ax, s)
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
