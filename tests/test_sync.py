"""sync: the WG, MU, RW, COND, ONCE and POOL rows of docs/semantics.md, each in
one process ("local") and with a peer provably in another process ("xproc")."""

from __future__ import annotations

import os
import time

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked

pytestmark = pytest.mark.timeout(120)


# ---- WaitGroup --------------------------------------------------------------------

def wg_worker(wg1, wg2, exited):
    wg1.done()
    wg2.wait()
    exited.send(True)


def test_wg01_wg02_barrier_reused(mode):
    """TestWaitGroup: 16 goroutines do wg1.done(); wg2.wait(); none exits
    before main's 16 wg2.done(); the same two WaitGroups reused 8 times."""
    n = 16

    def main():
        wg1, wg2 = pg.WaitGroup(), pg.WaitGroup()
        for _ in range(8):
            wg1.add(n)
            wg2.add(n)
            exited = pg.chan(n)
            start_peer(mode, wg_worker, wg1, wg2, exited)
            for _ in range(n - 1):
                pg.go(wg_worker, wg1, wg2, exited)
            wg1.wait()
            for _ in range(n):
                assert pg.select(exited.recv, default=True)[0] == -1, "released too soon"
                wg2.done()
            for _ in range(n):
                exited.recv()
    run(mode, main)


def test_wg01_wait_on_zero_returns():
    pg.run(lambda: pg.WaitGroup().wait(), procs=1)


def test_wg03_negative_counter_panics():
    def main():
        wg = pg.WaitGroup()
        wg.add(1)
        wg.done()
        with pytest.raises(pg.Panic, match="^sync: negative WaitGroup counter$"):
            wg.done()
        wg.add(1)                       # still usable
        wg.done()
        wg.wait()
    pg.run(main, procs=1)


def add_to(c, n, wg):
    for _ in range(n):
        c.add(1)
    wg.done()


def test_wg04_effects_visible_after_wait(mode):
    def main():
        wg, c = pg.WaitGroup(), pg.atomic.Int64()
        wg.add(2)
        start_peer(mode, add_to, c, 1000, wg)
        pg.go(add_to, c, 1000, wg)
        wg.wait()
        assert c.load() == 2000
    run(mode, main)


def slow_wait(wg, out):
    wg.wait()
    out.send("returned")


def test_wg06_reuse_before_wait_returned_is_misuse():
    """On one P the woken waiter cannot run before main's next add: it finds
    the counter non-zero and reports the misuse, as Go's Wait does."""
    def main():
        wg, out = pg.WaitGroup(), pg.chan(1)
        wg.add(1)
        pg.go(slow_wait, wg, out)
        wait_blocked("sync.WaitGroup.Wait")
        wg.done()
        wg.add(1)
        out.recv()
    with pytest.raises(pg.GoroutinePanic) as ei:
        pg.run(main, procs=1)
    assert "reused before previous Wait has returned" in str(ei.value.__cause__)


def test_wg07_go(mode):
    def main():
        wg, c = pg.WaitGroup(), pg.atomic.Int64()
        for _ in range(5):
            wg.go(c.add, 1)
        wg.wait()
        assert c.load() == 5 and wg.counter() == 0
    run(mode, main)


# ---- Mutex ----------------------------------------------------------------------------

def hammer_mutex(mu, inside, n, done):
    for i in range(n):
        if i % 3 == 0:
            while not mu.try_lock():
                pg.gosched()
        else:
            mu.lock()
        if inside.add(1) != 1:
            done.send("two holders")
            return
        inside.add(-1)
        mu.unlock()
    done.send("ok")


def test_mu01_mutual_exclusion(mode):
    """TestMutex: 10 goroutines x 1000 lock/unlock (every 3rd try_lock)."""
    def main():
        mu, inside, done = pg.Mutex(), pg.atomic.Int32(), pg.chan(10)
        start_peer(mode, hammer_mutex, mu, inside, 300, done)
        for _ in range(9):
            pg.go(hammer_mutex, mu, inside, 300, done)
        assert [done.recv() for _ in range(10)] == ["ok"] * 10
    run(mode, main)


