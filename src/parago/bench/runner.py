"""Run one benchmark kernel in a fresh interpreter and return its JSON result.

    python -m parago.bench.runner parago.bench.switch:parago_handoff '{"n": 100000}'

The kernel runs in its own process group, so that stopping it (Ctrl-C in the
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
import signal
import subprocess
import sys
import threading


class KernelFailed(RuntimeError):
    pass


def measure(target: str, timeout: float = 600, **kwargs) -> dict:
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
            return json.loads(line)
    raise KernelFailed(f"{call} printed no result:\n{out[-2000:]}\n{err[-2000:]}")


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
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
        # A runtime killed before its teardown leaves its segment (named after P0's pid).
        for path in glob.glob(f"/dev/shm/parago_{proc.pid}_*"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    finally:
        if main:
            signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@functools.cache
def available(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:  # noqa: BLE001 - any failure means the peer is absent
        return False


def main(argv: list[str]) -> None:
    target, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    inject = os.environ.get("PARAGO_BENCH_FAIL")
    if inject and inject in target:
        raise RuntimeError(f"injected failure (PARAGO_BENCH_FAIL={inject!r})")
    mod, fn = target.split(":")
    result = getattr(importlib.import_module(mod), fn)(**args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
