"""sync/atomic: the AT rows, in one process and across processes."""

from __future__ import annotations

import pytest

import parago as pg
from helpers import run, start_peer

pytestmark = pytest.mark.timeout(120)
A = pg.atomic


def test_at01_to_at03_int_ops():
    def main():
        for cls in (A.Int32, A.Int64, A.Uint32, A.Uint64):
            x = cls()
            assert x.load() == 0                       # AT-07: zero value ready
            assert x.add(5) == 5                       # AT-01: new value
            assert x.swap(9) == 5                      # AT-02: old value
            assert x.compare_and_swap(9, 11) is True   # AT-03
            assert x.compare_and_swap(9, 12) is False and x.load() == 11
            x.store(3)
            assert x.load() == 3
            assert cls(7).load() == 7
    pg.run(main, procs=1)


def test_at05_wraparound():
    def main():
        assert A.Int32(2**31 - 1).add(1) == -(2**31)
        assert A.Int64(2**63 - 1).add(1) == -(2**63)
        assert A.Uint32(0).add(-1) == 2**32 - 1
        u = A.Uint64(0)
        assert u.add(-1) == 2**64 - 1 and u.add(1) == 0
        with pytest.raises(OverflowError):
            A.Int32(2**31)
        with pytest.raises(OverflowError):
            A.Uint32().store(-1)
        with pytest.raises(TypeError):
            A.Int64().store(1.5)
    pg.run(main, procs=1)


def test_bool():
    def main():
        b = A.Bool()
        assert b.load() is False
        assert b.swap(True) is False and b.load() is True
        assert b.compare_and_swap(True, False) and not b.compare_and_swap(True, False)
    pg.run(main, procs=1)


def hammer(x, n, out):
    for _ in range(n):
        x.add(1)
        while True:
            v = x.load()
            if x.compare_and_swap(v, v + 1):
                break
    out.send(True)


@pytest.mark.parametrize("cls", ["Int32", "Int64", "Uint32", "Uint64"])
def test_at04_at13_hammer_from_many_goroutines(mode, cls):
    def main():
        x, out = getattr(A, cls)(), pg.chan(4)
        start_peer(mode, hammer, x, 2000, out)
        for _ in range(3):
            pg.go(hammer, x, 2000, out)
        for _ in range(4):
            out.recv()
        assert x.load() == 4 * 2 * 2000
    run(mode, main)


def test_at08_to_at11_value():
    def main():
        v = A.Value()
        assert v.load() is None                                        # AT-08
        v.store([1, 2])
        assert v.load() == [1, 2]
        with pytest.raises(pg.Panic, match="^sync/atomic: store of nil value into Value$"):
            v.store(None)                                              # AT-09
        with pytest.raises(pg.Panic, match="store of inconsistently typed value into Value"):
            v.store("str")
        assert v.swap([3]) == [1, 2]                                   # AT-10
        with pytest.raises(pg.Panic, match="swap of nil value"):
            v.swap(None)
        with pytest.raises(pg.Panic, match="compare and swap of nil value"):
            v.compare_and_swap([3], None)                              # AT-11
        with pytest.raises(pg.Panic, match="inconsistently typed values"):
            v.compare_and_swap([3], (4,))
        assert v.compare_and_swap([3], [4]) and not v.compare_and_swap([3], [5])
        assert v.load() == [4]
        e = A.Value()
        assert e.compare_and_swap(None, 1) and e.load() == 1
        assert A.Value().swap(5) is None
    pg.run(main, procs=1)


def value_counter(v, n, out):
    for _ in range(n):
        while True:
            cur = v.load()
            if v.compare_and_swap(cur, cur + 1):
                break
    out.send(True)


def test_at12_value_cas_counter(mode):
    def main():
        v, out = A.Value(), pg.chan(3)
        v.store(0)
        start_peer(mode, value_counter, v, 300, out)
        for _ in range(2):
            pg.go(value_counter, v, 300, out)
        for _ in range(3):
            out.recv()
        assert v.load() == 900
    run(mode, main)


def store_big(v, n, out):
    for i in range(n):
        v.store(("x" * 1000, i, "y" * 1000))
    out.send(True)


def test_at12_value_never_tears(mode):
    def main():
        v, out = A.Value(), pg.chan(1)
        v.store(("x" * 1000, -1, "y" * 1000))
        start_peer(mode, store_big, v, 500, out)
        while not len(out):
            a, i, b = v.load()
            assert a == "x" * 1000 and b == "y" * 1000
            pg.gosched()
        out.recv()
    run(mode, main)
