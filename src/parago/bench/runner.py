"""Run one benchmark kernel in a fresh interpreter and return its JSON result.

    python -m parago.bench.runner parago.bench.switch:parago_handoff '{"n": 100000}'
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys


class KernelFailed(RuntimeError):
    pass


def measure(target: str, timeout: float = 600, **kwargs) -> dict:
    """Run ``module:function(**kwargs)`` in a subprocess; returns its dict."""
    proc = subprocess.run([sys.executable, "-m", "parago.bench.runner", target, json.dumps(kwargs)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise KernelFailed(f"{target} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise KernelFailed(f"{target} printed no result:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def available(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:  # noqa: BLE001 - any failure means the peer is absent
        return False


def main(argv: list[str]) -> None:
    target, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    mod, fn = target.split(":")
    result = getattr(importlib.import_module(mod), fn)(**args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
