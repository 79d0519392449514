"""Every program in docs/examples runs and prints what the Go original prints
(for the broken ones: what parago reports instead)."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(300)

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "examples"


def run_example(name: str, *args, procs: int = 2, expect_rc: int = 0) -> str:
    env = dict(os.environ, PARAGO_MAXPROCS=str(procs))
    out = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)],
                         capture_output=True, text=True, timeout=240, env=env, check=False)
    assert out.returncode == expect_rc, f"{name} exited {out.returncode}:\n{out.stderr[-3000:]}"
    return out.stdout + (out.stderr if expect_rc else "")


@pytest.mark.parametrize("procs", (1, 2))
def test_mutex_increment_decrement(procs):
    lines = run_example("mutex_increment_decrement.py", procs=procs).splitlines()
    assert lines[-1] == "Arithmetic complete."
    count = 0
    ops = {"Incrementing": 0, "Decrementing": 0}
    for line in lines[:-1]:
        op, value = line.split(": ")
        count += 1 if op == "Incrementing" else -1
        assert int(value) == count, "a printed count skipped: the mutex did not hold"
        ops[op] += 1
    assert ops == {"Incrementing": 6, "Decrementing": 6} and count == 0


@pytest.mark.parametrize("procs", (1, 2))
def test_cond_queue(procs):
    lines = run_example("cond_queue.py", 0.05, procs=procs).splitlines()
    assert lines.count("Adding to queue") == 10 and lines.count("Removed from queue") == 10
    size = 0
    for line in lines:
        size += 1 if line.startswith("Adding") else -1
        assert 0 <= size <= 2, "the queue held more than two items"


@pytest.mark.parametrize("procs", (1, 2))
def test_cond_button_broadcast(procs):
    out = run_example("cond_button_broadcast.py", procs=procs)
    assert sorted(out.splitlines()) == sorted(
        ["Maximizing window.", "Displaying annoying dialog box!", "Mouse clicked."])


@pytest.mark.parametrize("procs", (1, 2))
def test_once(procs):
    assert run_example("once.py", procs=procs).splitlines() == ["Count is 1", "Count: 1"]


@pytest.mark.parametrize("procs", (1, 2))
def test_pool(procs):
    lines = run_example("pool.py", 5000, procs=procs).splitlines()
    assert lines[:2] == ["Creating new instance.", "Creating new instance."]
    created = int(re.match(r"(\d+) calculators were created\.", lines[2]).group(1))
    assert 4 <= created <= 4 + 4 * procs, "the pool did not reuse its buffers"
