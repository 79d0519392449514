"""Side-by-side tables: parago's figure, each peer's, and the ratio; the
formats of times, rates, sizes and spreads."""

from __future__ import annotations

import io
import textwrap


def fmt_time(s: float) -> str:
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_rate(items_per_s: float, unit: str = "/s") -> str:
    if items_per_s >= 1e6:
        return f"{items_per_s / 1e6:.2f} M{unit}"
    if items_per_s >= 1e3:
        return f"{items_per_s / 1e3:.0f} k{unit}"
    return f"{items_per_s:.0f} {unit}"


def fmt_bandwidth(bytes_per_s: float) -> str:
    return f"{bytes_per_s / 1e9:.2f} GB/s"


WIDTH = 100               # columns a table (and its title) may use


def table(title: str, header: list[str], rows: list[list[str]], labels: int = 1) -> str:
    """The table as text no wider than WIDTH, laid out by rich: the first
    ``labels`` columns (names) left-aligned, the figures right-aligned;
    headers and cells too long for their column wrap."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
              collapse_padding=True)
    for i, name in enumerate(header):
        t.add_column(name, justify="left" if i < labels else "right", overflow="fold")
    for r in rows:
        t.add_row(*(str(c) for c in r))
    console = Console(width=WIDTH, file=io.StringIO(), color_system=None, force_terminal=False,
                      emoji=False, highlight=False, soft_wrap=False)
    with console.capture() as cap:
        console.print(t)
    lines = [ln.rstrip() for ln in cap.get().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join([*textwrap.wrap(title, WIDTH), *lines]) + "\n"


def note(text: str) -> str:
    """A note under a table, wrapped to WIDTH."""
    return "\n".join(textwrap.wrap(text, WIDTH, initial_indent="  note: ",
                                    subsequent_indent="        ")) + "\n"


def fmt_kb(nbytes: float) -> str:
    """Bytes as kB (1000 bytes, as the seeds' Go table prints them)."""
    return f"{nbytes / 1e3:,.1f} kB"


def ratio_value(ours: float | None, theirs: float | None,
                lower_is_better: bool = True) -> float | None:
    """How many times better parago is (>1: parago wins); None if either is missing."""
    if ours is None or theirs is None or ours <= 0 or theirs <= 0:
        return None
    return theirs / ours if lower_is_better else ours / theirs


def ratio(ours: float | None, theirs: float | None, lower_is_better: bool = True) -> str:
    r = ratio_value(ours, theirs, lower_is_better)
    return "-" if r is None else f"{r:.2f}x"
