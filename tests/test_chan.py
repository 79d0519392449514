"""Channels: the CH rows of docs/semantics.md, each in one process ("local")
and with the peer goroutine provably in another process ("xproc")."""

from __future__ import annotations

import collections
import os

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked

pytestmark = pytest.mark.timeout(120)

CAPS = (0, 1, 2, 7, 199)


# ---- goroutine bodies (module level: copied by reference) -------------------

def send_all(ch, values, close=True):
    for v in values:
        ch.send(v)
    if close:
        ch.close()


def recv_n(ch, n, out):
    out.send([ch.recv() for _ in range(n)])


def recv_ok_into(ch, out):
    out.send(ch.recv_ok())


def send_then_note(ch, v, note):
    ch.send(v)
    note.send("sent")


def send_expect_panic(ch, v, out):
    try:
        ch.send(v)
        out.send("no panic")
    except pg.Panic as e:
        out.send(str(e))


def producer_tagged(ch, tag, n):
    for i in range(n):
        ch.send((tag, i))


def consumer_collect(ch, n, out):
    got = []
    for _ in range(n):
        got.append(ch.recv())
    out.send(got)


def forward_all(q, r, done):
    for v in q:
        r.send(v)
    done.send(True)


def echo_pid(ch):
    ch.send(os.getpid())


# ---- CH-01, CH-11: making channels, len and cap --------------------------------

def test_ch01_ch11_make_len_cap(mode):
    def main():
        a, b, c = pg.chan(), pg.chan(0), pg.chan(3)
        assert (a.cap, b.cap, c.cap) == (0, 0, 3)
        assert (len(a), len(b), len(c)) == (0, 0, 0)
        for i in range(3):
            c.send(i)
        assert len(c) == c.cap == 3
        c.recv()
        assert len(c) == 2
    run(mode, main)


def test_ch24_negative_capacity():
    def main():
        with pytest.raises(ValueError, match="makechan: size out of range"):
            pg.chan(-1)
        with pytest.raises(TypeError):
            pg.chan("3")
    pg.run(main, procs=1)


def test_chan_outside_runtime_is_a_clear_error():
    with pytest.raises(pg.NoRuntime, match="pg.run"):
        pg.chan()


def test_chan_annotation():
    assert pg.Chan[int] is not None
    assert "int" in repr(pg.Chan[int])


# ---- CH-02, CH-04, CH-05: blocking ----------------------------------------------

def test_ch02_unbuffered_send_waits_for_receiver(mode):
    def main():
        ch, note = pg.chan(), pg.chan(1)
        start_peer(mode, send_then_note, ch, 42, note)
        wait_blocked("chan send")
        assert len(note) == 0, "a send on an unbuffered channel completed with no receiver"
        assert ch.recv() == 42
        assert note.recv() == "sent"
    run(mode, main)


@pytest.mark.parametrize("cap", CAPS)
def test_ch04_receive_from_empty_blocks(mode, cap):
    def main():
        ch, out = pg.chan(cap), pg.chan(2)
        start_peer(mode, recv_ok_into, ch, out)
        pg.go(recv_ok_into, ch, out)
        wait_blocked("chan receive", 2)
        assert len(out) == 0
        ch.send(1)
        ch.send(2)
        got = sorted([out.recv(), out.recv()])
        assert got == [(1, True), (2, True)]
    run(mode, main)


@pytest.mark.parametrize("cap", CAPS)
def test_ch05_send_to_full_blocks(mode, cap):
    def main():
        ch, note = pg.chan(cap), pg.chan(1)
        for i in range(cap):
            ch.send(i)
        start_peer(mode, send_then_note, ch, "extra", note)
        wait_blocked("chan send")
        assert len(note) == 0 and len(ch) == cap
        got = [ch.recv() for _ in range(cap + 1)]
        assert got == [*range(cap), "extra"]
        assert note.recv() == "sent"
    run(mode, main)


# ---- values through the buffer keep their value and type ----------------------------

WORD_EDGES = [0, 1, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**200, None, True, False,
              "x", b"y", 1.5, (1, 2), [3]]


