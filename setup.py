"""The compiled parts of parago: the C extension _native (atomics and futex
wait/wake) and the kernel, compiled by Cython from its own .py sources into
twins named ``_c_<module>`` (src/parago/_accel.py switches between them).

Everything else about the package is in pyproject.toml. This script also
refuses, before anything is built, a platform parago cannot run on, and says
what to do when no C compiler works (docs/install.md).
"""

import glob
import os
import sys
import tempfile


def platform_refusal(platform: str) -> str:
    """Why parago cannot be built for ``platform`` (a sys.platform value), or
    '' if it can."""
    if platform.startswith("linux"):
        return ""
    return (f"parago supports Linux only, and this is {platform}: its processes share "
            "channels and sync objects through a /dev/shm segment and block on Linux "
            "futexes (<linux/futex.h>), which this platform does not have. On Windows, "
            "WSL 2 runs it; elsewhere use a Linux machine or container.")


# Checked before setuptools or Cython is imported, so that pip stops here,
# with this message, instead of at a C compiler error.
if __name__ == "__main__" and platform_refusal(sys.platform):
    sys.exit(f"error: {platform_refusal(sys.platform)}")

from setuptools import Extension, setup  # noqa: E402  (after the platform check)
from setuptools.command.build_ext import build_ext  # noqa: E402
from setuptools.errors import CompileError  # noqa: E402

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
    "_shm/arena",
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


NO_COMPILER = """\
error: no working C compiler, or no Python headers (CC={cc}): {error}
parago's source build compiles a C extension and its kernel, which needs a C
compiler and Python's headers. Install them (Debian/Ubuntu: apt install gcc
python3-dev; Fedora: dnf install gcc python3-devel; Alpine: apk add gcc
musl-dev linux-headers python3-dev), or install a prebuilt wheel instead:
pip install --only-binary parago parago"""


class BuildExt(build_ext):
    """build_ext that first compiles an empty program including Python.h, so a
    missing compiler or missing headers fail with what to do (NO_COMPILER),
    while an error in parago's own C still shows as itself; and that compiles
    the extensions in parallel, one per core (-j N still chooses)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = len(os.sched_getaffinity(0))

    def build_extensions(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "probe.c")
            with open(probe, "w") as f:
                f.write("#include <Python.h>\nint main(void) { return 0; }\n")
            try:
                self.compiler.compile([probe], output_dir=tmp, include_dirs=self.include_dirs)
            except CompileError as e:
                sys.exit(NO_COMPILER.format(cc=os.environ.get("CC", "the default"),
                                            error=str(e).strip() or "it failed"))
        super().build_extensions()


if __name__ == "__main__":
    setup(cmdclass={"build_ext": BuildExt}, ext_modules=[
        Extension("parago._native", ["src/parago/_native.c"],
                  depends=["src/parago/_native_atomics.h"],
                  extra_compile_args=["-O2", "-std=c11", "-Wall"]),
        *kernel(),
    ])
