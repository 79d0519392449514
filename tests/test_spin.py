"""When an idle P spins (_core/spin.py): only while spinning pays, never more
Ps at once than the limit, never on an oversubscribed machine."""

from __future__ import annotations

import os

import pytest

from parago._core import spin
from parago._shm import layout as L
from parago._shm import ptable
from parago._shm.arena import Arena

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def arena(monkeypatch):
    monkeypatch.setattr(spin, "oversubscribed", lambda now: False)
    a = Arena.create(64 << 20)
    a.p, a.tag = 0, ptable.tag_of(1, 0)
    for p in range(3):
        ptable.init_slot(a, p, os.getpid())
    yield a
    a.close()
    a.unlink()


def test_the_budget_follows_whether_spinning_pays(arena):
    s = spin.Spinner(arena, 0)
    assert s.budget == spin.SPIN_MAX_NS
    assert s.spin(lambda: False) is False          # ran out: the budget halves
    assert s.budget == spin.SPIN_MAX_NS // 2
    while s.budget:
        s.spin(lambda: False)
    # No budget: no spin, but a short probe every PROBE_EVERY-th idle.
    tries = 1
    while not s.spin(lambda: True):
        tries += 1
    assert 1 < tries <= spin.PROBE_EVERY
    assert s.budget == spin.SPIN_MIN_NS
    assert s.spin(lambda: True) and s.budget == 2 * spin.SPIN_MIN_NS     # paid: it doubles
    assert arena.M[L.H_NSPINNING] == 0                                   # nobody spins now


def test_no_more_spinners_than_the_limit(arena, monkeypatch):
    monkeypatch.setattr(spin, "MAX_SPINNERS", 1)
    first, second = spin.Spinner(arena, 0), spin.Spinner(arena, 1)
    seen = []

    def other_p_looks():
        # While P0 spins, P1 must not: it sleeps at once (returns False
        # without calling its ready()).
        calls = []
        seen.append((second.spin(lambda: calls.append(1) or True), calls))
        return True

    assert first.spin(other_p_looks) is True
    assert seen == [(False, [])]
    assert arena.M[L.H_NSPINNING] == 0


def test_no_spin_on_an_oversubscribed_machine(arena, monkeypatch):
    monkeypatch.setattr(spin, "oversubscribed", lambda now: True)
    called = []
    assert spin.Spinner(arena, 0).spin(lambda: called.append(1) or True) is False
    assert called == []


def test_the_load_is_read_from_proc_loadavg(monkeypatch):
    monkeypatch.setattr(spin, "_load", [0, False])
    monkeypatch.setattr(spin, "CORES", 10 ** 6)
    assert spin.oversubscribed(10 ** 12) is False
    monkeypatch.setattr(spin, "CORES", 0)
    assert spin.oversubscribed(10 ** 12) is False            # read at most every 10 ms
    assert spin.oversubscribed(10 ** 12 + spin.LOAD_EVERY_NS) is True


def test_a_p_that_died_spinning_is_uncounted(arena):
    arena.mem.store64((ptable.slot_w(arena, 2) + ptable.PS_SPINNING) << 3, 1)
    arena.mem.add64(L.H_NSPINNING << 3, 1)
    spin.uncount_dead(arena, 2)
    assert arena.M[L.H_NSPINNING] == 0
    spin.uncount_dead(arena, 2)                              # once only
    assert arena.M[L.H_NSPINNING] == 0


def test_an_idle_p_skips_the_slow_checks_only_when_they_cannot_find_anything(arena):
    """What lets an idle P sleep before its slow checks (sched._wait_for_work):
    the deadlock proof is skipped while another live P is awake, and the look
    for goroutines to take while no other P has any queued."""
    from parago._shm import gqueue

    M = arena.M
    M[L.H_NSLOTS] = 3
    for p in range(3):
        gqueue.init(arena, p)
        ptable.set_state(arena, p, ptable.S_ALIVE)
        M[ptable.slot_w(arena, p) + ptable.PS_SLEEPING] = 1
    assert not ptable.others_awake(arena, 0)
    M[ptable.slot_w(arena, 0) + ptable.PS_SLEEPING] = 0      # itself awake: not another
    assert not ptable.others_awake(arena, 0)
    M[ptable.slot_w(arena, 2) + ptable.PS_SLEEPING] = 0
    assert ptable.others_awake(arena, 0) and ptable.others_awake(arena, 1)
    ptable.set_state(arena, 2, ptable.S_EXITED)              # an exited P is no one
    assert not ptable.others_awake(arena, 0)

    assert not any(gqueue.queued_elsewhere(arena, p) for p in range(3))
    b = gqueue.make_blob(arena, 7, b"x", 0)
    gqueue.push(arena, 2, [b])
    assert gqueue.queued_elsewhere(arena, 0) and gqueue.queued_elsewhere(arena, 1)
    assert not gqueue.queued_elsewhere(arena, 2)
    assert gqueue.take(arena, 2, False) == [b]
    assert not gqueue.queued_elsewhere(arena, 0)
    arena.free(b)


def _recv_when_told(go, ch):
    go.recv()
    ch.recv()


def _send_when_told(go, ch):
    go.recv()
    ch.send(2)


def test_a_blocked_buffered_channel_operation_spins_until_the_other_process_acts(monkeypatch):
    """Before it parks on a full (empty) buffered channel, a goroutine spins
    while its P may (spin.py), and stops as soon as a goroutine of another
    process frees (fills) a slot, or the channel closes. The budget is set to
    20 s: a spin that ran out instead would take that long and halve it; one
    that ended because the channel became ready leaves it at SPIN_MAX_NS."""
    import parago as pg
    from helpers import start_peer
    from parago._core import chan as core_chan
    from parago._core import sched

    monkeypatch.setattr(spin, "oversubscribed", lambda now: False)
    monkeypatch.setattr(spin, "MAX_SPINNERS", 2)     # P1 may be spinning idle meanwhile

    def spin_on(ch, cap):
        proc = sched.this_proc()
        proc.spinner.budget = 20 * 10 ** 9
        core_chan._spin_until_ready(proc, ch._w, cap)
        return proc.spinner.budget

    def main():
        go, full, empty = pg.chan(2), pg.chan(1), pg.chan(1)
        full.send(1)
        start_peer("xproc", _recv_when_told, go, full)
        go.send(True)
        assert spin_on(full, 1) == spin.SPIN_MAX_NS          # a slot was freed
        start_peer("xproc", _send_when_told, go, empty)
        go.send(True)
        assert spin_on(empty, 0) == spin.SPIN_MAX_NS         # a value arrived
        assert empty.recv() == 2
        closed = pg.chan(1)
        closed.send(1)
        closed.close()
        assert spin_on(closed, 1) == spin.SPIN_MAX_NS        # closed: at once
    pg.run(main, procs=2)
