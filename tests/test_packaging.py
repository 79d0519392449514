"""Packaging: setup.py refuses a platform parago cannot run on before it
builds anything, and an installed wheel's compiled kernel runs without a
staleness warning while an edited source tree still gets one.

The wheel itself (built, repaired by auditwheel, tagged manylinux, installed
where no C compiler works, smoke-tested, and the "no working C compiler"
message of a source build) is checked by .ci/wheel_check.py (tox -e wheel,
.ci/run): it takes minutes, too long for this suite."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import warnings

import pytest

from parago import _accel

pytestmark = pytest.mark.timeout(60)

ROOT = pathlib.Path(__file__).resolve().parent.parent

RUN_SETUP_AS = """\
import runpy, sys
sys.platform = {platform!r}
sys.argv = ["setup.py", "bdist_wheel"]
try:
    runpy.run_path("setup.py", run_name="__main__")
finally:
    print("imported:", sorted(m for m in ("setuptools", "Cython") if m in sys.modules))
"""


@pytest.mark.parametrize("platform", ["darwin", "win32", "cygwin", "freebsd14"])
def test_setup_refuses_a_platform_other_than_linux_before_building(platform):
    p = subprocess.run([sys.executable, "-c", RUN_SETUP_AS.format(platform=platform)],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, (p.returncode, p.stderr)
    message = " ".join(p.stderr.split())
    assert f"parago supports Linux only, and this is {platform}" in message, message
    assert "/dev/shm" in message and "futex" in message, message
    # it stopped before setuptools or Cython was imported, so before any build step
    assert "imported: []" in p.stdout, p.stdout


def _stale_twin(tmp_path: pathlib.Path) -> tuple[str, str]:
    """A module's .py written after its compiled twin."""
    source, twin = tmp_path / "mod.py", tmp_path / "_c_mod.so"
    source.write_text("")
    twin.write_text("")
    os.utime(twin, (1_000_000, 1_000_000))
    return str(source), str(twin)


def test_a_twin_older_than_its_source_warns_outside_an_installed_wheel(tmp_path):
    source, twin = _stale_twin(tmp_path)
    with pytest.warns(RuntimeWarning, match="older than .*PARAGO_PURE_PYTHON=1"):
        _accel._warn_if_stale(source, twin, "parago.mod")


def test_a_twin_installed_from_a_wheel_never_warns(tmp_path, monkeypatch):
    # an installer writes a wheel's files in any order: their times mean nothing
    source, twin = _stale_twin(tmp_path)
    monkeypatch.setattr(_accel, "_installed_files",
                        lambda: frozenset({os.path.realpath(source), os.path.realpath(twin)}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _accel._warn_if_stale(source, twin, "parago.mod")
