"""Tracebacks name the user's file and line: a function of a script travels
by value (cloudpickle), and its code keeps its file name, so a goroutine's
panic, a pool task's failure and a goroutine dump point at the script, with
the source line, in one process and across processes.

Each scenario is a script written to a temporary directory and run as
``__main__`` in a subprocess, as a user runs one."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(120)


def _run_script(tmp_path, source: str, *argv: str) -> tuple[str, str]:
    path = tmp_path / "user_script.py"
    path.write_text(textwrap.dedent(source))
    done = subprocess.run([sys.executable, str(path), *argv], capture_output=True,
                          text=True, timeout=100, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return str(path), done.stdout


def _pid_after(prefix: str, text: str) -> str:
    return re.search(re.escape(prefix) + r"(\d+)", text).group(1)


def _line_of(path: str, text: str) -> int:
    lines = open(path).read().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


PANIC = """
    import os
    import sys

    import parago as pg

    def boom(main_pid, done):
        if os.getpid() == main_pid and sys.argv[1] == "2":
            done.send(None)                  # on P0: let a goroutine on P1 fail
            return
        def inner():
            raise ValueError(f"bad value in {os.getpid()}")
        inner()

    def main():
        done = pg.chan()
        for _ in range(4):
            pg.go(boom, os.getpid(), done)
        for _ in range(4):
            done.recv()

    if __name__ == "__main__":
        try:
            pg.run(main, procs=int(sys.argv[1]))
            print("NO PANIC")
        except pg.GoroutinePanic as e:
            print("MAIN", os.getpid())
            print(e.__cause__)
            print(e.remote_traceback)
"""


@pytest.mark.parametrize("procs", [1, 2], ids=["local", "xproc"])
def test_a_goroutine_panic_names_the_script_file_and_line(tmp_path, procs):
    path, out = _run_script(tmp_path, PANIC, str(procs))
    assert "NO PANIC" not in out
    assert (_pid_after("MAIN ", out) == _pid_after("bad value in ", out)) == (procs == 1), out
    assert f'File "{path}", line {_line_of(path, "raise ValueError")}, in inner' in out
    assert f'File "{path}", line {_line_of(path, "    inner()")}, in boom' in out
    assert 'raise ValueError(f"bad value in {os.getpid()}")' in out    # the source line
    assert "<dynamic-code>" not in out


POOL = """
    import os

    import parago as pg

    def task(x):
        if x == 3:
            raise KeyError(f"task {x} in {os.getpid()}")
        return x

    if __name__ == "__main__":
        print("MAIN", os.getpid())
        with pg.WorkerPool(2) as pool:
            try:
                list(pool.map(task, range(5)))
            except KeyError as e:
                print(e.__cause__)
"""


def test_a_pool_task_failure_names_the_script_file_and_line(tmp_path):
    path, out = _run_script(tmp_path, POOL)
    assert _pid_after("MAIN ", out) != _pid_after("task 3 in ", out)
    assert f'File "{path}", line {_line_of(path, "raise KeyError")}, in task' in out
    assert 'raise KeyError(f"task {x} in {os.getpid()}")' in out
    assert "<dynamic-code>" not in out


DEADLOCK = """
    import os

    import parago as pg

    def stuck(ch, pids):
        pids.send(os.getpid())
        ch.recv()

    def main():
        ch, pids = pg.chan(), pg.chan(4)
        for _ in range(4):
            pg.go(stuck, ch, pids)
        print("MAIN", os.getpid(), "PIDS", {pids.recv() for _ in range(4)})
        ch.recv()

    if __name__ == "__main__":
        try:
            pg.run(main, procs=2)
        except pg.Deadlock as e:
            print(e)
"""


def test_a_deadlock_dump_names_the_script_file_and_line_in_every_process(tmp_path):
    path, out = _run_script(tmp_path, DEADLOCK)
    assert "all goroutines are asleep - deadlock!" in out
    where = f'File "{path}", line {_line_of(path, "    ch.recv()")}, in stuck'
    dumps = [part for part in out.split("goroutine ")[1:] if "in stuck" in part]
    assert len(dumps) == 4 and all(where in d and "ch.recv()" in d for d in dumps), out
    pids = {_pid_after("pid ", d) for d in dumps}
    assert len(pids) == 2 and _pid_after("MAIN ", out) in pids, out
    assert "<dynamic-code>" not in out
