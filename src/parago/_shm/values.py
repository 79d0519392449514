"""Values in shared memory: encoding, and the cells that hold them.

Owns: the value codec (what bytes a Python value becomes) and the layout of a
*cell*, the unit every value occupies in shared memory: a wait record's value
slot and each frame of a channel ring are cells.

    cell = [kind, a, data...]
      VK_NONE                      a = 0, no data
      VK_INT                       a = the value (fits in int64)
      VK_STR/BYTES/BYTEARRAY/PICKLE  a = nbytes, data = the bytes, inline
      any of those | VK_SPILL      a = nbytes, data[0] = address of a K_DATA block
      VK_P5 | VK_SPILL             pickle protocol 5 with out-of-band buffers,
                                   always spilled (see _write_p5)

Invariants:
  - Every value is copied: encoding happens in the sender, decoding in the
    receiver, and a decoded value shares nothing with shared memory (buffers
    are copied out before the spill block is freed).
  - A spill block belongs to the cell that names it; taking the value out of
    the cell frees the block, exactly once (``take``); ``discard`` frees it
    without decoding. A block made ahead by ``spill`` belongs to its raw
    value until ``put_raw_at`` writes it into a cell or ``discard_raw``
    frees it.
  - Encoding never touches shared memory, so an unpicklable value fails in the
    sender before any shared state changes.
"""

from __future__ import annotations

import io
import marshal
import pickle
import types
from collections import ChainMap
from typing import TYPE_CHECKING, Any

from . import layout as L

if TYPE_CHECKING:
    from collections.abc import Callable

    from .arena import Arena

VK_NONE = 1
VK_INT = 2
VK_STR = 3
VK_BYTES = 4
VK_BYTEARRAY = 5
VK_PICKLE = 6
VK_P5 = 7
VK_WRAP = 15          # ring only: skip to the ring's start
VK_SPILL = 16

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1

# Types whose values cannot be observed to be shared, so a receiver in the same
# process may get the very object the sender passed (DESIGN decision 3).
IMMUTABLE_SCALARS = frozenset({int, float, str, bytes, bool, type(None), complex, range})

_dumps = pickle.dumps
_loads = pickle.loads


def immutable(v: object) -> bool:
    """True if handing ``v`` itself to another goroutine cannot be told apart
    from handing it a copy."""
    t = type(v)
    if t in IMMUTABLE_SCALARS:
        return True
    if t is tuple or t is frozenset:
        for x in v:  # type: ignore[attr-defined]  # a tuple or frozenset
            if not immutable(x):
                return False
        return True
    return False


def dumps(v: object, bufs: list[pickle.PickleBuffer] | None = None) -> bytes:
    """Pickle ``v`` for another process: by reference where the receiver can
    import it, by value (cloudpickle) for lambdas, closures and anything
    defined in ``__main__`` (workers do not import the main module).
    Out-of-band buffers (protocol 5) are appended to ``bufs`` if given."""
    found: list[pickle.PickleBuffer] = []
    cb = found.append if bufs is not None else None
    try:
        stream = _dumps(v, 5, buffer_callback=cb)
        if b"__main__" not in stream:
            if bufs is not None:
                bufs.extend(found)
            return stream
    except Exception as e:  # noqa: BLE001 - retry by value
        if "'_io." in str(e):
            # cloudpickle would send an open file's *contents* as a StringIO:
            # a copy nobody asked for. Refuse, as pickle does.
            raise TypeError(f"{e} (pass a file's path, not the open file)") from None
    found.clear()
    stream = dumps_by_value(v, cb)
    if bufs is not None:
        bufs.extend(found)
    return stream


def _code_reduce(code: types.CodeType) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
    # A code object as .pyc files hold it (marshal): every field kept,
    # co_filename included. cloudpickle's own reducer renames the file to
    # "<dynamic-code>" (for byte-identical payloads wherever a function is
    # defined), which leaves tracebacks, dumps and linecache nothing to show.
    # Every P runs the same interpreter, so marshal's format is shared.
    return marshal.loads, (marshal.dumps(code),)


_by_value_pickler: Any = None     # cloudpickle's Pickler with _code_reduce, once needed


