"""A private /dev/shm for tests that attack it, and runs as another user.

``@private_shm()`` re-runs a test body in a new mount namespace
(``unshare -m --propagation private``) with its own tmpfs mounted on
/dev/shm, so the body may fill it, plant directories, FIFOs, symlinks and
other users' files there, and leave a crashed runtime's segment behind,
without touching the machine's /dev/shm. The body runs as root (as CI does)
in a subprocess; it takes only arguments that repr() can carry.

``as_user(uid, code)`` runs Python ``code`` as another uid (``setpriv``),
with parago and its run-time dependencies copied to a directory that uid can
read: a fresh clone and its virtualenv may live under a directory only root
may enter (CI's /root), and the interpreter itself must be usable by that uid
(otherwise the test is skipped, saying so).

Tests are skipped, with the reason, only where the machine forbids mount
namespaces (not root, or no unshare).
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
OTHER_UID = 1000
_RUNTIME_PACKAGES = ("parago", "greenlet", "psutil", "cloudpickle")
_checked: dict = {}


def _namespaces_refused() -> str:
    """Why this machine cannot give a test a private /dev/shm ('' if it can)."""
    if "ns" not in _checked:
        if os.geteuid() != 0:
            _checked["ns"] = "needs root for unshare -m and mount (CI runs as root)"
        elif shutil.which("unshare") is None:
            _checked["ns"] = "no unshare(1) on this machine"
        else:
            p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                "mount -t tmpfs -o size=1m tmpfs /dev/shm"],
                               capture_output=True, text=True)
            _checked["ns"] = ("" if p.returncode == 0 else
                              f"this machine forbids mount namespaces: {p.stderr.strip()}")
    return _checked["ns"]


def in_sandbox() -> bool:
    return os.environ.get("PARAGO_TEST_SANDBOX") == "1"


def private_shm(size: str = "256m", timeout: float = 100):
    """Decorator: run the test body in a private mount namespace whose
    /dev/shm is a fresh tmpfs of ``size``."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if in_sandbox():
                return fn(*args, **kwargs)
            why = _namespaces_refused()
            if why:
                pytest.skip(why)
            call = (f"import sys; sys.path.insert(0, {TESTS!r}); import {fn.__module__} as m; "
                    f"m.{fn.__name__}.__wrapped__(*{args!r}, **{kwargs!r})")
            script = ('mount -t tmpfs -o size="$0",mode=1777 tmpfs /dev/shm && '
                      'exec "$1" -c "$2"')
            env = dict(os.environ, PARAGO_TEST_SANDBOX="1")
            p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                                size, sys.executable, call],
                               capture_output=True, text=True, env=env, timeout=timeout)
            if p.returncode != 0:
                pytest.fail(f"the test body failed in its private /dev/shm (exit {p.returncode}):"
                            f"\n{p.stderr[-6000:]}\n{p.stdout[-2000:]}", pytrace=False)
        return wrapper
    return deco


# ---- another user ------------------------------------------------------------------------

def _readable_packages() -> str:
    """A directory any user can read holding parago and its run-time
    dependencies, copied from this interpreter's (made once per process;
    sandboxed bodies run in a fresh process each)."""
    if "lib" not in _checked:
        lib = tempfile.mkdtemp(prefix="parago-lib-", dir="/tmp")
        atexit.register(shutil.rmtree, lib, True)
        for name in _RUNTIME_PACKAGES:
            spec = importlib.util.find_spec(name)
            src = os.path.dirname(spec.origin)
            shutil.copytree(src, os.path.join(lib, name),
                            ignore=shutil.ignore_patterns("__pycache__"))
        for root, dirs, files in os.walk(lib):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        os.chmod(lib, 0o755)
        _checked["lib"] = lib
    return _checked["lib"]


def _user_cmd(uid: int, python: str = "") -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
            python or _checked["python"], "-s", "-c"]


def user_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONPATH=_readable_packages(), HOME="/tmp", **(extra or {}))
    return env


# Usable by the other uid: it can look at the interpreter's own files (else
# Python silently takes another prefix's standard library) and import parago.
_PROBE = "import os, sys; os.stat(sys.executable); os.stat(os.__file__); import parago"


def _user_python(uid: int) -> str:
    """An interpreter of this Python version that ``uid`` can really run:
    this one, or the system's when this one lives where only root may look
    (a virtualenv or pyenv under /root). Skips the test if there is none."""
    if shutil.which("setpriv") is None:
        pytest.skip("no setpriv(1) on this machine")
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    tried = []
    for python in dict.fromkeys([os.path.realpath(sys.executable), f"/usr/bin/{version}",
                                 f"/usr/local/bin/{version}"]):
        if not os.path.exists(python):
            continue
        p = subprocess.run(_user_cmd(uid, python) + [_PROBE], env=user_env(),
                           capture_output=True, text=True, timeout=60)
        if p.returncode == 0:
            return python
        tried.append(f"{python}: {p.stderr.strip()[-300:]}")
    pytest.skip(f"uid {uid} can run no {version} here: " + "; ".join(tried))


def as_user(uid: int, code: str, timeout: float = 60, env: dict | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """Run Python ``code`` as ``uid`` (with a readable copy of parago)."""
    if "python" not in _checked:
        _checked["python"] = _user_python(uid)
    p = subprocess.run(_user_cmd(uid) + [code], env=user_env(env), capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"as uid {uid}: exit {p.returncode}\n{p.stderr[-4000:]}")
    return p


def shm_names() -> set[str]:
    return set(os.listdir("/dev/shm"))
