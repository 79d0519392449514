"""Run benchmark kernels in interpreters of their own and return their JSON
results.

    python -m parago.bench.runner parago.bench.switch:parago_handoff '{"n": 100000}'
    python -m parago.bench.runner --serve      # one kernel call per stdin line

:func:`measure` runs one call in a fresh interpreter. A :class:`Server` is an
interpreter that runs calls one after another on request: the bench keeps
one per implementation and section, so the runs of the two sides of a
comparison can be interleaved (A, B, A, B, ...) without paying an
interpreter's start (and a forkserver's) for every run, while no two
implementations share a process, a GIL or an event loop.

A kernel runs in its own process group, so that stopping it (Ctrl-C in the
caller, a timeout) reaches everything it started: :func:`stop` sends SIGINT
to the group (parago's P0 tears its runtime down on it), SIGKILL after a grace
period, reaps the kernel and removes any /dev/shm segment its runtime left.

For tests, ``PARAGO_BENCH_FAIL=<text>`` makes every kernel whose target
contains ``<text>`` fail (see docs/bench.md).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import IO, Any, cast


class KernelFailed(RuntimeError):
    pass


def measure(target: str, timeout: float = 600, **kwargs: Any) -> dict[str, Any]:
    """Run ``module:function(**kwargs)`` in a subprocess; returns its dict."""
    call = f"{target}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    cmd = [sys.executable, "-m", "parago.bench.runner", target, json.dumps(kwargs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            process_group=0)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise KernelFailed(f"{call} did not finish within {timeout:.0f} s") from None
    except BaseException:          # Ctrl-C (KeyboardInterrupt) or anything else: leave nothing
        stop(proc)
        raise
    if proc.returncode != 0:
        raise KernelFailed(f"{call} failed (exit {proc.returncode}):\n{err[-3000:]}")
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    raise KernelFailed(f"{call} printed no result:\n{out[-2000:]}\n{err[-2000:]}")


def stop(proc: subprocess.Popen[str], grace: float = 5.0) -> None:
    """End a kernel started by :func:`measure` and everything in its process
    group; further Ctrl-C is ignored meanwhile so the cleanup runs to the end."""
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        _signal_group(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.communicate(timeout=grace)
        _signal_group(proc.pid, signal.SIGKILL)       # stragglers, or a kernel that ignored SIGINT
        proc.communicate()
        _remove_segments(proc.pid)
    finally:
        if main:
            signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)


def _remove_segments(pid: int) -> None:
    """A runtime killed before its teardown leaves its segment (named after P0's pid)."""
    for path in glob.glob(f"/dev/shm/parago_{pid}_*"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


RESULT = "@@bench-result "


class Server:
    """An interpreter that runs kernel calls on request (``--serve``), one at
    a time. A call that fails, or outlives its timeout, stops the server: the
    next call starts a new one."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.errors: IO[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        self.errors = tempfile.TemporaryFile(mode="w+")    # stderr: never a full pipe
        return subprocess.Popen([sys.executable, "-m", "parago.bench.runner", "--serve"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=self.errors, text=True, process_group=0)

    def call(self, target: str, timeout: float = 600, **kwargs: Any) -> dict[str, Any]:
        """``module:function(**kwargs)`` in this server; returns its dict."""
        call = f"{target}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        try:
            stdin = cast("IO[str]", proc.stdin)        # a pipe (_start): never None
            stdin.write(json.dumps([target, kwargs]) + "\n")
            stdin.flush()
            line = self._result_line(proc, timeout)
        except BaseException:          # Ctrl-C, a dead server: leave nothing
            self.close(graceful=False)
            raise
        if line is None:
            self.close(graceful=False)
            raise KernelFailed(f"{call} did not finish within {timeout:.0f} s")
        reply = json.loads(line)
        if "error" in reply:
            err = self._stderr_tail() + reply["error"]
            self.close()
            raise KernelFailed(f"{call} failed:\n{err[-3000:]}")
        result: dict[str, Any] = reply["result"]
        return result

    @staticmethod
    def _result_line(proc: subprocess.Popen[str], timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        stdout = cast("IO[str]", proc.stdout)          # a pipe (_start): never None
        with selectors.DefaultSelector() as sel:
            sel.register(stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                line = stdout.readline()
                if not line:
                    raise KernelFailed(f"the kernel server died (exit {proc.wait()})")
                if line.startswith(RESULT):
                    return line[len(RESULT):]

    def _stderr_tail(self) -> str:
        if self.errors is None:
            return ""
        self.errors.seek(0)
        return self.errors.read()[-2000:]

    def close(self, graceful: bool = True) -> None:
        """Stop the server and everything it started: at once, or (graceful)
        by closing its input and giving it 5 s to end."""
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                cast("IO[str]", proc.stdin).close()    # a pipe (_start): never None
            proc.stdin = None
            if graceful:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            if proc.poll() is None:
                stop(proc)
            else:
                _signal_group(proc.pid, signal.SIGKILL)     # anything it left behind
                _remove_segments(proc.pid)
        if self.errors is not None:
            self.errors.close()
            self.errors = None


def _serve() -> None:
    """Run ``[target, kwargs]`` lines from stdin until it closes; a failed
    call reports its traceback and ends the server."""
    out = sys.stdout
    sys.stdout = sys.stderr          # what kernels print stays out of the replies
    inject = os.environ.get("PARAGO_BENCH_FAIL")
    for line in sys.stdin:
        target, args = json.loads(line)
        try:
            if inject and inject in target:
                raise RuntimeError(f"injected failure (PARAGO_BENCH_FAIL={inject!r})")
            mod, fn = target.split(":")
            reply = {"result": getattr(importlib.import_module(mod), fn)(**args)}
        except BaseException:  # noqa: BLE001 - reported to the bench, which stops us
            reply = {"error": traceback.format_exc()}
        out.write(RESULT + json.dumps(reply) + "\n")
        out.flush()
        if "error" in reply:
            return


@functools.cache
def available(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:  # noqa: BLE001 - any failure means the peer is absent
        return False


def main(argv: list[str]) -> None:
    if argv == ["--serve"]:
        _serve()
        return
    target, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    inject = os.environ.get("PARAGO_BENCH_FAIL")
    if inject and inject in target:
        raise RuntimeError(f"injected failure (PARAGO_BENCH_FAIL={inject!r})")
    mod, fn = target.split(":")
    result = getattr(importlib.import_module(mod), fn)(**args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
