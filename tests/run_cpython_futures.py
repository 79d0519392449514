"""CPython's own concurrent.futures tests, run against pg.WorkerPool.

The test modules are imported from the interpreter (Python 3.13 ships them
in its ``test`` package; nothing of them is copied here). Every test class
they generate for ProcessPoolExecutor with the spawn and forkserver start
methods is subclassed with WorkerPool as the executor; the fork start method
is not (WorkerPool refuses it). The few tests that cannot apply are skipped
with the reason below, which docs/pool.md repeats.

    tox -e futures-yardstick               (what .ci/run does)
    python3.13 tests/run_cpython_futures.py [-v] [-k pattern]
    python3.13 tests/run_cpython_futures.py --excluded    (the table, as markdown)
"""

from __future__ import annotations

import sys
import unittest

import parago as pg

try:
    from test.test_concurrent_futures import (
        test_as_completed,
        test_deadlock,
        test_init,
        test_process_pool,
        test_shutdown,
        test_wait,
    )
    from test.test_concurrent_futures import util as cf_util
except ImportError as e:  # pragma: no cover - an interpreter without its test package
    sys.exit(f"run_cpython_futures.py needs CPython's test package (python3.13): {e}")

MODULES = (test_process_pool, test_shutdown, test_deadlock, test_wait, test_as_completed,
           test_init)
START_METHODS = (cf_util.ProcessPoolSpawnMixin, cf_util.ProcessPoolForkserverMixin)

PRIVATE = "reads ProcessPoolExecutor's private attributes ({})"
CHILD = ("starts a child interpreter that imports the executor from concurrent.futures by "
         "name (tests/test_pool.py checks the same with WorkerPool)")
EXCLUDED = {
    "test_killed_child": (
        "expects the whole pool to break when one worker is killed; WorkerPool fails only "
        "the task that worker ran (with WorkerCrashed, a BrokenProcessPool) and goes on"),
    "test_max_tasks_per_child_defaults_to_spawn_context": (
        PRIVATE.format("_mp_context") + " and expects 'spawn'; WorkerPool's default "
        "start method is forkserver"),
    "test_python_finalization_error": (
        "counts ProcessPoolExecutor's internal threads (it makes the second thread the "
        "executor starts fail); WorkerPool starts one"),
    "test_del_shutdown": PRIVATE.format("_executor_manager_thread, _call_queue"),
    "test_shutdown_no_wait": PRIVATE.format("_executor_manager_thread, _call_queue"),
    "test_shutdown_deadlock_pickle": PRIVATE.format("_executor_manager_thread"),
    "test_context_manager_shutdown": (
        "names futures.ProcessPoolExecutor itself, not the executor under test"),
    "test_interpreter_shutdown": CHILD,
    "test_submit_after_interpreter_shutdown": CHILD,
    "test_hang_gh83386": CHILD,
}


def _is_process_pool_test(cls) -> bool:
    return (isinstance(cls, type) and issubclass(cls, unittest.TestCase)
            and any(issubclass(cls, m) for m in START_METHODS))


def _subclass(cls):
    attrs = {"executor_type": pg.WorkerPool, "__module__": __name__,
             "__qualname__": "WorkerPool" + cls.__name__}
    for name, reason in EXCLUDED.items():
        if hasattr(cls, name):
            attrs[name] = unittest.skip(reason)(getattr(cls, name))
    return type("WorkerPool" + cls.__name__, (cls,), attrs)


def _classes() -> dict:
    out = {}
    for module in MODULES:
        for name in sorted(dir(module)):
            cls = getattr(module, name)
            if _is_process_pool_test(cls):
                sub = _subclass(cls)
                out[sub.__name__] = sub
    return out


CLASSES = _classes()
globals().update(CLASSES)      # so a worker can find a test's bound methods by name


class WorkerPoolFailingInitializerResourcesTest(test_init.FailingInitializerResourcesTest):
    """The stdlib's check that a failing initializer leaks no resource, with
    WorkerPool's failing-initializer tests instead of the stdlib's."""

    def test_spawn(self):
        self._test(CLASSES["WorkerPoolProcessPoolSpawnFailingInitializerTest"])

    def test_forkserver(self):
        self._test(CLASSES["WorkerPoolProcessPoolForkserverFailingInitializerTest"])


def setUpModule():
    cf_util.setup_module()


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for cls in (*CLASSES.values(), WorkerPoolFailingInitializerResourcesTest):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


def excluded_table() -> str:
    rows = ["| test | why it is not run |", "|---|---|"]
    rows += [f"| `{name}` | {reason} |" for name, reason in EXCLUDED.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    if "--excluded" in sys.argv:
        print(excluded_table())
        sys.exit(0)
    # Run the classes of this module imported by its name, not as __main__:
    # a worker then finds them by reference, as a ProcessPoolExecutor's would.
    import run_cpython_futures
    unittest.main(module=run_cpython_futures)
