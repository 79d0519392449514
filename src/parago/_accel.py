"""Which kernel runs: the compiled modules, or their .py sources.

Owns: the switch between a kernel module's source and its compiled twin.

The hot kernel (_core's scheduler, wait, channel, select and semaphore code
and the _shm modules on their path) is compiled by Cython at install from the
same .py files, each into a twin named ``_c_<module>`` beside it (with its
types in ``_c_<module>.pxd``), as gevent builds its hub. Each such .py module
ends by calling :func:`use_compiled`, which replaces the module's contents
with its twin's, unless:

  - ``PARAGO_PURE_PYTHON=1`` is set (debugging: the .py runs, edits included,
    and a breakpoint or a print in it works), or
  - the twin was not built (an install without a compiler; the .py runs).

Invariants:
  - A leaf: imports nothing from parago (every layer may import it).
  - A module is switched once, at the end of its own import, before any other
    module can take a name from it; the compiled twin's own import never
    switches (its name starts with ``_c_``).
  - A twin older than its .py (an editable install edited since it was
    built) is still used, with one warning saying how to rebuild or run pure.
    Only an editable install or a source tree is compared: a wheel's install
    writes the .py and the twin in any order, so their times mean nothing.
"""

from __future__ import annotations

import functools
import importlib
import os
import warnings
from typing import Any

PURE = os.environ.get("PARAGO_PURE_PYTHON", "").strip().lower() not in ("", "0", "no", "false")
compiled: set[str] = set()          # the modules whose compiled twin runs


def use_compiled(namespace: dict[str, Any]) -> None:
    """Replace the module whose globals are ``namespace`` by its compiled twin."""
    name = namespace["__name__"]
    package, _, module = name.rpartition(".")
    if PURE or module.startswith("_c_"):
        return
    try:
        twin = importlib.import_module(f"{package}._c_{module}")
    except ImportError:
        return
    _warn_if_stale(namespace.get("__file__"), getattr(twin, "__file__", None), name)
    namespace.update({k: v for k, v in vars(twin).items()
                      if not (k.startswith("__") and k.endswith("__"))})
    compiled.add(name)


@functools.cache
def _installed_files() -> frozenset[str]:
    """The files an installer wrote for parago (its RECORD): empty for an
    editable install or a source tree, whose .py files are parago's own."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("parago")
    except PackageNotFoundError:
        return frozenset()
    return frozenset(os.path.realpath(str(dist.locate_file(f))) for f in dist.files or ())


def _warn_if_stale(source: str | None, binary: str | None, name: str) -> None:
    if source is None or binary is None:
        return
    try:
        stale = os.path.getmtime(source) > os.path.getmtime(binary)
    except OSError:
        return
    if stale and os.path.realpath(source) not in _installed_files():
        warnings.warn(f"the compiled {name} is older than {source}: rebuild it "
                      "(pip install -e .) or run the source with PARAGO_PURE_PYTHON=1",
                      RuntimeWarning, stacklevel=3)
