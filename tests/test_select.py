"""select: the SEL rows of docs/semantics.md, in one process and across processes."""

from __future__ import annotations

import time

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked

pytestmark = pytest.mark.timeout(120)


def send_all(ch, values, close=True):
    for v in values:
        ch.send(v)
    if close:
        ch.close()


def select_into(cases_fn, out):
    out.send(pg.select(*cases_fn()))


def fairness_trials(a, b, n, out):
    counts = [0, 0, 0, 0]
    for _ in range(n):
        i, _, _ = pg.select(None, a.recv, None, b.recv)
        counts[i] += 1
        (a if i == 1 else b).send(0)         # refill: both stay always ready
    out.send(counts)


def test_sel02_sel03_uniform_choice(mode):
    """TestSelectFairness: 4 cases, 2 never ready, 2 always ready, 10000
    trials; each ready case within 10 sigma (500) of 5000."""
    def main():
        a, b, out = pg.chan(1), pg.chan(1), pg.chan(1)
        a.send(0)
        b.send(0)
        start_peer(mode, fairness_trials, a, b, 10000, out)
        counts = out.recv()
        assert counts[0] == counts[2] == 0
        assert abs(counts[1] - 5000) <= 500 and abs(counts[3] - 5000) <= 500, counts
    run(mode, main)


def pseudo_random_send(ch, n):
    for _ in range(n):
        pg.select((ch.send, 1), (ch.send, 0))


@pytest.mark.parametrize("cap", (0, 100))
def test_sel04_random_send_cases(mode, cap):
    def main():
        ch = pg.chan(cap)
        start_peer(mode, pseudo_random_send, ch, 100)
        got = [ch.recv() for _ in range(100)]
        assert got.count(0) > 10 and got.count(1) > 10
    run(mode, main)


def test_sel05_default_only_when_nothing_ready(mode):
    def main():
        ch = pg.chan(1)
        assert pg.select(ch.recv, default=True) == (-1, None, False)
        ch.send("x")
        assert pg.select(ch.recv, default=True) == (0, "x", True)
        full = pg.chan(1)
        full.send(1)
        assert pg.select((full.send, 2), default=True) == (-1, None, False)
        assert pg.select((ch.send, 2), default=True) == (0, None, True)
        assert pg.select(default=True) == (-1, None, False)
    run(mode, main)


def nonblock_selector(pairs, done):
    for c1, c2 in pairs:
        i, _, _ = pg.select(c1.recv, c2.recv, default=True)
        done.send(i != -1)


def test_sel06_select_sees_one_instant(mode):
    """TestNonblockSelectRace: c1 holds a value; main fills c2 and then drains
    c1 while another goroutine's non-blocking select looks at both. At every
    instant one of them is ready, so the select must never take default."""
    n = 500

    def main():
        pairs, done = pg.chan(), pg.chan(1)
        start_peer(mode, nonblock_selector, pairs, done)
        for _ in range(n):
            c1, c2 = pg.chan(1), pg.chan(1)
            c1.send(1)
            pairs.send((c1, c2))
            c2.send(1)
            pg.select(c1.recv, default=True)
            assert done.recv(), "no chan is ready"
        pairs.close()
    run(mode, main)


def test_sel07_blocks_until_one_case_then_exactly_one(mode):
    def main():
        a, b = pg.chan(), pg.chan()
        start_peer(mode, send_all, b, ["b-value"], False)
        i, v, ok = pg.select(a.recv, b.recv)
        assert (i, v, ok) == (1, "b-value", True)
        # the other case had no effect: a is still empty, nobody waits on it
        assert pg.select(a.recv, default=True)[0] == -1
    run(mode, main)


def test_sel10_closed_receive_case_is_ready(mode):
    def main():
        ch, never = pg.chan(), pg.chan()
        ch.close()
        assert pg.select(never.recv, ch.recv) == (1, None, False)
    run(mode, main)


def select_send_expect_panic(ch, other, out):
    try:
        pg.select((ch.send, 1), other.recv)
        out.send("no panic")
    except pg.Panic as e:
        out.send(str(e))


def test_sel11_send_case_on_closed_channel_panics(mode):
    def main():
        ch = pg.chan(5)
        ch.close()
        with pytest.raises(pg.Panic, match="^send on closed channel$"):
            pg.select((ch.send, 1), default=True)
        open_ch, never, out = pg.chan(), pg.chan(), pg.chan(1)
        start_peer(mode, select_send_expect_panic, open_ch, never, out)
        wait_blocked("select")
        open_ch.close()
        assert out.recv() == "send on closed channel"
    run(mode, main)


def two_recv_cases(ch, out):
    out.send(pg.select(ch.recv, ch.recv)[1])


def test_sel12_same_channel_in_several_cases(mode):
    def main():
        ch, out = pg.chan(), pg.chan(10)
        start_peer(mode, two_recv_cases, ch, out)
        for _ in range(4):
            pg.go(two_recv_cases, ch, out)
        wait_blocked("select", 5)
        for i in range(5):
            ch.send(i)
        assert sorted(out.recv() for _ in range(5)) == list(range(5))
    run(mode, main)


