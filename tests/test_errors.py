"""Clear errors from one place (_errors.py): pg.NoRuntime with one wording
per situation, try_lock from a plain thread, and the environment variables
checked when pg.run starts (_runtime/config.py)."""

from __future__ import annotations

import pickle
import re
import threading

import pytest

import parago as pg
from parago._runtime import config
from parago._shm import layout as L

pytestmark = pytest.mark.timeout(60)

ENDED = re.compile(r"^this parago \w+ belongs to a runtime that has ended$")


def make_objects() -> dict:
    ctx, cancel = pg.context.with_cancel(pg.context.background())
    return {
        "ch": pg.chan(3), "mu": pg.Mutex(), "rw": pg.RWMutex(), "wg": pg.WaitGroup(),
        "once": pg.Once(), "cond": pg.Cond(pg.Mutex()), "i64": pg.atomic.Int64(),
        "u32": pg.atomic.Uint32(), "flag": pg.atomic.Bool(), "val": pg.atomic.Value(),
        "timer": pg.Timer(60), "ticker": pg.Ticker(60), "ctx": ctx, "cancel": cancel,
    }


AFTER_THE_RUN = {
    "chan send": lambda o: o["ch"].send(1),
    "chan recv": lambda o: o["ch"].recv(),
    "chan recv_ok": lambda o: o["ch"].recv_ok(),
    "chan close": lambda o: o["ch"].close(),
    "chan len": lambda o: len(o["ch"]),
    "chan iteration": lambda o: next(iter(o["ch"])),
    "select": lambda o: pg.select(o["ch"].recv, default=True),
    "Mutex.lock": lambda o: o["mu"].lock(),
    "Mutex.unlock": lambda o: o["mu"].unlock(),
    "Mutex.try_lock": lambda o: o["mu"].try_lock(),
    "RWMutex.rlock": lambda o: o["rw"].rlock(),
    "RWMutex.try_lock": lambda o: o["rw"].try_lock(),
    "WaitGroup.add": lambda o: o["wg"].add(1),
    "WaitGroup.wait": lambda o: o["wg"].wait(),
    "Once.do": lambda o: o["once"].do(print),
    "Cond.signal": lambda o: o["cond"].signal(),
    "Int64.load": lambda o: o["i64"].load(),
    "Int64.add": lambda o: o["i64"].add(1),
    "Uint32.compare_and_swap": lambda o: o["u32"].compare_and_swap(0, 1),
    "Bool.store": lambda o: o["flag"].store(True),
    "Value.load": lambda o: o["val"].load(),
    "Timer.stop": lambda o: o["timer"].stop(),
    "Ticker.reset": lambda o: o["ticker"].reset(1),
    "context err": lambda o: o["ctx"].err(),
    "context cancel": lambda o: o["cancel"](),
    "pickle a Chan": lambda o: pickle.dumps(o["ch"]),
    "pickle a Mutex": lambda o: pickle.dumps(o["mu"]),
    "pickle a context": lambda o: pickle.dumps(o["ctx"]),
}


@pytest.fixture(scope="module")
def ended_objects():
    box = {}
    pg.run(lambda: box.update(make_objects()), procs=1)
    return box


@pytest.mark.parametrize("op", sorted(AFTER_THE_RUN))
def test_objects_of_an_ended_runtime_raise_no_runtime(ended_objects, op):
    with pytest.raises(pg.NoRuntime) as ei:
        AFTER_THE_RUN[op](ended_objects)
    assert ENDED.match(str(ei.value)), str(ei.value)


def test_objects_of_an_ended_runtime_inside_a_new_one(ended_objects):
    def main():
        for op in ("chan send", "Mutex.lock", "WaitGroup.add", "Int64.add", "context err"):
            with pytest.raises(pg.NoRuntime) as ei:
                AFTER_THE_RUN[op](ended_objects)
            assert ENDED.match(str(ei.value)), (op, str(ei.value))
    pg.run(main, procs=1)


def test_a_copy_reaching_another_runtime():
    copies = pg.run(lambda: pickle.dumps(pg.chan()), procs=1)

    def main():
        with pytest.raises(pg.NoRuntime, match="^this parago Chan belongs to another runtime "
                                               "than the one running here$"):
            pickle.loads(copies)
    pg.run(main, procs=1)


