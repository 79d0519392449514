"""One P's timers: a heap of deadlines on the monotonic clock.

Owns: the timer heap of this process's Processor.

Invariants:
  - Entries are lists [when, seq, fn, arg]; a cancelled entry has fn None and
    stays in the heap until it reaches the top (lazy deletion, as Go's
    timer heap marks deleted timers).
  - ``live`` counts entries not cancelled and not yet fired; it is what the
    deadlock check publishes (a pending timer means the program may still
    make progress: RT-15).
  - Callbacks run in the scheduler's context, never inside a goroutine; they
    must only make goroutines runnable or do short non-blocking work.
"""

from __future__ import annotations

import heapq
import itertools
from time import monotonic
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from .protocols import TimerEntry


class TimerHeap:
    __slots__ = ("_seq", "heap", "live")

    def __init__(self) -> None:
        self.heap: list[TimerEntry] = []
        self.live = 0
        self._seq = itertools.count()

    def add(self, when: float, fn: Callable[[Any], object], arg: Any = None) -> TimerEntry:
        e = [when, next(self._seq), fn, arg]
        heapq.heappush(self.heap, e)
        self.live += 1
        return e

    def cancel(self, e: TimerEntry) -> bool:
        """Stop a timer; False if it already fired or was cancelled."""
        if e[2] is None:
            return False
        e[2] = None
        self.live -= 1
        return True

    def next_deadline(self) -> float | None:
        heap = self.heap
        while heap and heap[0][2] is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def fire_due(self, now: float | None = None) -> int:
        """Run every timer whose deadline has passed; returns how many ran."""
        heap = self.heap
        if not heap:
            return 0
        if now is None:
            now = monotonic()
        n = 0
        while heap and heap[0][0] <= now:
            e = heapq.heappop(heap)
            fn = e[2]
            if fn is None:
                continue
            e[2] = None
            self.live -= 1
            fn(e[3])
            n += 1
        return n


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
