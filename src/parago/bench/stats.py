"""The statistics of repeated runs, from pyperf.

A figure of the bench is a Sample: the values one kernel gave in each of the
section's interleaved runs. Its median is the figure shown; its spread (how
far the farthest run lies from the median) is shown beside it; it is *noisy*
when the runs disagree by more than pyperf's own bound for an unstable
benchmark (standard deviation >= 10% of the mean). The arithmetic is
pyperf's (pyperf.Benchmark: median, mean, stdev), not ours; without the
bench extra installed the same three figures come from the standard library's
statistics module (pyperf computes them the same way), so the bench still runs.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

NOISE_BOUND = 0.10        # stdev / mean at which pyperf calls a benchmark unstable

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Protocol

    class _Benchmark(Protocol):
        """What is used of pyperf.Benchmark (pyperf is not type-checked here)."""

        def median(self) -> float: ...
        def mean(self) -> float: ...
        def stdev(self) -> float: ...


class _Stdlib:
    """pyperf.Benchmark's median/mean/stdev, for when pyperf is not installed."""

    def __init__(self, values: list[float]) -> None:
        self._values = values

    def median(self) -> float:
        return statistics.median(self._values)

    def mean(self) -> float:
        return statistics.fmean(self._values)

    def stdev(self) -> float:
        return statistics.stdev(self._values)


def _benchmark(values: list[float]) -> _Benchmark:
    try:
        import pyperf
    except ImportError:
        return _Stdlib(values)
    run = pyperf.Run(values, metadata={"name": "figure"}, collect_metadata=False)
    bench: _Benchmark = pyperf.Benchmark([run])
    return bench


@dataclass(frozen=True)
class Sample:
    """Values (all > 0) of one figure over a section's runs."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Sample | None:
        """The sample of ``values``, or None if there is none (a peer that is
        missing or failed)."""
        vals = tuple(float(v) for v in values if v is not None)
        return cls(vals) if vals and all(v > 0 for v in vals) else None

    @property
    def median(self) -> float:
        return _benchmark(list(self.values)).median()

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> float:
        """The farthest run from the median, as a fraction of the median."""
        m = self.median
        return max(m - self.min, self.max - m) / m

    @property
    def variation(self) -> float | None:
        """Standard deviation over mean (None with a single run)."""
        if len(self.values) < 2:
            return None
        b = _benchmark(list(self.values))
        return b.stdev() / b.mean()

    @property
    def noisy(self) -> bool:
        v = self.variation
        return v is not None and v >= NOISE_BOUND

    def inverse(self) -> Sample:
        """The sample of 1/value (a time per item as a rate)."""
        return Sample(tuple(1 / v for v in self.values))

    def to_json(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.min, "max": self.max,
                "variation": self.variation, "noisy": self.noisy, "values": list(self.values)}


def paired_ratio(ours: Sample | None, theirs: Sample | None) -> Sample | None:
    """theirs / ours, run by run: the runs of both sides were interleaved,
    so run i of each saw the same moment of the machine."""
    if ours is None or theirs is None or len(ours.values) != len(theirs.values):
        return None
    return Sample(tuple(t / o for o, t in zip(ours.values, theirs.values, strict=True)))


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
