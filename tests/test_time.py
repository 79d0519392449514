"""time: the TM rows — sleep, after, Timer, Ticker, tick, after_func — in one
process and across processes. Lower bounds are semantics (a timer never
fires early); upper bounds use Go's own generous tolerances."""

from __future__ import annotations

import time

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked

pytestmark = pytest.mark.timeout(120)


def test_tm03_after_sends_fire_time_not_receive_time():
    def main():
        start = time.time()
        c = pg.after(0.01)
        time.sleep(0.3)                       # keep P0 busy: the value waits
        fired = c.recv()
        assert start + 0.01 <= fired + 0.002 and fired - start < 0.25
        assert len(c) == 0 and c.cap == 0      # TM-08
    pg.run(main, procs=1)


def test_tm02_huge_and_negative_durations():
    def main():
        t0 = time.monotonic()
        pg.after(-1).recv()                    # fires at once
        assert pg.select(pg.after(1e30).recv, pg.after(0.01).recv)[0] == 1
        assert time.monotonic() - t0 < 5
    pg.run(main, procs=1)


def slot_wait(slot, delta, out):
    pg.after(slot * delta).recv()
    out.send(slot)


def test_tm05_timers_fire_in_deadline_order(mode):
    slots = [5, 3, 6, 6, 6, 1, 1, 2, 7, 9, 4, 8, 0]

    # Timers of different processes are ordered only as well as those
    # processes are woken: with more than one, the slots are 100 ms apart,
    # a tolerance even a loaded machine keeps.
    delta = 0.02 if mode == "local" else 0.1

    def main():
        out = pg.chan(len(slots))
        start_peer(mode, slot_wait, slots[0], delta, out)
        for s in slots[1:]:
            pg.go(slot_wait, s, delta, out)
        got = [out.recv() for _ in slots]
        assert got == sorted(got)
    run(mode, main)


def test_tm06_tm09_stop():
    def main():
        t = pg.Timer(0.02)
        assert t.stop() is True and t.stop() is False
        assert pg.select(t.c.recv, pg.after(0.05).recv)[0] == 1      # never delivers
        t = pg.Timer(0.001)
        pg.sleep(0.02)                      # expired, value not received yet
        assert t.stop() is True             # TM-09: still pending
        assert pg.select(t.c.recv, default=True)[0] == -1
        t = pg.Timer(0.001)
        t.c.recv()
        assert t.stop() is False and t.reset(0.001) is False
    pg.run(main, procs=1)


def test_tm07_reset_delays():
    def main():
        t = pg.Timer(0.03)
        assert t.reset(0.2) is True
        i, _, _ = pg.select(t.c.recv, pg.after(0.1).recv)
        assert i == 1, "fired at the old time"
        t.c.recv()
    pg.run(main, procs=1)


def timer_recv(t, out):
    out.send(t.c.recv())


def test_timer_reset_wakes_a_receiver_in_another_process():
    def main():
        t, out = pg.Timer(3600), pg.chan()
        start_peer("xproc", timer_recv, t, out)
        wait_blocked("chan receive")
        t0 = time.monotonic()
        t.reset(0.05)
        out.recv()
        assert 0.04 <= time.monotonic() - t0 < 30
    pg.run(main, procs=2)


def test_tm12_zero_timer_fires_promptly():
    def main():
        t = pg.Timer(0)
        for _ in range(200):
            t.c.recv()
            t.reset(0)
    pg.run(main, procs=1)


def test_tm13_after_func_runs_in_its_own_goroutine(mode):
    def main():
        out = pg.chan(2)
        pg.after_func(0.01, lambda: out.send(pg.num_goroutine()))
        assert out.recv() >= 2
        t = pg.after_func(0.05, lambda: out.send("late"))
        assert t.stop() is True
        t2 = pg.after_func(0.01, lambda: out.send("first"))
        assert out.recv() == "first"
        assert t2.stop() is False
        assert t2.reset(0.01) is False       # schedules another run
        assert out.recv() == "first"
        assert t.c is None
    run(mode, main)


def test_tm15_tm16_ticker_drops_ticks_and_stops():
    def main():
        tk = pg.Ticker(0.01)
        first = tk.c.recv()
        time.sleep(0.1)                       # slow receiver: ticks are dropped
        second = tk.c.recv()                  # the first missed tick (never queued)
        third = tk.c.recv()                   # the next one after the receiver came back
        assert 0.005 <= second - first < 0.05 and third - second >= 0.05
        tk.reset(0.02)
        a = tk.c.recv()
        b = tk.c.recv()
        assert b - a >= 0.015
        tk.stop()
        assert pg.select(tk.c.recv, pg.after(0.05).recv)[0] == 1
    pg.run(main, procs=1)


def test_tm17_non_positive_intervals():
    def main():
        with pytest.raises(pg.Panic, match="non-positive interval for NewTicker"):
            pg.Ticker(0)
        tk = pg.Ticker(1)
        with pytest.raises(pg.Panic, match="non-positive interval for Ticker.Reset"):
            tk.reset(-1)
        tk.stop()
        assert pg.tick(0) is None and pg.tick(-1) is None
    pg.run(main, procs=1)


def tick_reader(c, n, out):
    for _ in range(n):
        c.recv()
    out.send(True)


def test_tm18_tm20_many_receivers_on_one_ticker(mode):
    def main():
        c, out = pg.tick(0.001), pg.chan(4)
        start_peer(mode, tick_reader, c, 20, out)
        for _ in range(3):
            pg.go(tick_reader, c, 20, out)
        for _ in range(4):
            out.recv()
    run(mode, main)


def test_tm21_timers_fire_while_goroutines_are_always_runnable():
    """TestAfterFuncStarvation, cooperative form: the goroutines never block
    but yield (parago does not preempt, DESIGN 8); the timer still runs."""
    def pingpong(c, stop):
        while pg.select(stop.recv, default=True)[0] == -1:
            c.send(0)
            c.recv()
            pg.gosched()

    def main():
        c, stop, fired = pg.chan(1), pg.chan(), pg.chan(1)
        pg.go(pingpong, c, stop)
        pg.go(pingpong, c, stop)
        pg.after_func(0.001, lambda: fired.send(True))
        fired.recv()
        stop.close()
    pg.run(main, procs=1)


def test_timers_cross_processes(mode):
    def main():
        t, out = pg.Timer(0.02), pg.chan()
        start_peer(mode, timer_recv, t, out)
        assert isinstance(out.recv(), float)
    run(mode, main)
