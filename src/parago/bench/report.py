"""Side-by-side tables: parago's figure, each peer's, and the ratio."""

from __future__ import annotations


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


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    def fmt(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
    out = [title, line, fmt(header), line, *(fmt(r) for r in rows)]
    return "\n".join(out) + "\n"


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