def dumps_by_value(v: object,
                   buffer_callback: Callable[[pickle.PickleBuffer], object] | None = None) -> bytes:
    """cloudpickle's bytes for ``v``, with its code objects' file names kept."""
    global _by_value_pickler
    if _by_value_pickler is None:
        import cloudpickle

        class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]  # cloudpickle ships no types
            dispatch_table = ChainMap({types.CodeType: _code_reduce},
                                      cloudpickle.Pickler.dispatch_table)

        _by_value_pickler = _Pickler
    with io.BytesIO() as f:
        _by_value_pickler(f, 5, buffer_callback=buffer_callback).dump(v)
        data: bytes = f.getvalue()
        return data


# ---- functions copied by value, cached ------------------------------------------
#
# A function of __main__ (or a lambda, a closure) travels by value: cloudpickle
# copies its code and what it captures. Doing that for every go() costs tens of
# microseconds, so the bytes are cached per function object and reused while
# nothing the function captures has been rebound (its closure cells' contents,
# the globals its code names, its defaults). On the receiving side the loaded
# function is cached by its bytes, so within one process copies of it share one
# function object (and its globals) — as functions of importable modules do.

_CODE_GLOBALS: dict[types.CodeType, tuple[str, ...]] = {}
# id(fn) -> (weakref to fn, its fingerprint, its bytes)
_SENT: dict[int, tuple[Any, tuple[Any, ...], bytes]] = {}
_LOADED: dict[bytes, Any] = {}
_CACHE_MAX = 4096
_MISSING = object()


def _global_names(code: types.CodeType) -> tuple[str, ...]:
    names = _CODE_GLOBALS.get(code)
    if names is None:
        found = set(code.co_names)
        for const in code.co_consts:
            if hasattr(const, "co_names"):
                found.update(_global_names(const))
        names = _CODE_GLOBALS[code] = tuple(sorted(found))
    return names


def _fingerprint(fn: Any) -> tuple[Any, ...]:
    cells = fn.__closure__ or ()
    contents: list[int | None] = []
    for c in cells:
        try:
            contents.append(id(c.cell_contents))
        except ValueError:
            contents.append(None)
    g = fn.__globals__
    return (fn.__code__, tuple(contents),
            tuple(id(g.get(n, _MISSING)) for n in _global_names(fn.__code__)),
            id(fn.__defaults__), id(fn.__kwdefaults__), id(fn.__dict__))


def dumps_function(fn: Any) -> bytes | None:
    """The by-value bytes of a plain function that needs them (None: it
    pickles by reference, let pickle do it)."""
    if getattr(fn, "__code__", None) is None or getattr(fn, "__module__", None) != "__main__" \
            and fn.__qualname__.find("<") < 0:
        return None
    key = id(fn)
    fp = _fingerprint(fn)
    hit = _SENT.get(key)
    if hit is not None and hit[0]() is fn and hit[1] == fp:
        return hit[2]
    import weakref
    data = dumps_by_value(fn)
    if len(_SENT) >= _CACHE_MAX:
        _SENT.clear()
    try:
        _SENT[key] = (weakref.ref(fn), fp, data)
    except TypeError:
        pass
    return data


def forget_functions() -> None:
    """Drop both caches: called when a runtime ends. Their entries hold (and
    are) copies of functions whose closures name objects of that runtime, so
    kept they would keep its handles, and with them its arena, alive."""
    _SENT.clear()
    _LOADED.clear()


def loads_function(data: bytes) -> Any:
    fn = _LOADED.get(data)
    if fn is None:
        fn = _loads(data)
        if len(_LOADED) >= _CACHE_MAX:
            _LOADED.clear()
        _LOADED[data] = fn
    return fn


def _pickle(v: object) -> tuple[int, Any]:
    bufs: list[pickle.PickleBuffer] = []
    try:
        stream = dumps(v, bufs)
    except Exception as e:
        raise TypeError(
            f"cannot copy a value of type {type(v).__name__!r} between goroutines: {e}"
        ) from e
    if bufs:
        return VK_P5, (stream, [b.raw() for b in bufs])
    return VK_PICKLE, stream


def word_kind(v: Any) -> int:
    """VK_INT or VK_NONE when ``v`` travels in one word, with ``v`` itself
    as its payload; else 0. The hot senders ask this first: it answers
    encode's commonest cases without making the pair."""
    if v is None:
        return VK_NONE
    if type(v) is int and _INT_MIN <= v <= _INT_MAX:
        return VK_INT
    return 0