@pytest.mark.parametrize("cap", (1, 7, 199))
def test_buffered_values_keep_value_and_type(mode, cap):
    """Ints and None leave the buffer decoded under the lock, every other
    value raw (ring.pop_small): across the 64-bit edge, bools, and mixed
    with other kinds, each comes out equal and of the same type, in order."""
    def main():
        ch, out = pg.chan(cap), pg.chan(1)
        start_peer(mode, send_all, ch, WORD_EDGES)
        got = list(ch)
        assert got == WORD_EDGES
        assert [type(v) for v in got] == [type(v) for v in WORD_EDGES]
        ch2 = pg.chan(cap)
        start_peer(mode, recv_n, ch2, len(WORD_EDGES), out)
        for v in WORD_EDGES:
            ch2.send(v)
        back = out.recv()
        assert back == WORD_EDGES and [type(v) for v in back] == [type(v) for v in WORD_EDGES]
    run(mode, main)


# ---- CH-06, CH-07, CH-08: order and direct handoff ------------------------------

@pytest.mark.parametrize("cap", CAPS)
def test_ch06_fifo(mode, cap):
    def main():
        ch = pg.chan(cap)
        start_peer(mode, send_all, ch, list(range(100)))
        first = [ch.recv() for _ in range(50)]
        rest = []
        while True:
            v, ok = ch.recv_ok()
            if not ok:
                break
            rest.append(v)
        assert first + rest == list(range(100))
    run(mode, main)


def test_ch07_fifo_across_buffer_and_blocked_senders(mode):
    def main():
        ch = pg.chan(2)
        ch.send("b0")
        ch.send("b1")
        note = pg.chan(3)
        start_peer(mode, send_then_note, ch, "s0", note)
        wait_blocked("chan send", 1)
        pg.go(send_then_note, ch, "s1", note)
        wait_blocked("chan send", 2)
        got = [ch.recv() for _ in range(4)]
        assert got == ["b0", "b1", "s0", "s1"]
    run(mode, main)


def test_ch08_send_hands_value_to_waiting_receiver(mode):
    def main():
        ch, out = pg.chan(5), pg.chan(1)
        start_peer(mode, recv_ok_into, ch, out)
        wait_blocked("chan receive")
        ch.send("direct")
        assert len(ch) == 0, "the value went through the buffer"
        assert out.recv() == ("direct", True)
    run(mode, main)


# ---- CH-09, CH-10: many producers and consumers ---------------------------------

@pytest.mark.parametrize("cap", (0, 1, 10, 199))
def test_ch09_nothing_lost_or_duplicated(mode, cap):
    def main():
        ch, out = pg.chan(cap), pg.chan(4)
        start_peer(mode, producer_tagged, ch, 0, 1000)
        for tag in (1, 2, 3):
            pg.go(producer_tagged, ch, tag, 1000)
        for _ in range(4):
            pg.go(consumer_collect, ch, 1000, out)
        got = [v for _ in range(4) for v in out.recv()]
        counts = collections.Counter(i for _, i in got)
        assert len(got) == 4000
        assert all(counts[i] == 4 for i in range(1000))
    run(mode, main)


def test_ch10_work_queue(mode):
    n_items, n_workers = 20000, 23

    def main():
        q, r, done = pg.chan(), pg.chan(64), pg.chan(n_workers)
        start_peer(mode, forward_all, q, r, done)
        for _ in range(n_workers - 1):
            pg.go(forward_all, q, r, done)
        pg.go(send_all, q, range(n_items))
        total = count = 0
        finished = 0
        while finished < n_workers:
            i, v, ok = pg.select(r.recv, done.recv)
            if i == 0:
                total += v
                count += 1
            else:
                finished += 1
        while len(r):
            total += r.recv()
            count += 1
        assert count == n_items and total == n_items * (n_items - 1) // 2
    run(mode, main)


def test_four_by_four_ten_thousand_across_processes():
    """4 producers x 4 consumers x 10,000 values across 2 processes: nothing
    lost, nothing duplicated, per-producer order kept."""
    n = 10000

    def main():
        ch, out = pg.chan(16), pg.chan(4)
        pids = {start_peer("xproc", producer_tagged, ch, 0, n)}
        for tag in (1, 2, 3):
            pg.go(producer_tagged, ch, tag, n)
        for _ in range(4):
            pg.go(consumer_collect, ch, n, out)
        batches = [out.recv() for _ in range(4)]
        seen = collections.defaultdict(list)
        for batch in batches:
            last = {}
            for tag, i in batch:
                # per-producer order holds within each consumer's stream
                assert i > last.get(tag, -1)
                last[tag] = i
                seen[tag].append(i)
        for tag in range(4):
            assert sorted(seen[tag]) == list(range(n)), f"producer {tag} lost or duplicated"
        assert os.getpid() not in pids
    pg.run(main, procs=2)


# ---- CH-13: values are copied -------------------------------------------------

