"""A ring buffer of variable-size frames, for buffered channels.

Owns: the bytes of one ring and the three words that describe its contents,
``[HEAD, TAIL, USED]`` (byte positions relative to the ring's base, and the
bytes in use including any gap skipped at the end on wrap-around). The frame
count lives with the owner (a channel's COUNT), which also holds the lock.

Each frame is a value cell (values.py). A frame that does not fit between
TAIL and the end wraps to the start; the gap is marked with a VK_WRAP word
when it has room for one (a gap of 0 needs no marker).

Invariants (``reserve`` is the owner's promise about future frames):
  - ``USED + (cap - count) * SPILL_FRAME + WRAP_SLACK <= size`` always holds,
    so a spilled frame (3 words) always fits while count < cap: a send that
    the channel's capacity admits can never block on ring bytes.
  - A frame is published by the owner's COUNT/TAIL update after its bytes are
    written, and consumed by advancing HEAD after it was read; the owner's
    undo log makes both updates crash-atomic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import values as V

if TYPE_CHECKING:
    from .arena import Arena

SPILL_FRAME = 24
WRAP_SLACK = 16
INLINE_MAX = 4096

HEAD = 0
TAIL = 1
USED = 2


def ring_bytes(cap: int) -> int:
    """Size of the ring for a channel of capacity ``cap``."""
    return max(cap * SPILL_FRAME + WRAP_SLACK, min(cap * 64, 256 << 10))


def push(arena: Arena, M: memoryview, r: int, base_b: int, size: int, count: int, cap: int,
         kind: int, payload: Any) -> None:
    """Append an encoded value; ``count`` frames are in the ring now."""
    if count == 0:
        head = tail = used = 0
    else:
        head, tail, used = M[r], M[r + 1], M[r + 2]
    # Bytes this frame may take inline and still leave room for the rest.
    room = size - used - (cap - count - 1) * SPILL_FRAME - WRAP_SLACK
    inline_cap = min(INLINE_MAX, room - 16)
    nw = V.cell_words(kind, payload, inline_cap)
    pos, waste = _place(head, tail, count, size, nw * 8)
    if pos < 0 or nw * 8 + waste > room:
        nw = 3
        pos, waste = _place(head, tail, count, size, 24)
        inline_cap = -1
    if waste >= 8:
        M[(base_b + tail) >> 3] = V.VK_WRAP
    V.put_at(arena, M, (base_b + pos) >> 3, kind, payload, inline_cap)
    M[r] = head
    M[r + 1] = pos + nw * 8
    M[r + 2] = used + waste + nw * 8


def _place(head: int, tail: int, count: int, size: int, nbytes: int) -> tuple[int, int]:
    """Where a frame of ``nbytes`` goes: (position, bytes wasted at the end),
    or (-1, 0) if it does not fit."""
    if count == 0:
        return (0, 0) if nbytes <= size else (-1, 0)
    if tail > head or (tail == head and count == 0):
        if tail + nbytes <= size:
            return tail, 0
        if nbytes <= head:
            return 0, size - tail
        return -1, 0
    if tail < head and tail + nbytes <= head:
        return tail, 0
    return -1, 0


def head_cell(M: memoryview, r: int, base_b: int, size: int) -> int:
    """Word index of the oldest frame, skipping a wrap gap (fixes HEAD/USED)."""
    head = M[r]
    if head >= size or M[(base_b + head) >> 3] == V.VK_WRAP:
        M[r + 2] -= size - head
        M[r] = head = 0
    return (base_b + head) >> 3


# What pop_small returns when the oldest frame holds neither an int nor None.
# A Python global, not a C one, compiled too: the switch to the twin
# (use_compiled) then hands Python code the very object the twin returns.
NOT_SMALL = object()


def pop_small(M: memoryview, r: int, base_b: int, size: int) -> Any:
    """Remove the oldest frame and return its value if it is an int or None:
    these decode without running user code, so even under the owner's lock,
    and need no raw tuple. Otherwise leave it and return NOT_SMALL."""
    w = head_cell(M, r, base_b, size)
    kind = M[w]
    if kind == V.VK_INT:
        v: Any = M[w + 1]
    elif kind == V.VK_NONE:
        v = None
    else:
        return NOT_SMALL
    nbytes = V.cell_words_at(M, w) * 8
    M[r] += nbytes
    M[r + 2] -= nbytes
    return v


def pop_raw(arena: Arena, M: memoryview, r: int, base_b: int, size: int
            ) -> tuple[int, int, Any]:
    """Remove the oldest frame; its value comes back raw (values.take_raw)."""
    w = head_cell(M, r, base_b, size)
    nbytes = V.cell_words_at(M, w) * 8
    raw = V.take_raw_at(arena, M, w)
    M[r] += nbytes
    M[r + 2] -= nbytes
    return raw


def push_raw(arena: Arena, M: memoryview, r: int, base_b: int, size: int, count: int,
             cap: int, raw: tuple[int, int, Any]) -> None:
    """Append a value taken raw out of another cell (values.take_raw)."""
    kind, a, data = raw
    if kind & V.VK_SPILL:
        # Already spilled: the frame just names the block.
        if count == 0:
            head = tail = used = 0
        else:
            head, tail, used = M[r], M[r + 1], M[r + 2]
        pos, waste = _place(head, tail, count, size, 24)
        if waste >= 8:
            M[(base_b + tail) >> 3] = V.VK_WRAP
        V.put_raw_at(M, (base_b + pos) >> 3, raw)
        M[r] = head
        M[r + 1] = pos + 24
        M[r + 2] = used + waste + 24
    elif kind == V.VK_INT or kind == V.VK_NONE:
        push(arena, M, r, base_b, size, count, cap, kind, a)
    else:
        push(arena, M, r, base_b, size, count, cap, kind, data)


def drop_head(arena: Arena, M: memoryview, r: int, base_b: int, size: int,
              discard: bool) -> int:
    """Advance past the oldest frame; returns the word index it had. With
    ``discard`` its spill block is freed too."""
    w = head_cell(M, r, base_b, size)
    nbytes = V.cell_words_at(M, w) * 8
    if discard:
        V.discard(arena, w)
    M[r] += nbytes
    M[r + 2] -= nbytes
    return w


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
