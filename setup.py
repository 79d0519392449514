"""The compiled parts of parago: the C extension _native (atomics and futex
wait/wake) and the kernel, compiled by Cython from its own .py sources into
twins named ``_c_<module>`` (src/parago/_accel.py switches between them).

Everything else about the package is in pyproject.toml.
"""

import glob
import os

from setuptools import Extension, setup

# The kernel modules compiled, as paths under src/parago without ".py".
KERNEL = [
    "_shm/lock",
    "_shm/undo",
    "_shm/waiter",
    "_shm/ring",
    "_shm/values",
    "_shm/chan",
    "_shm/syncrec",
    "_shm/ctxrec",
    "_shm/gqueue",
    "_shm/ptable",
    "_shm/loadtab",
    "_core/timers",
    "_core/sched",
    "_core/handle",
    "_core/wait",
    "_core/chan",
    "_core/select",
    "_core/sema",
    "_core/cells",
    "_core/ctx",
]


def _stale(c_file: str, sources: list[str]) -> bool:
    return os.path.exists(c_file) and any(
        os.path.getmtime(s) > os.path.getmtime(c_file) for s in sources if os.path.exists(s))


def kernel() -> list[Extension]:
    from Cython.Build import cythonize

    # Cython's own dependency check does not see a twin's .pxd (it is named
    # after the twin, not the source), nor the .pxd files it cimports: a C
    # file older than any of them is generated again.
    pxds = glob.glob("src/parago/**/*.pxd", recursive=True) + ["src/parago/_native_atomics.h"]
    exts = []
    for path in KERNEL:
        package, module = path.rsplit("/", 1)
        if _stale(f"src/parago/{path}.c", [f"src/parago/{path}.py", *pxds]):
            os.remove(f"src/parago/{path}.c")
        exts.append(Extension(f"parago.{package.replace('/', '.')}._c_{module}",
                              [f"src/parago/{path}.py"], include_dirs=["src/parago"],
                              extra_compile_args=["-O2", "-Wno-unused-function"]))
    return cythonize(exts, include_path=["src"], quiet=True,
                     compiler_directives={"language_level": 3, "binding": True,
                                          "embedsignature": True,
                                          # types come from the .pxd files only:
                                          # annotations are for mypy
                                          "annotation_typing": False})


setup(ext_modules=[
    Extension("parago._native", ["src/parago/_native.c"],
              depends=["src/parago/_native_atomics.h"],
              extra_compile_args=["-O2", "-std=c11", "-Wall"]),
    *kernel(),
])