def self_select(ch, n, out):
    sent = got = 0
    for i in range(n):
        k, v, ok = pg.select((ch.send, (id(ch), i)), ch.recv)
        if k == 0:
            sent += 1
        else:
            got += 1
    out.send((sent, got))


@pytest.mark.parametrize("cap", (0, 10))
def test_sel13_select_never_pairs_with_itself(mode, cap):
    def main():
        ch, out = pg.chan(cap), pg.chan(2)
        start_peer(mode, self_select, ch, 1000, out)
        pg.go(self_select, ch, 1000, out)
        (s1, g1), (s2, g2) = out.recv(), out.recv()
        assert s1 + g1 == s2 + g2 == 1000
        # every value received was sent by the other goroutine or buffered
        assert g1 + g2 <= s1 + s2
    run(mode, main)


def lone_self_select(ch):
    pg.select((ch.send, 1), ch.recv)


def test_sel13_lone_self_select_blocks_forever():
    def main():
        lone_self_select(pg.chan())
    with pytest.raises(pg.Deadlock, match="all goroutines are asleep"):
        pg.run(main, procs=1)


def stress_sender(ch, n):
    for i in range(n):
        ch.send(i)


def stress_receiver(ch, n, done):
    for _ in range(n):
        ch.recv()
    done.send(1)


def stress_send_select(chans, n, done):
    counts = [0] * 4
    cases = [(c.send, 1) for c in chans]
    while any(c < n for c in counts):
        i, _, _ = pg.select(*[cases[k] if counts[k] < n else None for k in range(4)])
        counts[i] += 1
    done.send(1)


def stress_recv_select(chans, n, done):
    counts = [0] * 4
    while any(c < n for c in counts):
        i, _, _ = pg.select(*[chans[k].recv if counts[k] < n else None for k in range(4)])
        counts[i] += 1
    done.send(1)


def test_sel14_stress(mode):
    """TestSelectStress (N scaled to 2000): 4 chans of cap 0,0,2,3, a sender
    and a receiver per chan plus a send-select and a recv-select."""
    n = 2000

    def main():
        chans = [pg.chan(0), pg.chan(0), pg.chan(2), pg.chan(3)]
        done = pg.chan(10)
        start_peer(mode, stress_send_select, chans, n, done)
        pg.go(stress_recv_select, chans, n, done)
        for c in chans:
            pg.go(stress_sender, c, n)
            pg.go(stress_receiver, c, n, done)
        for _ in range(6):
            done.recv()
    run(mode, main)


def test_sel15_timeout_case(mode):
    def main():
        never = pg.chan()
        t0 = time.monotonic()
        i, v, ok = pg.select(never.recv, pg.after(0.05).recv)
        waited = time.monotonic() - t0
        assert i == 1 and ok and isinstance(v, float)
        assert waited >= 0.05
        assert v <= time.time() + 0.001
        ch = pg.chan(1)
        ch.send(1)
        assert pg.select(ch.recv, pg.after(3600).recv)[0] == 0   # a far timer never wins
    run(mode, main)


def recv_after(t, out):
    out.send(t.recv())


def test_after_channel_in_another_process():
    def main():
        t, out = pg.after(0.05), pg.chan()
        start = time.time()
        start_peer("xproc", recv_after, t, out)
        fired = out.recv()
        assert fired >= start + 0.049
    pg.run(main, procs=2)


def test_sel08_empty_select_blocks_forever():
    def main():
        pg.select()
    with pytest.raises(pg.Deadlock) as ei:
        pg.run(main, procs=1)
    assert "[select (no cases)]" in str(ei.value)


def test_sel09_only_nil_cases_block_forever():
    def main():
        pg.select(None, None)
    with pytest.raises(pg.Deadlock):
        pg.run(main, procs=1)


def test_select_rejects_bad_cases():
    def main():
        ch = pg.chan(1)
        with pytest.raises(TypeError):
            pg.select(ch)
        with pytest.raises(TypeError):
            pg.select((ch.send,))
        with pytest.raises(TypeError):
            pg.select(ch.send_only().recv)
        with pytest.raises(TypeError):
            pg.select((ch.recv_only().send, 1))
        with pytest.raises(TypeError):
            pg.select(print)
        import threading
        with pytest.raises(TypeError, match="cannot copy"):
            pg.select((ch.send, threading.Lock()))
        assert len(ch) == 0
    pg.run(main, procs=1)


def test_select_recv_ok_and_send_values_cross(mode):
    def main():
        ch = pg.chan()
        out = pg.chan()
        start_peer(mode, select_into, lambda: (ch.recv_ok, None), out)
        wait_blocked("select")
        pg.select((ch.send, [1, 2]))
        assert out.recv() == (0, [1, 2], True)
    run(mode, main)