def try_lock_into(mu, out):
    out.send(mu.try_lock())


def test_mu02_try_lock(mode):
    def main():
        mu, out = pg.Mutex(), pg.chan()
        mu.lock()
        start_peer(mode, try_lock_into, mu, out)
        assert out.recv() is False
        mu.unlock()
        pg.go(try_lock_into, mu, out)
        assert out.recv() is True
        mu.unlock()
    run(mode, main)


def test_mu03_unlock_of_unlocked_mutex():
    def main():
        mu = pg.Mutex()
        with pytest.raises(pg.Panic, match="^sync: unlock of unlocked mutex$"):
            mu.unlock()
        mu.lock()
        mu.unlock()
        with pytest.raises(pg.Panic):
            mu.unlock()
    pg.run(main, procs=1)


def unlock_it(mu, done):
    mu.unlock()
    done.send(True)


def test_mu04_unlock_from_another_goroutine(mode):
    def main():
        mu, done = pg.Mutex(), pg.chan()
        mu.lock()
        start_peer(mode, unlock_it, mu, done)
        done.recv()
        assert mu.try_lock()
        mu.unlock()
    run(mode, main)


def test_mu05_not_reentrant():
    def main():
        mu = pg.Mutex()
        mu.lock()
        mu.lock()
    with pytest.raises(pg.Deadlock) as ei:
        pg.run(main, procs=1)
    assert "[sync.Mutex.Lock]" in str(ei.value)


def lock_record(mu, name, out):
    mu.lock()
    out.send(name)
    mu.unlock()


def test_mu06_waiters_are_fifo(mode):
    def main():
        mu, out = pg.Mutex(), pg.chan(3)
        mu.lock()
        start_peer(mode, lock_record, mu, "a", out)
        wait_blocked("sync.Mutex.Lock", 1)
        pg.go(lock_record, mu, "b", out)
        wait_blocked("sync.Mutex.Lock", 2)
        mu.unlock()
        assert [out.recv(), out.recv()] == ["a", "b"]
    run(mode, main)


def hog(mu, stop):
    while pg.select(stop.recv, default=True)[0] == -1:
        mu.lock()
        pg.sleep(0.0001)
        mu.unlock()


def polite(mu, done):
    for _ in range(10):
        pg.sleep(0.0001)
        mu.lock()
        mu.unlock()
    done.send(True)


def test_mu07_mu09_starvation_mode_lets_the_waiter_in(mode):
    """TestMutexFairness: A loops lock; sleep(100us); unlock; B must manage
    10 lock/unlock within 10 s (Go's bar)."""
    def main():
        mu, stop, done = pg.Mutex(), pg.chan(), pg.chan()
        start_peer(mode, hog, mu, stop)
        pg.go(polite, mu, done)
        i, _, _ = pg.select(done.recv, pg.after(10).recv)
        stop.close()
        assert i == 0, "the polite goroutine starved"
    run(mode, main)


def test_mutex_context_manager():
    def main():
        mu = pg.Mutex()
        with mu:
            assert mu.locked() and not mu.try_lock()
        assert not mu.locked()
    pg.run(main, procs=1)


# ---- RWMutex --------------------------------------------------------------------------

def reader_inside(rw, inside, go_on, out):
    rw.rlock()
    out.send(inside.add(1))
    go_on.recv()
    inside.add(-1)
    rw.runlock()


@pytest.mark.parametrize("readers", (1, 3, 4))
def test_rw01_parallel_readers(mode, readers):
    def main():
        rw, inside, go_on, out = pg.RWMutex(), pg.atomic.Int32(), pg.chan(), pg.chan(readers)
        start_peer(mode, reader_inside, rw, inside, go_on, out)
        for _ in range(readers - 1):
            pg.go(reader_inside, rw, inside, go_on, out)
        assert sorted(out.recv() for _ in range(readers)) == list(range(1, readers + 1))
        go_on.close()
        rw.lock()
        rw.unlock()
    run(mode, main)


