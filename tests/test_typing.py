"""The public API's types, as a user's type checker sees them (API.md,
"Typing"): mypy --strict accepts a program that uses Chan[int], its views,
select and WorkerPool.submit as documented, infers the documented types, and
rejects one that sends a str on a Chan[int] or sends on a receive-only view.

The whole package is checked by `tox -e typing` (and .ci/run); this test
checks what a user meets, in a few seconds."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import textwrap

import pytest

import parago

pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra)")

SRC = pathlib.Path(parago.__file__).parent.parent

GOOD = """\
    from __future__ import annotations

    import parago as pg


    def square(x: int) -> int:
        return x * x


    def producer(out: pg.SendOnlyChan[int], n: int) -> None:
        for i in range(n):
            out.send(i)
        out.close()


    def main() -> None:
        ch: pg.Chan[int] = pg.chan(4)
        pg.go(producer, ch.send_only(), 3)
        reveal_type(ch.recv())
        reveal_type(ch.recv_ok())
        for v in ch.recv_only():
            reveal_type(v)
        i, v2, ok = pg.select(ch.recv, (ch.send, 1), None, default=True)
        reveal_type(pg.select(ch.recv))
        with pg.WorkerPool(1) as pool:
            reveal_type(pool.submit(square, 3))
            total: int = sum(pool.map(square, [1, 2]))
        assert total == 5 and ok in (True, False) and i >= -1 and v2 is not object


    pg.run(main)
    """

BAD = """\
    from __future__ import annotations

    import parago as pg


    def main() -> None:
        ch: pg.Chan[int] = pg.chan(1)
        ch.send("x")
        s: str = ch.recv()
        ro: pg.RecvOnlyChan[int] = ch.recv_only()
        ro.send(1)  # (a NoReturn: what follows would not be checked)
    """


def _mypy(tmp_path: pathlib.Path, name: str, source: str) -> tuple[int, str]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    # a source tree goes on MYPYPATH; mypy finds an installed wheel itself
    # (and refuses site-packages on MYPYPATH)
    installed = str(SRC) in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    env = dict(os.environ) if installed else dict(os.environ, MYPYPATH=str(SRC))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", os.devnull,
         # parago's own modules are checked by `tox -e typing`: here only what a user writes
         "--follow-imports=silent", str(path)],
        capture_output=True, text=True, timeout=110, env=env, cwd=tmp_path)
    return proc.returncode, proc.stdout + proc.stderr


def test_documented_use_type_checks_with_the_documented_types(tmp_path):
    code, out = _mypy(tmp_path, "good", GOOD)
    assert code == 0, out
    # (older mypy versions spell the builtins "builtins.int")
    revealed = [t.replace("builtins.", "") for t in re.findall(r'Revealed type is "(.*)"', out)]
    assert revealed == [
        "int",                                      # recv() -> T
        "tuple[int | None, bool]",                  # recv_ok()
        "int",                                      # iteration yields T
        "tuple[int, Any, bool]",                    # select
        "concurrent.futures._base.Future[int]",     # submit -> Future[R]
    ], out


def test_wrong_types_are_rejected(tmp_path):
    code, out = _mypy(tmp_path, "bad", BAD)
    assert code == 1, out
    errors = {int(m.group(1)): m.group(2)
              for m in re.finditer(r"bad\.py:(\d+): error: (.*)", out)}
    assert set(errors) == {8, 9, 11}, out
    assert '"send" of "Chan" has incompatible type "str"; expected "int"' in errors[8]
    assert 'expression has type "int", variable has type "str"' in errors[9]
    assert '"send" of "RecvOnlyChan" has incompatible type "int"' in errors[11]
