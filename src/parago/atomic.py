"""Go's sync/atomic across processes: Int32, Int64, Uint32, Uint64, Bool, Value.

The integers and Bool are one word in shared memory changed only by the
native sequentially consistent atomics (lock-free; MM-11): add returns the new
value and wraps modulo 2^32 / 2^64 as Go's do (AT-01, AT-05), swap returns
the old one (AT-02). Value holds any picklable object: its data is copied in
on store and out on load, so it never tears (AT-12).
"""

from __future__ import annotations

from ._errors import Panic
from ._handle import ShmObject, current_arena
from ._shm import layout as L
from ._shm import lock as _lock
from ._shm import syncrec as R
from ._shm import values as V

__all__ = ["Bool", "Int32", "Int64", "Uint32", "Uint64", "Value"]

_X = 4 * 8              # byte offset of the value word in a small record


class _Atomic(ShmObject):
    __slots__ = ("_vb",)
    _REFS_OFF = R.R_REFS * 8

    def __init__(self, v=0):
        arena = current_arena()
        self._attach(arena, R.create_small(arena, R.T_ATOMIC))
        if v:
            self.store(v)

    def _attach(self, arena, b):
        super()._attach(arena, b)
        self._vb = b + _X

    def __repr__(self):
        return f"{type(self).__name__}({self.load()!r})"


class _Int(_Atomic):
    __slots__ = ()
    BITS = 64
    SIGNED = True

    @classmethod
    def _norm(cls, v: int) -> int:
        """Go's two's-complement view of ``v`` in this type."""
        mask = (1 << cls.BITS) - 1
        v &= mask
        if cls.SIGNED and v >> (cls.BITS - 1):
            v -= 1 << cls.BITS
        return v

    @classmethod
    def _check_range(cls, v) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{cls.__name__} holds ints, not {type(v).__name__}")
        lo = -(1 << (cls.BITS - 1)) if cls.SIGNED else 0
        hi = (1 << (cls.BITS - 1)) - 1 if cls.SIGNED else (1 << cls.BITS) - 1
        if not lo <= v <= hi:
            raise OverflowError(f"{v} does not fit in {cls.__name__}")
        return v

    def load(self) -> int:
        """The value now (AT-04: never torn)."""
        m = self._arena.mem
        return self._norm(m.load64(self._vb) if self.BITS == 64 else m.load32(self._vb))

    def store(self, v: int) -> None:
        """Set the value. TypeError if ``v`` is not an int, OverflowError
        if it does not fit the type."""
        v = self._norm(self._check_range(v))
        if self.BITS == 64:
            self._arena.mem.store64(self._vb, v)
        else:
            self._arena.mem.store32(self._vb, v)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**bits as
        Go does (AT-05); returns the new value (AT-01). TypeError if
        ``delta`` is not an int."""
        if not isinstance(delta, int):
            raise TypeError("delta must be an int")
        d = delta & ((1 << self.BITS) - 1)
        m = self._arena.mem
        return self._norm(m.add64(self._vb, d) if self.BITS == 64 else m.add32(self._vb, d))

    def swap(self, v: int) -> int:
        """Set the value to ``v`` and return the old one (AT-02)."""
        v = self._norm(self._check_range(v))
        m = self._arena.mem
        return self._norm(m.swap64(self._vb, v) if self.BITS == 64 else m.swap32(self._vb, v))

    def compare_and_swap(self, old: int, new: int) -> bool:
        """If the value is ``old``, set it to ``new`` and return True; else
        leave it and return False (AT-03)."""
        old = self._norm(self._check_range(old))
        new = self._norm(self._check_range(new))
        m = self._arena.mem
        return m.cas64(self._vb, old, new) if self.BITS == 64 else m.cas32(self._vb, old, new)


class Int64(_Int):
    """Go's atomic.Int64: a int64 shared by every process.

        n = pg.atomic.Int64()      # 0; Int64(5) starts at 5
        n.add(1)                     # the new value, wrapping as Go's does
        n.load(), n.store(7), n.swap(8), n.compare_and_swap(8, 9)

    One word of shared memory, changed by the processor's atomic
    instructions: lock-free, sequentially consistent (MM-11), the same
    object in every process. Values out of range raise OverflowError,
    non-ints TypeError. Make it inside a running runtime (NoRuntime
    otherwise); pass it to goroutines in any process."""
    __slots__ = ()

    # The native 64-bit ops already wrap and return signed values: no
    # conversion needed on the hot paths.
    def load(self) -> int:
        """The value now (AT-04: never torn)."""
        return self._arena.mem.load64(self._vb)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**64 as
        Go does (AT-05); returns the new value (AT-01)."""
        return self._arena.mem.add64(self._vb, delta)