def rw_hammer(rw, activity, n, writer, done):
    for _ in range(n):
        if writer:
            rw.lock()
            a = activity.add(10000)
            ok = a == 10000
            activity.add(-10000)
            rw.unlock()
        else:
            rw.rlock()
            a = activity.add(1)
            ok = 1 <= a <= 9999
            activity.add(-1)
            rw.runlock()
        if not ok:
            done.send(f"bad activity {a}")
            return
    done.send("ok")


def test_rw02_writer_excludes_everyone(mode):
    def main():
        rw, act, done = pg.RWMutex(), pg.atomic.Int64(), pg.chan(8)
        start_peer(mode, rw_hammer, rw, act, 200, True, done)
        pg.go(rw_hammer, rw, act, 200, True, done)
        for _ in range(6):
            pg.go(rw_hammer, rw, act, 200, False, done)
        assert [done.recv() for _ in range(8)] == ["ok"] * 8
    run(mode, main)


def rlock_note(rw, out):
    rw.rlock()
    out.send("reader in")
    rw.runlock()


def wlock_note(rw, out):
    rw.lock()
    out.send("writer in")
    rw.unlock()


def test_rw03_waiting_writer_blocks_new_readers(mode):
    def main():
        rw, out = pg.RWMutex(), pg.chan(2)
        rw.rlock()
        start_peer(mode, wlock_note, rw, out)
        wait_blocked("sync.RWMutex.Lock")
        assert not rw.try_rlock(), "a new reader got in past a waiting writer"
        pg.go(rlock_note, rw, out)
        wait_blocked("sync.RWMutex.RLock")
        rw.runlock()
        assert [out.recv(), out.recv()] == ["writer in", "reader in"]
    run(mode, main)


def test_rw06_rw07_unlock_misuse():
    def main():
        rw = pg.RWMutex()
        with pytest.raises(pg.Panic, match="^sync: RUnlock of unlocked RWMutex$"):
            rw.runlock()
        with pytest.raises(pg.Panic, match="^sync: Unlock of unlocked RWMutex$"):
            rw.unlock()
        rw.rlock()
        with pytest.raises(pg.Panic, match="Unlock of unlocked RWMutex"):
            rw.unlock()
        rw.runlock()
    pg.run(main, procs=1)


def test_rw08_rlocker(mode):
    def main():
        rw, out = pg.RWMutex(), pg.chan(1)
        rl = rw.rlocker()
        rl.lock()
        rl.lock()                        # two read locks together
        start_peer(mode, wlock_note, rw, out)
        wait_blocked("sync.RWMutex.Lock")
        rl.unlock()
        assert len(out) == 0
        rl.unlock()
        assert out.recv() == "writer in"
    run(mode, main)


def test_rw09_try_lock_and_try_rlock():
    def main():
        rw = pg.RWMutex()
        assert rw.try_rlock() and not rw.try_lock()
        rw.runlock()
        assert rw.try_lock() and not rw.try_rlock() and not rw.try_lock()
        rw.unlock()
        with rw:
            assert not rw.try_rlock()
    pg.run(main, procs=1)


# ---- Cond -------------------------------------------------------------------------------

def cond_waiter(c, name, ready, out):
    c.L.lock()
    ready.send(name)
    c.wait()
    out.send(name)
    c.L.unlock()


def test_cond02_cond03_signal_wakes_one_fifo(mode):
    def main():
        c, ready, out = pg.Cond(pg.Mutex()), pg.chan(), pg.chan(10)
        names = ["g0", "g1", "g2", "g3"]
        start_peer(mode, cond_waiter, c, names[0], ready, out)
        assert ready.recv() == "g0"
        for n in names[1:]:
            pg.go(cond_waiter, c, n, ready, out)
            assert ready.recv() == n
        wait_blocked("sync.Cond.Wait", 4)
        got = []
        for _ in names:
            c.signal()
            got.append(out.recv())
            assert len(out) == 0, "signal woke more than one"
        assert got == names
    run(mode, main)