def mutate_after_send(ch, done):
    data = [1, 2, 3]
    ch.send(data)
    data.append(4)
    done.send(True)


def test_ch13_values_are_copied(mode):
    def main():
        ch, done = pg.chan(), pg.chan(1)
        start_peer(mode, mutate_after_send, ch, done)
        got = ch.recv()
        done.recv()
        assert got == [1, 2, 3]
        buffered = pg.chan(1)
        d = {"k": 1}
        buffered.send(d)
        d["k"] = 2
        assert buffered.recv() == {"k": 1}
    run(mode, main)


def test_ch13_large_value_across_processes():
    """A 64 MiB bytes value crosses processes intact (larger than any ring)."""
    def main():
        ch = pg.chan()
        start_peer("xproc", send_all, ch, [b"\xab" * (64 << 20)], False)
        v = ch.recv()
        assert type(v) is bytes and len(v) == 64 << 20 and v[:3] == b"\xab\xab\xab"
        assert v.count(b"\xab") == 64 << 20
    pg.run(main, procs=2)


def test_values_of_many_kinds_round_trip(mode):
    values = [None, 0, -1, 2**63 - 1, -2**63, 2**70, 3.5, "", "héllo", "\ud800", b"", b"x" * 300,
              bytearray(b"ba"), (1, "a", None), [1, [2]], {"a": {1, 2}}, frozenset({3}),
              "s" * 5000, complex(1, 2), range(3)]

    def main():
        for cap in (0, 3):
            ch = pg.chan(cap)
            start_peer(mode, send_all, ch, values) if cap == 0 else pg.go(send_all, ch, values)
            got = list(ch)
            assert got == values
            assert type(got[12]) is bytearray
    run(mode, main)


# ---- CH-14, CH-15, CH-16, CH-23, CH-26: close -----------------------------------

def test_ch14_close_drains_then_zero(mode):
    def main():
        ch = pg.chan(3)
        start_peer(mode, send_all, ch, ["a", "b"])
        assert ch.recv() == "a"
        assert ch.recv_ok() == ("b", True)
        assert ch.recv_ok() == (None, False)
        assert ch.recv() is None
        assert ch.recv_ok() == (None, False)      # CH-26: never blocks
    run(mode, main)


def test_ch16_close_wakes_every_receiver(mode):
    def main():
        ch, out = pg.chan(), pg.chan(5)
        start_peer(mode, recv_ok_into, ch, out)
        for _ in range(4):
            pg.go(recv_ok_into, ch, out)
        wait_blocked("chan receive", 5)
        ch.close()
        assert [out.recv() for _ in range(5)] == [(None, False)] * 5
    run(mode, main)


def test_ch23_range_until_closed_and_drained(mode):
    def main():
        ch = pg.chan(2)
        start_peer(mode, send_all, ch, range(10))
        assert list(ch) == list(range(10))
    run(mode, main)


# ---- CH-17, CH-18, CH-19: misuse of close ---------------------------------------

def test_ch17_send_on_closed_panics():
    def main():
        ch = pg.chan(1)
        ch.close()
        with pytest.raises(pg.Panic) as ei:
            ch.send(1)
        assert str(ei.value) == "send on closed channel"
    pg.run(main, procs=1)


def test_ch18_blocked_senders_panic_on_close(mode):
    def main():
        ch, out = pg.chan(), pg.chan(3)
        start_peer(mode, send_expect_panic, ch, 1, out)
        pg.go(send_expect_panic, ch, 2, out)
        wait_blocked("chan send", 2)
        ch.close()
        assert [out.recv(), out.recv()] == ["send on closed channel"] * 2
    run(mode, main)


def test_ch19_close_twice_panics():
    def main():
        ch = pg.chan()
        ch.close()
        with pytest.raises(pg.Panic, match="^close of closed channel$"):
            ch.close()
    pg.run(main, procs=1)


# ---- CH-20, CH-22: directions -------------------------------------------------

def recv_from_view(view, out):
    out.send(view.recv())


def test_ch20_ch22_directional_views(mode):
    def main():
        ch = pg.chan(1)
        s, r = ch.send_only(), ch.recv_only()
        assert isinstance(s, pg.Chan) and isinstance(r, pg.Chan)
        for bad in (s.recv, s.recv_ok, lambda: list(s), r.close, lambda: r.send(1),
                    s.recv_only, r.send_only):
            with pytest.raises(TypeError):
                bad()
        assert (s.cap, r.cap) == (1, 1)
        s.send("through the view")
        assert len(r) == 1 and r.recv() == "through the view"
        out = pg.chan()
        start_peer(mode, recv_from_view, r, out)
        s.send(7)
        assert out.recv() == 7
        s.close()
        assert r.recv_ok() == (None, False)
    run(mode, main)


