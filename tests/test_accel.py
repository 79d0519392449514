"""The compiled kernel is the one that runs, and PARAGO_PURE_PYTHON=1 runs
the .py sources instead (parago/_accel.py)."""

from __future__ import annotations

import importlib
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import parago
from parago import _accel

PKG = pathlib.Path(parago.__file__).parent
# Every kernel module compiled at install has its types in a _c_<name>.pxd
# beside it; _c_atom.pxd only declares the inline atomics the others cimport
# (atom.py is their pure-Python stand-in, never compiled itself).
KERNEL = sorted(f"parago.{p.parent.name}.{p.stem[3:]}" for p in PKG.glob("_*/_c_*.pxd")
                if (p.parent / f"{p.stem[3:]}.py").exists() and p.stem != "_c_atom")
BUILT = all(list(PKG.glob(f"{m.split('.')[1]}/_c_{m.split('.')[2]}.*.so")) for m in KERNEL)


def test_every_kernel_module_has_a_pxd():
    # The list the tests below check against is the one setup.py compiles.
    setup = (PKG.parent.parent / "setup.py")
    if not setup.exists():
        pytest.skip("an installed package: setup.py is not beside it")
    text = setup.read_text()
    for m in KERNEL:
        _, layer, name = m.split(".")
        assert f'"{layer}/{name}"' in text, f"{m} has a .pxd but is not compiled"
    assert len(KERNEL) == text.count('    "_shm/') + text.count('    "_core/')


@pytest.mark.skipif(_accel.PURE, reason="PARAGO_PURE_PYTHON=1: the sources run")
@pytest.mark.skipif(not BUILT and not os.environ.get("CI"),
                    reason="the compiled kernel is not built here")
def test_the_compiled_twins_run():
    # (On CI the install must have built them: there this test fails instead.)
    for m in KERNEL:
        importlib.import_module(m)
    assert set(KERNEL) <= _accel.compiled
    from parago._core import chan, sched
    # What the kernel's callers get is the twin's: its functions and classes.
    assert type(chan.send).__name__ == "cython_function_or_method"
    assert chan.send.__module__ == "parago._core._c_chan"
    assert sched.Processor.__module__ == "parago._core._c_sched"


def _run_pure(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARAGO_PURE_PYTHON": "1"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_pure_python_runs_the_sources():
    r = _run_pure(f"""
        import importlib, parago as pg
        from parago import _accel
        mods = [importlib.import_module(m) for m in {KERNEL!r}]
        assert not _accel.compiled, _accel.compiled
        from parago._core import chan
        # the .py's own function: an edit of the file is what runs
        assert chan.send.__code__.co_filename == chan.__file__, chan.__file__

        def main():
            c = pg.chan()
            pg.go(c.send, 41)
            return c.recv() + 1
        print(pg.run(main, procs=2))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"


def _park_on(ch, op, ready):
    ready.send(None)
    if op == "recv":
        ch.recv()
    else:
        ch.send(1)


# The C stack a goroutine parked in a channel operation keeps copied aside
# (greenlet's saved stack) is most of its memory beyond the greenlet itself:
# the kernel parks from small frames (_core/chan.send and receive), not from
# the ones that hold the arena's typed view. Measured on x86-64 CPython 3.11:
# 2,392 bytes (gevent's greenlet parked on an Event: 2,488); before that
# change, 2,936.
PARKED_STACK_BOUND = 2600


@pytest.mark.skipif(_accel.PURE or not BUILT, reason="the compiled kernel's frames")
@pytest.mark.skipif(sys.platform != "linux" or os.uname().machine != "x86_64"
                    or sys.version_info[:2] != (3, 11), reason="bound measured on x86-64 3.11")
@pytest.mark.timeout(60)
def test_a_goroutine_parked_on_a_channel_keeps_little_c_stack():
    import parago as pg
    from parago._core import sched

    def main():
        ready, empty, full = pg.chan(4), pg.chan(), pg.chan()
        for ch, op in ((empty, "recv"), (empty, "recv"), (full, "send"), (full, "send")):
            pg.go(_park_on, ch, op, ready)
        for _ in range(4):
            ready.recv()
        pg.sleep(0.01)                   # all four parked: nobody is on the other side
        proc = sched.this_proc()
        parked = [g for g in proc.goroutines() if g.reason.startswith("chan ")]
        saved = sorted(g.gr._stack_saved for g in parked)
        assert len(saved) == 4 and all(0 < s <= PARKED_STACK_BOUND for s in saved), saved
        empty.send(1)
        empty.send(2)
        assert full.recv() == full.recv() == 1
    pg.run(main, procs=1)