def encode(v: Any) -> tuple[int, Any]:
    """The (kind, payload) a value travels as. Raises TypeError if it cannot."""
    kind = word_kind(v)
    if kind:
        return kind, v
    t = type(v)
    if t is int:
        pass         # beyond 64 bits: pickled
    elif t is str:
        try:
            return VK_STR, v.encode()
        except UnicodeEncodeError:
            pass  # lone surrogates: let pickle carry them
    elif t is bytes:
        return VK_BYTES, v
    elif t is bytearray:
        return VK_BYTEARRAY, v
    return _pickle(v)


def decode(kind: int, payload: Any) -> Any:
    """Inverse of :func:`encode`, from the payload in process memory."""
    if kind == VK_INT:
        return payload
    if kind == VK_NONE:
        return None
    if kind == VK_STR:
        return bytes(payload).decode()
    if kind == VK_BYTES:
        return bytes(payload)
    if kind == VK_BYTEARRAY:
        return bytearray(payload)
    if kind == VK_PICKLE:
        return _loads(payload)
    if kind == VK_P5:
        stream, bufs = payload
        return _loads(stream, buffers=[bytearray(b) for b in bufs])
    raise ValueError(f"bad value kind {kind}")


def cell_words(kind: int, payload: Any, inline_cap: int) -> int:
    """How many words the cell for an encoded value takes if inline data may
    use at most ``inline_cap`` bytes."""
    if kind == VK_INT or kind == VK_NONE:
        return 2
    if kind == VK_P5:
        return 3
    n = len(payload)
    if n <= inline_cap:
        return 2 + ((n + 7) >> 3)
    return 3


def put(arena: Arena, w: int, kind: int, payload: Any, inline_cap: int) -> int:
    """Write the encoded value into the cell at word ``w``; returns the words
    used. Spills to a K_DATA block when the data exceeds ``inline_cap``."""
    return put_at(arena, arena.M, w, kind, payload, inline_cap)


# The *_at forms take the arena's words too: a compiled caller that holds
# them as a typed view passes it at C level (no view object is made).

def put_at(arena: Arena, M: memoryview, w: int, kind: int, payload: Any,
           inline_cap: int) -> int:
    """:func:`put`, given ``M``, the arena's words."""
    if kind == VK_INT:
        M[w + 1] = payload
        M[w] = VK_INT
        return 2
    if kind == VK_NONE:
        M[w + 1] = 0
        M[w] = VK_NONE
        return 2
    if kind == VK_P5:
        return put_raw_at(M, w, spill(arena, kind, payload))
    n = len(payload)
    if n <= inline_cap:
        b = (w + 2) << 3
        arena.B[b:b + n] = payload
        M[w + 1] = n
        M[w] = kind
        return 2 + ((n + 7) >> 3)
    return put_raw_at(M, w, spill(arena, kind, payload))


# A value this large is spilled to a block of its own before a channel's
# lock is taken (spill): copying it must not hold the channel, where a
# receiver would wait for the lock. Above ring.INLINE_MAX a value is spilled
# wherever it goes, so doing it early costs nothing more.
SPILL_AHEAD = 4096


def spill(arena: Arena, kind: int, payload: Any) -> tuple[int, int, Any]:
    """Write an encoded value (not VK_INT/VK_NONE) to a K_DATA block of its
    own; returns the raw form of a cell naming it (see :func:`take_raw`)."""
    if kind == VK_P5:
        return VK_P5 | VK_SPILL, 0, _write_p5(arena, payload)
    n = len(payload)
    blk = arena.alloc(16 + n, L.K_DATA)
    arena.M[(blk >> 3) + 1] = n
    arena.B[blk + 16:blk + 16 + n] = payload
    return kind | VK_SPILL, n, blk


def put_raw_at(M: memoryview, w: int, raw: tuple[int, int, Any]) -> int:
    """Write a spilled raw value (from :func:`spill` or :func:`take_raw`)
    into the cell at word ``w``; returns the words used (3)."""
    kind, a, blk = raw
    M[w + 2] = blk
    M[w + 1] = a
    M[w] = kind
    return 3


def discard_raw(arena: Arena, raw: tuple[int, int, Any]) -> None:
    """Free a spilled raw value nobody will decode."""
    arena.free(raw[2])