# ---- CH-25, CH-27 ----------------------------------------------------------------

def close_it(ch):
    ch.close()


def test_ch25_nonblocking_receive_races_close(mode):
    def main():
        for _ in range(200):
            ch = pg.chan(1)
            ch.send(1)
            pg.go(close_it, ch)
            i, v, ok = pg.select(ch.recv, default=True)
            assert (i, v, ok) == (0, 1, True)
    run(mode, main)


def test_ch27_any_value_and_same_object_in_two_cases(mode):
    def main():
        ch = pg.chan(2)
        obj = {"x": [1]}
        pg.select((ch.send, obj), (ch.send, obj))
        pg.select((ch.send, obj), (ch.send, obj))
        assert ch.recv() == obj and ch.recv() == obj
    run(mode, main)


# ---- CH-28: a goroutine blocked forever is not an error ---------------------------

def block_forever(ch):
    ch.recv()


def test_ch28_leaked_goroutine_is_silent(mode):
    def main():
        ch = pg.chan()
        start_peer(mode, block_forever, ch)
        wait_blocked("chan receive")
        return "main done"
    assert run(mode, main) == "main done"


# ---- bad input: unpicklable values ---------------------------------------------------

def test_unpicklable_value_raises_in_sender_and_channel_stays_usable(mode):
    import threading

    def main():
        ch = pg.chan(1)
        with pytest.raises(TypeError, match="cannot copy"):
            ch.send(threading.Lock())
        out = pg.chan()
        start_peer(mode, recv_ok_into, ch, out)
        ch.send("still works")
        assert out.recv() == ("still works", True)
    run(mode, main)


def test_closures_and_lambdas_cross_processes():
    def main():
        ch = pg.chan()
        k = 10
        start_peer("xproc", lambda c: c.send(k * 2), ch)
        assert ch.recv() == 20
        fn_ch = pg.chan(1)
        fn_ch.send(lambda x: x + k)
        f = fn_ch.recv()
        assert f(1) == 11
    pg.run(main, procs=2)


def test_channels_travel_over_channels(mode):
    def main():
        chans = pg.chan(1)
        reply = pg.chan()
        start_peer(mode, echo_pid_via, chans)
        chans.send(reply)
        assert isinstance(reply.recv(), int)
    run(mode, main)


def echo_pid_via(chans):
    reply = chans.recv()
    reply.send(os.getpid())


# ---- large values: written to shared memory before the channel's lock --------------

BIG = (b"\x5a" * 100_000, bytearray(b"\x33" * 100_000), ["s" * 50_000, 7])


def _data_blocks() -> int:
    """Large K_DATA blocks in use in the arena (spilled values)."""
    from parago._core import sched
    from parago._shm import layout as L
    from parago._shm import spans
    arena = sched.this_proc().arena
    return sum(1 for a, e in spans.walk(arena)
               if e & L.PM_TAG == L.PM_USED and arena.M[a >> 3] == L.K_DATA)


def recv_all_into(ch, out):
    for v in ch:
        out.send(v)
    out.close()


@pytest.mark.parametrize("cap", (0, 2))
def test_large_values_arrive_whole_and_free_their_blocks(mode, cap):
    """Every path a spilled-ahead value can take — a receiver already waiting
    (in this process: handed the object, the block freed), the sender parked
    until a receiver comes, the ring, a send on a closed channel — delivers
    the value whole and leaves no block behind."""
    def main():
        before = _data_blocks()
        ch, out = pg.chan(cap), pg.chan(len(BIG) * 2)
        start_peer(mode, recv_all_into, ch, out)
        wait_blocked("chan receive")
        for v in BIG:                         # a receiver waits (or the ring takes it)
            ch.send(v)
        for v in BIG:
            assert out.recv() == v
        ch2, got = pg.chan(cap), pg.chan(1)
        for v in BIG:                         # the sender parks first (cap 0)
            start_peer(mode, send_then_note, ch2, v, got)
            assert ch2.recv() == v
            assert got.recv() == "sent"
        ch.close()
        assert out.recv_ok() == (None, False)
        dead = pg.chan(cap)
        dead.close()
        for v in BIG:
            with pytest.raises(pg.Panic, match="send on closed channel"):
                dead.send(v)
        assert _data_blocks() == before
    run(mode, main)
