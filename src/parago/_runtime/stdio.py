"""Printing from goroutines in several processes.

Owns: the buffering of sys.stdout and sys.stderr while a runtime runs.

Invariants: while a runtime runs, every process writes each printed line in
one write, when the line ends. Go's fmt.Println writes straight through, so
lines of different goroutines appear in the order they were printed; with
Python's default block buffering of a pipe, P0's lines would come out at exit,
after the workers', and with PYTHONUNBUFFERED a print is two writes (the text,
then the newline) that another process's line can split. P0 gets its own
settings back when the run ends.
"""

from __future__ import annotations

import sys
from typing import Any


def one_write_per_line() -> list[tuple[Any, bool, bool]]:
    """Line-buffer stdout and stderr; returns what to give restore()."""
    saved: list[tuple[Any, bool, bool]] = []
    # Any: a replaced stream (pytest's capture, say) need not be a TextIOWrapper.
    streams: tuple[Any, ...] = (sys.stdout, sys.stderr)
    for stream in streams:
        try:
            saved.append((stream, stream.line_buffering, stream.write_through))
            stream.reconfigure(line_buffering=True, write_through=False)
        except (AttributeError, ValueError):
            saved.pop()
    return saved


def restore(saved: list[tuple[Any, bool, bool]]) -> None:
    for stream, line_buffering, write_through in saved:
        try:
            stream.flush()
            stream.reconfigure(line_buffering=line_buffering, write_through=write_through)
        except (AttributeError, ValueError):
            pass
