"""Go's sync/atomic across processes: Int32, Int64, Uint32, Uint64, Bool, Value.

The integers and Bool are one word in shared memory changed only by the
native sequentially consistent atomics (lock-free; MM-11): add returns the new
value and wraps modulo 2^32 / 2^64 as Go's do (AT-01, AT-05), swap returns
the old one (AT-02). Value holds any picklable object: its data is copied in
on store and out on load, so it never tears (AT-12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core import cells as _k
from ._errors import Panic
from ._handle import ShmObject, current_arena

if TYPE_CHECKING:
    from ._core.protocols import Arena

__all__ = ["Bool", "Int32", "Int64", "Uint32", "Uint64", "Value"]


class _Atomic(ShmObject):
    __slots__ = ("_vb",)

    if TYPE_CHECKING:       # each kind has its own (int or bool)
        def load(self) -> Any: ...
        def store(self, v: Any) -> None: ...
    _REFS_OFF = _k.REFS_OFF

    def __init__(self, v: int = 0) -> None:
        arena = current_arena()
        self._attach(arena, _k.create_atomic(arena))
        if v:
            self.store(v)

    def _attach(self, arena: Arena, b: int) -> None:
        super()._attach(arena, b)
        self._vb = b + _k.VALUE_OFF

    def __repr__(self) -> str:
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
    def _check_range(cls, v: Any) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"{cls.__name__} holds ints, not {type(v).__name__}")
        lo = -(1 << (cls.BITS - 1)) if cls.SIGNED else 0
        hi = (1 << (cls.BITS - 1)) - 1 if cls.SIGNED else (1 << cls.BITS) - 1
        if not lo <= v <= hi:
            raise OverflowError(f"{v} does not fit in {cls.__name__}")
        return v

    def load(self) -> int:
        """The value now (AT-04: never torn)."""
        return self._norm(_k.load64(self) if self.BITS == 64 else _k.load32(self))

    def store(self, v: int) -> None:
        """Set the value. TypeError if ``v`` is not an int, OverflowError
        if it does not fit the type."""
        v = self._norm(self._check_range(v))
        if self.BITS == 64:
            _k.store64(self, v)
        else:
            _k.store32(self, v)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**bits as
        Go does (AT-05); returns the new value (AT-01). TypeError if
        ``delta`` is not an int."""
        if not isinstance(delta, int):
            raise TypeError("delta must be an int")
        d = delta & ((1 << self.BITS) - 1)
        return self._norm(_k.add64(self, d) if self.BITS == 64 else _k.add32(self, d))

    def swap(self, v: int) -> int:
        """Set the value to ``v`` and return the old one (AT-02)."""
        v = self._norm(self._check_range(v))
        return self._norm(_k.swap64(self, v) if self.BITS == 64 else _k.swap32(self, v))

    def compare_and_swap(self, old: int, new: int) -> bool:
        """If the value is ``old``, set it to ``new`` and return True; else
        leave it and return False (AT-03)."""
        old = self._norm(self._check_range(old))
        new = self._norm(self._check_range(new))
        return _k.cas64(self, old, new) if self.BITS == 64 else _k.cas32(self, old, new)


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
        return _k.load64(self)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**64 as
        Go does (AT-05); returns the new value (AT-01)."""
        return _k.add64(self, delta)


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
        return _k.load32(self)

    def add(self, delta: int) -> int:
        """Add ``delta`` (negative to subtract), wrapping modulo 2**32 as
        Go does (AT-05); returns the new value (AT-01)."""
        return _k.add32(self, delta)


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

    def __init__(self, v: bool = False) -> None:
        super().__init__(1 if v else 0)

    def load(self) -> bool:
        """The value now, True or False."""
        return _k.load64(self) != 0

    def store(self, v: bool) -> None:
        """Set the value to ``bool(v)``."""
        _k.store64(self, 1 if v else 0)

    def swap(self, v: bool) -> bool:
        """Set the value to ``bool(v)`` and return the old one."""
        return _k.swap64(self, 1 if v else 0) != 0

    def compare_and_swap(self, old: bool, new: bool) -> bool:
        """If the value is ``old``, set it to ``new`` and return True; else
        return False."""
        return _k.cas64(self, 1 if old else 0, 1 if new else 0)


# ---- Value ----------------------------------------------------------------------------


def _type_name(v: Any) -> str:
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
    _REFS_OFF = _k.REFS_OFF

    def __init__(self) -> None:
        arena = current_arena()
        self._attach(arena, _k.create_value(arena))

    def _attach(self, arena: Arena, b: int) -> None:
        super()._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8

    @staticmethod
    def _free_block(arena: Arena, b: int) -> None:
        _k.free_value(arena, b)

    def load(self) -> Any:
        """A copy of the value stored last, or None before any store."""
        self._check()
        return _k.value_load(self)

    def _put(self, obj: Any, what: str, expect: Any = None, compare: bool = False) -> int | bool:
        self._check()
        if obj is None:
            raise Panic(f"sync/atomic: {what} of nil value into Value")
        try:
            return _k.value_put(self, obj, _type_name(obj), expect, compare)
        except _k.TypeChanged:
            raise Panic(f"sync/atomic: {what} of inconsistently typed value into Value") from None

    def store(self, obj: Any) -> None:
        """Store a copy of ``obj``. Panic for None or a change of type."""
        old = self._put(obj, "store")
        if old:
            _k.take_replaced(self._arena, old, False)

    def swap(self, obj: Any) -> Any:
        """Store ``obj``; returns the previous value (None if none, AT-10).
        Panic for None or a change of type."""
        old = self._put(obj, "swap")
        return _k.take_replaced(self._arena, old, True) if old else None

    def compare_and_swap(self, old: Any, new: Any) -> bool:
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
            _k.take_replaced(self._arena, prev, False)
        return True