def test_cond04_broadcast_wakes_all_current_waiters(mode):
    def main():
        c, ready, out = pg.Cond(pg.Mutex()), pg.chan(), pg.chan(10)
        start_peer(mode, cond_waiter, c, 0, ready, out)
        ready.recv()
        for i in range(1, 5):
            pg.go(cond_waiter, c, i, ready, out)
            ready.recv()
        wait_blocked("sync.Cond.Wait", 5)
        c.broadcast()
        assert sorted(out.recv() for _ in range(5)) == list(range(5))
        pg.go(cond_waiter, c, "late", ready, out)
        ready.recv()
        wait_blocked("sync.Cond.Wait", 1)
        assert len(out) == 0               # a waiter after broadcast is not woken
        c.signal()
        assert out.recv() == "late"
    run(mode, main)


def test_cond05_signal_without_waiters_is_lost():
    def main():
        c, ready, out = pg.Cond(pg.Mutex()), pg.chan(), pg.chan(1)
        c.signal()
        c.broadcast()
        pg.go(cond_waiter, c, "w", ready, out)
        ready.recv()
        wait_blocked("sync.Cond.Wait")
        assert len(out) == 0
        c.signal()
        assert out.recv() == "w"
    pg.run(main, procs=1)


def test_cond07_wait_without_lock_panics():
    def main():
        c = pg.Cond(pg.Mutex())
        with pytest.raises(pg.Panic, match="unlock of unlocked mutex"):
            c.wait()
        with pytest.raises(TypeError):
            pg.Cond(object())
    pg.run(main, procs=1)


def test_cond_with_rlocker(mode):
    def main():
        rw = pg.RWMutex()
        c, ready, out = pg.Cond(rw.rlocker()), pg.chan(), pg.chan(1)
        start_peer(mode, cond_waiter, c, "r", ready, out)
        ready.recv()
        wait_blocked("sync.Cond.Wait")
        c.broadcast()
        assert out.recv() == "r"
    run(mode, main)


# ---- Once --------------------------------------------------------------------------------

def once_caller(once, counter, out):
    once.do(lambda: (time.sleep(0.05), counter.add(1)))
    out.send(counter.load())


def test_once01_once02_exactly_once_and_others_wait(mode):
    def main():
        once, counter, out = pg.Once(), pg.atomic.Int32(), pg.chan(10)
        start_peer(mode, once_caller, once, counter, out)
        for _ in range(9):
            pg.go(once_caller, once, counter, out)
        assert [out.recv() for _ in range(10)] == [1] * 10
    run(mode, main)


def test_once03_exception_counts_as_done():
    def main():
        once = pg.Once()
        with pytest.raises(ZeroDivisionError):
            once.do(lambda: 1 / 0)
        once.do(lambda: pytest.fail("ran twice"))
        assert once.done()
    pg.run(main, procs=1)


def test_once04_recursive_do_deadlocks():
    def main():
        once = pg.Once()
        once.do(lambda: once.do(lambda: None))
    with pytest.raises(pg.Deadlock, match=r"sync\.Mutex\.Lock"):
        pg.run(main, procs=1)


# ---- Pool ---------------------------------------------------------------------------------

def test_pool01_pool02_new_get_put():
    def main():
        made = []

        def new():
            made.append(len(made) + 1)
            return made[-1]
        p = pg.Pool(new)
        assert p.get() == 1 and p.get() == 2
        p.put(42)
        p.put(None)                           # ignored
        assert p.get() == 42 and p.get() == 3
        assert pg.Pool().get() is None
    pg.run(main, procs=1)


def pool_use(p, out):
    x = p.get()
    p.put(x)
    out.send((os.getpid(), p.get()))


def test_pool04_each_process_keeps_its_own(mode):
    def main():
        p, out = pg.Pool(lambda: "fresh"), pg.chan()
        p.put("mine")
        pid = start_peer(mode, pool_use, p, out)
        wpid, got = out.recv()
        # in another process the pool starts empty; here our object is there
        assert got == ("mine" if pid == os.getpid() else "fresh")
        if mode == "xproc":
            assert p.get() == "mine"
    run(mode, main)