def test_nothing_running():
    for call, what in ((pg.chan, "a parago object"), (lambda: pg.go(print), "pg.go"),
                       (lambda: pg.sleep(0), "pg.sleep"), (pg.Mutex, "a parago object")):
        with pytest.raises(pg.NoRuntime, match=f"^{what} needs a running runtime: call it "
                                               r"inside pg.run \(or a WorkerPool\)$"):
            call()


def in_thread(fn):
    box = {}

    def body():
        try:
            box["ok"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["err"] = e
    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    return box


def test_a_plain_thread_inside_a_run():
    """What never waits works from a plain thread; what may wait says it
    needs a goroutine."""
    def main():
        mu, ch, wg = pg.Mutex(), pg.chan(1), pg.WaitGroup()
        assert in_thread(mu.try_lock) == {"ok": True}         # as lock() does
        assert in_thread(mu.try_lock) == {"ok": False}
        assert mu.try_lock() is False
        assert in_thread(mu.unlock) == {"ok": None}
        assert in_thread(mu.lock) == {"ok": None}
        assert mu.try_lock() is False
        mu.unlock()
        for call, what in ((ch.recv, "this Chan"), (ch.close, "this Chan"),
                           (wg.wait, "this WaitGroup")):
            err = in_thread(call)["err"]
            assert isinstance(err, pg.NoRuntime)
            assert str(err) == f"{what} must be used from a goroutine, not from a plain thread"
        # A thread is not told about runtimes of other threads.
        for call, what in ((lambda: pg.go(print), "pg.go"), (lambda: pg.sleep(0), "pg.sleep")):
            err = in_thread(call)["err"]
            assert isinstance(err, pg.NoRuntime) and str(err).startswith(f"{what} needs a ")
    pg.run(main, procs=1)


# ---- environment variables ---------------------------------------------------------------

@pytest.mark.parametrize("text, size", [("67108864", 64 << 20), ("64M", 64 << 20),
                                        ("64MiB", 64 << 20), ("64mb", 64 << 20),
                                        ("1G", 1 << 30), ("1.5G", 3 << 29), ("2T", 2 << 40),
                                        (" 512K ", 512 << 10)])
def test_shm_size_units(text, size):
    assert config.parse_size(text) == size


@pytest.mark.parametrize("var, value, says", [
    ("PARAGO_SHM_SIZE", "0", "out of range"),
    ("PARAGO_SHM_SIZE", "-1", "is not a size"),
    ("PARAGO_SHM_SIZE", str(2 ** 62), "out of range"),
    ("PARAGO_SHM_SIZE", "lots", "is not a size"),
    ("PARAGO_SHM_SIZE", "12X", "is not a size"),
    ("PARAGO_MAXPROCS", "two", "whole number"),
    ("PARAGO_MAXPROCS", "0", "whole number"),
    ("PARAGO_MAXPROCS", str(L.MAXP + 1), "whole number"),
    ("PARAGO_START_METHOD", "fork", "forkserver, spawn"),
    ("PARAGO_PREEMPT", "maybe", "must be 1 or 0"),
])
def test_bad_environment_stops_pg_run_at_once(monkeypatch, var, value, says):
    monkeypatch.setenv(var, value)
    ran = []
    with pytest.raises(ValueError) as ei:
        pg.run(lambda: ran.append(1), procs=1)    # checked even where this run would not use it
    msg = str(ei.value)
    assert msg.startswith(f"{var}={value!r} ") and says in msg
    if var == "PARAGO_SHM_SIZE":
        assert "512M" in msg and "64G" in msg      # the accepted forms
    assert ran == []


def test_shm_size_is_the_arenas(monkeypatch):
    from parago._core import sched
    monkeypatch.setenv("PARAGO_SHM_SIZE", "64M")
    assert pg.run(lambda: sched.tls.proc.arena.size, procs=1) == 64 << 20
    monkeypatch.setenv("PARAGO_MAXPROCS", "1")
    assert pg.run(pg.gomaxprocs) == 1


def test_a_remote_error_stand_in_is_copied_whole():
    err = pickle.loads(pickle.dumps(pg.RemoteError("Local", "mine")))
    assert (err.type_name, err.message, str(err)) == ("Local", "mine", "Local: mine")