def _write_p5(arena: Arena, payload: Any) -> int:
    """[K_DATA, total, stream_len, nbufs, len_1..len_n, stream, buf_1, ...],
    each piece starting on an 8-byte boundary."""
    stream, bufs = payload
    pieces = [stream, *bufs]
    hdr_words = 4 + len(bufs)
    total = hdr_words * 8 + sum((len(p) + 7) & ~7 for p in pieces)
    blk = arena.alloc(total, L.K_DATA)
    M, B = arena.M, arena.B
    w = blk >> 3
    M[w + 1] = total
    M[w + 2] = len(stream)
    M[w + 3] = len(bufs)
    off = blk + hdr_words * 8
    for i, p in enumerate(pieces):
        if i:
            M[w + 3 + i] = len(p)
        n = len(p)
        B[off:off + n] = p
        off += (n + 7) & ~7
    return blk


def _read_p5(arena: Arena, blk: int) -> Any:
    M, B = arena.M, arena.B
    w = blk >> 3
    slen, nbufs = M[w + 2], M[w + 3]
    off = blk + (4 + nbufs) * 8
    stream = bytes(B[off:off + slen])
    off += (slen + 7) & ~7
    bufs: list[bytearray] = []
    for i in range(nbufs):
        n = M[w + 4 + i]
        bufs.append(bytearray(B[off:off + n]))
        off += (n + 7) & ~7
    return _loads(stream, buffers=bufs)


def take_raw(arena: Arena, w: int) -> tuple[int, int, Any]:
    """Move the value out of the cell at word ``w`` into process memory without
    decoding it (decoding may run user code, so it must not happen under a
    lock). The cell's spill block, if any, now belongs to the returned raw
    value and is freed by :func:`decode_raw`."""
    return take_raw_at(arena, arena.M, w)


def take_raw_at(arena: Arena, M: memoryview, w: int) -> tuple[int, int, Any]:
    """:func:`take_raw`, given ``M``, the arena's words."""
    kind = M[w]
    if kind == VK_INT or kind == VK_NONE:
        return kind, M[w + 1], None
    if kind & VK_SPILL:
        return kind, M[w + 1], M[w + 2]
    n = M[w + 1]
    b = (w + 2) << 3
    return kind, n, arena.B[b:b + n].tobytes()


def decode_raw(arena: Arena, raw: tuple[int, int, Any]) -> Any:
    """The value of a raw cell from :func:`take_raw`; frees its spill block."""
    kind, a, data = raw
    if kind == VK_INT:
        return a
    if kind == VK_NONE:
        return None
    if kind & VK_SPILL:
        try:
            if kind == VK_P5 | VK_SPILL:
                return _read_p5(arena, data)
            return _from_bytes(kind & ~VK_SPILL, arena.B[data + 16:data + 16 + a])
        finally:
            arena.free(data)
    return _from_bytes(kind, data)


def take(arena: Arena, w: int) -> Any:
    """Decode the value in the cell at word ``w`` (no lock may be held)."""
    return decode_raw(arena, take_raw(arena, w))


def _from_bytes(kind: int, mv: Any) -> Any:
    if kind == VK_STR:
        return str(mv, "utf-8")
    if kind == VK_BYTES:
        return bytes(mv)
    if kind == VK_BYTEARRAY:
        return bytearray(mv)
    if kind == VK_PICKLE:
        return _loads(mv)
    raise ValueError(f"bad value kind {kind}")


def discard(arena: Arena, w: int) -> None:
    """Drop the value in the cell at word ``w`` without decoding it."""
    kind = arena.M[w]
    if kind & VK_SPILL:
        arena.free(arena.M[w + 2])


def copy_cell_words(arena: Arena, src_w: int) -> int:
    """Words the cell at ``src_w`` occupies where it is."""
    return cell_words_at(arena.M, src_w)


def cell_words_at(M: memoryview, w: int) -> int:
    """:func:`copy_cell_words`, given ``M``, the arena's words."""
    kind = M[w]
    if kind == VK_INT or kind == VK_NONE:
        return 2
    if kind & VK_SPILL:
        return 3
    return 2 + ((M[w + 1] + 7) >> 3)


def sizeof_payload(kind: int, payload: Any) -> int:
    """Bytes of an encoded value's data."""
    if kind == VK_INT or kind == VK_NONE:
        return 8
    if kind == VK_P5:
        n = len(payload[0])
        for b in payload[1]:
            n += len(b)
        return n
    return len(payload)



from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