class Int32(_Int):
    """Go's atomic.Int32: a int32 shared by every process.

        n = pg.atomic.Int32()      # 0; Int32(5) starts at 5
        n.add(1)                     # the new value, wrapping as Go's does
        n.load(), n.store(7), n.swap(8), n.compare_and_swap(8, 9)

    One word of shared memory, changed by the processor's atomic
    instructions: lock-free, sequentially consistent (MM-11), the same
    object in every process. Values out of range raise OverflowError,
    non-ints TypeError. Make it inside a running runtime (NoRuntime
    otherwise); pass it to goroutines in any process."""
    __slots__ = ()
    BITS = 32

    def load(self) -> int:
        """The value now (AT-04: never torn)."""
        return self._arena.mem.load32(self._vb)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**32 as
        Go does (AT-05); returns the new value (AT-01)."""
        return self._arena.mem.add32(self._vb, delta)


class Uint64(_Int):
    """Go's atomic.Uint64: a uint64 shared by every process.

        n = pg.atomic.Uint64()      # 0; Uint64(5) starts at 5
        n.add(1)                     # the new value, wrapping as Go's does
        n.load(), n.store(7), n.swap(8), n.compare_and_swap(8, 9)

    One word of shared memory, changed by the processor's atomic
    instructions: lock-free, sequentially consistent (MM-11), the same
    object in every process. Values out of range raise OverflowError,
    non-ints TypeError. Make it inside a running runtime (NoRuntime
    otherwise); pass it to goroutines in any process."""
    __slots__ = ()
    SIGNED = False


class Uint32(_Int):
    """Go's atomic.Uint32: a uint32 shared by every process.

        n = pg.atomic.Uint32()      # 0; Uint32(5) starts at 5
        n.add(1)                     # the new value, wrapping as Go's does
        n.load(), n.store(7), n.swap(8), n.compare_and_swap(8, 9)

    One word of shared memory, changed by the processor's atomic
    instructions: lock-free, sequentially consistent (MM-11), the same
    object in every process. Values out of range raise OverflowError,
    non-ints TypeError. Make it inside a running runtime (NoRuntime
    otherwise); pass it to goroutines in any process."""
    __slots__ = ()
    BITS = 32
    SIGNED = False


class Bool(_Atomic):
    """Go's atomic.Bool: a bool shared by every process.

        flag = pg.atomic.Bool()      # False; Bool(True) starts True
        flag.store(True), flag.load(), flag.swap(False)
        flag.compare_and_swap(False, True)

    Lock-free and sequentially consistent (MM-11); any value is read as
    its truth, so nothing raises but NoRuntime. Make it inside a running
    runtime (NoRuntime otherwise); pass it to goroutines in any process."""
    __slots__ = ()

    def __init__(self, v: bool = False):
        super().__init__(1 if v else 0)

    def load(self) -> bool:
        """The value now, True or False."""
        return self._arena.mem.load64(self._vb) != 0

    def store(self, v: bool) -> None:
        """Set the value to ``bool(v)``."""
        self._arena.mem.store64(self._vb, 1 if v else 0)

    def swap(self, v: bool) -> bool:
        """Set the value to ``bool(v)`` and return the old one."""
        return self._arena.mem.swap64(self._vb, 1 if v else 0) != 0

    def compare_and_swap(self, old: bool, new: bool) -> bool:
        """If the value is ``old``, set it to ``new`` and return True; else
        return False."""
        return self._arena.mem.cas64(self._vb, 1 if old else 0, 1 if new else 0)


# ---- Value ----------------------------------------------------------------------------

_DATA = 4               # word: address of the data block holding the current value
_TYPENAME = 5           # word: address of a data block naming its type


def _type_name(v) -> str:
    t = type(v)
    return f"{t.__module__}.{t.__qualname__}"


class Value(ShmObject):
    """Go's atomic.Value: any object that can be copied, shared by every
    process.

        v = pg.atomic.Value()
        v.load()                     # None before any store (AT-08)
        v.store(config)              # a copy goes into shared memory
        v.swap(new_config)           # the previous value (AT-10)
        v.compare_and_swap(old, new) # compares with == (AT-11)

    Every load is a fresh copy and never torn (AT-12). Storing None, or a
    value of another type than the first one stored, raises Panic with
    Go's texts ("sync/atomic: store of nil value into Value", "... of
    inconsistently typed value into Value"; AT-09..11); a value that
    cannot be copied raises TypeError. Make it inside a running runtime
    (NoRuntime otherwise); use it from goroutines in any process."""

    __slots__ = ("_w", "_lb")
    _REFS_OFF = R.R_REFS * 8

    def __init__(self):
        arena = current_arena()
        self._attach(arena, R.create_small(arena, R.T_VALUE))

    def _attach(self, arena, b):
        super()._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8

    @staticmethod
    def _free_block(arena, b):
        M = arena.M
        for f in (_DATA, _TYPENAME):
            if M[(b >> 3) + f]:
                arena.free(M[(b >> 3) + f])
        arena.free(b)

    def _block(self, arena, obj) -> int:
        """A data block holding ``obj`` as one inline cell (never spilled, so
        reading it copies and never hands over memory)."""
        kind, payload = V.encode(obj)
        if kind == V.VK_P5:
            kind, payload = V.VK_PICKLE, V.dumps(obj)
        n = V.sizeof_payload(kind, payload)
        blk = arena.alloc(32 + n, L.K_DATA)
        V.put(arena, (blk >> 3) + 2, kind, payload, n)
        return blk

    def load(self):
        """A copy of the value stored last, or None before any store."""
        arena = self._check().arena
        _lock.acquire(arena, self._lb)
        try:
            blk = arena.M[self._w + _DATA]
            if not blk:
                return None
            raw = V.take_raw(arena, (blk >> 3) + 2)
        finally:
            _lock.release(arena, self._lb)
        return V.decode_raw(arena, raw)

    def _put(self, obj, what: str, expect=None, compare=False):
        arena = self._check().arena
        if obj is None:
            raise Panic(f"sync/atomic: {what} of nil value into Value")
        name = _type_name(obj)
        blk = self._block(arena, obj)
        M = arena.M
        old = 0
        try:
            _lock.acquire(arena, self._lb)
            try:
                tn = M[self._w + _TYPENAME]
                if tn and self._name_at(arena, tn) != name:
                    raise Panic(f"sync/atomic: {what} of inconsistently typed value into Value")
                cur = M[self._w + _DATA]
                if compare:
                    current = (V.decode_raw(arena, V.take_raw(arena, (cur >> 3) + 2))
                               if cur else None)
                    if not (current == expect or (current is None and expect is None)):
                        return False
                if not tn:
                    M[self._w + _TYPENAME] = self._name_block(arena, name)
                M[self._w + _DATA] = blk          # the single store that commits
                old = cur
                blk = 0
            finally:
                _lock.release(arena, self._lb)
        finally:
            if blk:
                arena.free(blk)
        return old

    @staticmethod
    def _name_block(arena, name: str) -> int:
        data = name.encode()
        b = arena.alloc(16 + len(data), L.K_DATA)
        arena.M[(b >> 3) + 1] = len(data)
        arena.B[b + 16:b + 16 + len(data)] = data
        return b

    @staticmethod
    def _name_at(arena, b: int) -> str:
        n = arena.M[(b >> 3) + 1]
        return arena.B[b + 16:b + 16 + n].tobytes().decode()

    def store(self, obj) -> None:
        """Store a copy of ``obj``. Panic for None or a change of type."""
        old = self._put(obj, "store")
        if old:
            self._arena.free(old)

    def swap(self, obj):
        """Store ``obj``; returns the previous value (None if none, AT-10).
        Panic for None or a change of type."""
        arena = self._arena
        old = self._put(obj, "swap")
        if not old:
            return None
        try:
            return V.decode_raw(arena, V.take_raw(arena, (old >> 3) + 2))
        finally:
            arena.free(old)

    def compare_and_swap(self, old, new) -> bool:
        """If the value == ``old`` (None: nothing stored yet), store ``new``
        and return True; else return False (AT-11). Panic for a None
        ``new`` or a change of type."""
        if new is None:
            raise Panic("sync/atomic: compare and swap of nil value into Value")
        if old is not None and type(old) is not type(new):
            raise Panic("sync/atomic: compare and swap of inconsistently typed values into Value")
        prev = self._put(new, "compare and swap", expect=old, compare=True)
        if prev is False:
            return False
        if prev:
            self._arena.free(prev)
        return True
