"""parago._native: atomics and futexes on a shared buffer, alone and hammered
from two processes."""

from __future__ import annotations

import mmap
import multiprocessing as mp
import os
import tempfile
import threading
import time

import pytest

from parago._native import Mem

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def mem():
    m = mmap.mmap(-1, 4096)
    x = Mem(m)
    yield x
    x.release()
    m.close()


def test_64bit_ops(mem):
    assert mem.load64(0) == 0
    assert mem.add64(0, 5) == 5                      # add returns the new value (AT-01)
    assert mem.swap64(0, 9) == 5                     # swap returns the old one (AT-02)
    assert mem.cas64(0, 9, 11) is True               # AT-03
    assert mem.cas64(0, 9, 12) is False and mem.load64(0) == 11
    mem.store64(8, -1)
    assert mem.load64(8) == -1
    assert mem.load64(0) == 11                       # neighbours untouched


def test_wraparound(mem):
    mem.store64(0, 2**63 - 1)
    assert mem.add64(0, 1) == -(2**63)               # AT-05: modulo 2^64
    mem.store64(0, 2**64 - 1)                        # unsigned patterns are accepted
    assert mem.load64(0) == -1
    mem.store32(16, 2**31 - 1)
    assert mem.add32(16, 1) == -(2**31)
    assert mem.add32(16, -1) == 2**31 - 1
    mem.store32(20, 2**32 - 1)
    assert mem.load32(20) == -1


def test_32bit_ops(mem):
    assert mem.add32(4, 3) == 3
    assert mem.swap32(4, 7) == 3
    assert mem.cas32(4, 7, 8) and not mem.cas32(4, 7, 9)
    assert mem.load32(4) == 8 and mem.load32(0) == 0


def test_bad_offsets_and_args(mem):
    for bad in (-8, 4096, 4092 + 8, 3):
        with pytest.raises(ValueError):
            mem.load64(bad)
    with pytest.raises(ValueError):
        mem.load32(2)
    with pytest.raises(OverflowError):
        mem.store32(0, 2**40)
    with pytest.raises(TypeError):
        mem.load64()
    with pytest.raises((TypeError, BufferError)):
        Mem(b"read-only bytes")


def test_release_then_use(mem):
    mem.release()
    with pytest.raises(ValueError, match="released"):
        mem.load64(0)


def test_futex_timeout_and_mismatch(mem):
    t0 = time.monotonic()
    assert mem.futex_wait(0, 0, 0.05) == 1
    assert time.monotonic() - t0 >= 0.04
    assert mem.futex_wait(0, 1, 1.0) == 2            # word != expected: returns at once
    assert mem.futex_wake(0, 1) == 0


def test_futex_wake_from_thread_releases_gil(mem):
    woke = []

    def waiter():
        woke.append(mem.futex_wait(0, 0, 10.0))

    t = threading.Thread(target=waiter)
    t.start()
    # The waiter sleeps with the GIL released, so this thread keeps running.
    deadline = time.monotonic() + 5
    while mem.futex_wake(0, 1) == 0:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    t.join(5)
    assert woke == [0]


def _hammer(path, n, start):
    fd = os.open(path, os.O_RDWR)
    m = mmap.mmap(fd, 4096)
    x = Mem(m)
    while x.load32(8) == 0:
        x.futex_wait(8, 0, 0.1)
    for _ in range(n):
        x.add64(0, 1)
        while True:                                  # a CAS loop too
            v = x.load64(16)
            if x.cas64(16, v, v + 2):
                break
    x.release()
    m.close()
    os.close(fd)


def test_two_processes_hammer_one_counter():
    n = 20000
    with tempfile.NamedTemporaryFile(dir="/dev/shm", prefix="pgtest_") as f:
        f.truncate(4096)
        m = mmap.mmap(f.fileno(), 4096)
        x = Mem(m)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_hammer, args=(f.name, n, 0)) for _ in range(2)]
        for p in procs:
            p.start()
        x.store32(8, 1)
        x.futex_wake(8, 100)                         # a futex shared across processes
        for p in procs:
            p.join(30)
            assert p.exitcode == 0
        assert x.load64(0) == 2 * n
        assert x.load64(16) == 4 * n
        x.release()
        m.close()
