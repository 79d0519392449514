"""The environment variables a runtime reads, checked in one place.

Owns: parsing and validating PARAGO_SHM_SIZE, PARAGO_MAXPROCS,
PARAGO_START_METHOD and PARAGO_PREEMPT.

Invariants:
  - Every variable is checked when pg.run starts (Runtime.__init__ calls
    :func:`from_environ` before it touches /dev/shm or starts a process),
    whether or not this run would use it; a bad value raises ValueError
    naming the variable, the value and the accepted forms.
  - An unset or empty variable means the default.
"""

from __future__ import annotations

import os
import re

from .._shm import layout as L
from .._shm.arena import DEFAULT_SIZE, MIN_SIZE

START_METHODS = ("forkserver", "spawn")
MAX_SHM_SIZE = 1 << 44          # 16 TiB of address space: far below what mmap allows

_UNITS = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
_SIZE_FORMS = ("a number of bytes, or a number with a unit K, M, G or T "
               "(powers of 1024; KiB/MB/GiB also read), e.g. 512M, 64G")


class Config:
    __slots__ = ("preempt", "procs", "shm_size", "start_method")

    def __init__(self, shm_size: int, procs: int | None, start_method: str,
                 preempt: bool = True) -> None:
        self.shm_size = shm_size
        self.procs = procs
        self.start_method = start_method
        self.preempt = preempt


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def parse_size(text: str) -> int:
    """Bytes in ``text`` ("67108864", "64M", "1.5G", "64MiB"); ValueError if
    it is no size."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(text)
    return int(float(m.group(1)) * (1 << _UNITS[m.group(2).upper()]))


def shm_size() -> int:
    raw = _get("PARAGO_SHM_SIZE")
    if not raw:
        return DEFAULT_SIZE
    try:
        n = parse_size(raw)
    except ValueError:
        raise ValueError(f"PARAGO_SHM_SIZE={raw!r} is not a size: use {_SIZE_FORMS}") from None
    if not MIN_SIZE <= n <= MAX_SHM_SIZE:
        raise ValueError(f"PARAGO_SHM_SIZE={raw!r} is out of range: it must be from 1M to 16T "
                         f"({_SIZE_FORMS})")
    return n


def max_procs() -> int | None:
    """PARAGO_MAXPROCS, or None when unset."""
    raw = _get("PARAGO_MAXPROCS")
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if not 1 <= n <= L.MAXP:
        raise ValueError(f"PARAGO_MAXPROCS={raw!r} must be a whole number of processes "
                         f"from 1 to {L.MAXP}")
    return n


def start_method() -> str:
    raw = _get("PARAGO_START_METHOD") or START_METHODS[0]
    if raw not in START_METHODS:
        raise ValueError(f"PARAGO_START_METHOD={raw!r} must be one of: "
                         f"{', '.join(START_METHODS)}")
    return raw


_ON = ("1", "on", "yes", "true")
_OFF = ("0", "off", "no", "false")


def preempt() -> bool:
    """PARAGO_PREEMPT: may a long-running goroutine be preempted when another
    process wakes a goroutine of its P (docs/design.md, "Placement")?"""
    raw = _get("PARAGO_PREEMPT").lower()
    if not raw or raw in _ON:
        return True
    if raw in _OFF:
        return False
    raise ValueError(f"PARAGO_PREEMPT={raw!r} must be 1 or 0 (also on/off, yes/no, true/false)")


def from_environ() -> Config:
    """Every variable, checked."""
    return Config(shm_size(), max_procs(), start_method(), preempt())
