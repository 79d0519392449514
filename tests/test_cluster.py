"""WorkerPool(cluster=...) and pipeline.stage(pool=...) against a Dask
LocalCluster of 2 worker processes, kept for the module (docs/cluster.md)."""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures.process import BrokenProcessPool

import pytest

import parago as pg

distributed = pytest.importorskip(
    "distributed", reason="the dask extra is not installed (pip install 'parago[dask]')")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cluster(keep_processes):
    # A task whose worker dies is retried once, then fails (KilledWorker).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", silence_logs=50)

    def pids() -> set[int]:
        out = set()
        for nanny in list(lc.workers.values()):
            proc = getattr(getattr(nanny, "process", None), "process", None)
            if proc is not None and proc.pid is not None:
                out.add(proc.pid)
        return out
    keep_processes.append(pids)
    try:
        yield lc
    finally:
        lc.close()
        keep_processes.remove(pids)


@pytest.fixture(scope="module")
def client(cluster):
    c = distributed.Client(cluster, set_as_default=False)
    try:
        yield c
    finally:
        c.close()


def square(x):
    return x * x


def add(a, b):
    return a + b


class Oops(Exception):
    pass


def fail_on(x, bad=3):
    if x == bad:
        raise Oops(f"item {x}")
    return x


def kill_my_worker(marker=None):
    """Kill the Dask worker process running this (once, if ``marker`` names
    a file that is then created; every time without one)."""
    if marker is not None:
        if os.path.exists(marker):
            return os.getpid()
        open(marker, "w").close()
    os.kill(os.getpid(), signal.SIGKILL)


def hold_alone(path, i):
    """Fails if another task is inside at the same time (a file says who is)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise AssertionError("two tasks ran at once") from None
    try:
        import time
        time.sleep(0.05)
    finally:
        os.close(fd)
        os.unlink(path)
    return i


# ---- 1. the Executor on a cluster --------------------------------------------------------

def test_results_through_every_call(client):
    with pg.WorkerPool(cluster=client) as pool:
        assert pool._max_workers == 2                       # the cluster's total threads
        assert pool.submit(add, 2, b=3).result(timeout=60) == 5
        assert list(pool.map(square, range(50))) == [x * x for x in range(50)]
        assert list(pool.map(add, range(10), range(10), chunksize=3)) == \
            [2 * x for x in range(10)]
        assert list(pool.imap(square, iter(range(30)))) == [x * x for x in range(30)]
        assert sorted(pool.imap(square, range(30), ordered=False)) == \
            [x * x for x in range(30)]
        assert list(pool.map(square, [])) == []
        assert pool.submit(lambda: "closure").result(timeout=60) == "closure"


def test_address_string_makes_a_client_and_closes_it(cluster):
    pool = pg.WorkerPool(cluster=cluster.scheduler_address, workers=3)
    client = pool._engine.client
    try:
        assert pool._max_workers == 3
        assert list(pool.map(square, range(5))) == [0, 1, 4, 9, 16]
    finally:
        pool.shutdown()
    assert client.status == "closed"


def test_a_given_client_is_left_open(client):
    with pg.WorkerPool(cluster=client) as pool:
        assert pool.submit(square, 4).result(timeout=60) == 16
    assert client.status == "running"
    assert client.submit(square, 5).result(timeout=60) == 25
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(square, 1)


def test_exceptions_keep_their_type_and_the_remote_traceback(client):
    with pg.WorkerPool(cluster=client) as pool:
        err = pool.submit(fail_on, 3).exception(timeout=60)
        assert type(err) is Oops and str(err) == "item 3"
        assert "fail_on" in str(err.__cause__)             # the Dask worker's traceback
        it = pool.map(fail_on, range(6))
        assert [next(it) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(Oops, match="item 3"):
            next(it)
        # imap unordered: the failure arrives as that item's outcome; the rest still run.
        got, errors = [], []
        it = pool.imap(fail_on, range(6), ordered=False)
        while True:
            try:
                got.append(next(it))
            except StopIteration:
                break
            except Oops as e:
                errors.append(e)
                break
        assert errors and len(got) <= 5


def test_a_bad_argument_fails_only_its_own_future(client):
    import threading
    with pg.WorkerPool(cluster=client) as pool:
        bad = pool.submit(square, threading.Lock())
        good = pool.submit(square, 7)
        with pytest.raises(TypeError):
            bad.result(timeout=60)
        assert good.result(timeout=60) == 49
        with pytest.raises(TypeError):
            list(pool.map(square, [1, threading.Lock(), 3]))


def test_workers_caps_the_tasks_in_flight(client, tmp_path):
    path = str(tmp_path / "inside")
    with pg.WorkerPool(cluster=client, workers=1) as pool:
        futures = [pool.submit(hold_alone, path, i) for i in range(6)]
        assert [f.result(timeout=60) for f in futures] == list(range(6))


def test_queued_futures_can_be_cancelled(client, tmp_path):
    path = str(tmp_path / "inside")
    pool = pg.WorkerPool(cluster=client, workers=1)
    futures = [pool.submit(hold_alone, path, i) for i in range(5)]
    pool.shutdown(wait=True, cancel_futures=True)
    assert all(f.done() for f in futures)
    assert futures[-1].cancelled()
    assert futures[0].result() == 0


def test_a_lost_worker_is_retried_then_fails_with_worker_crashed(client, tmp_path):
    with pg.WorkerPool(cluster=client) as pool:
        # Its worker dies once: Dask runs it again elsewhere and it succeeds.
        pid = pool.submit(kill_my_worker, str(tmp_path / "once")).result(timeout=90)
        assert isinstance(pid, int)
        # Its worker dies every time: once Dask gives up, WorkerCrashed names the worker.
        err = pool.submit(kill_my_worker).exception(timeout=90)
        assert isinstance(err, pg.WorkerCrashed) and isinstance(err, BrokenProcessPool)
        assert "tcp://" in str(err)
        assert type(err.__cause__) is distributed.scheduler.KilledWorker
        # The pool goes on.
        assert pool.submit(square, 6).result(timeout=90) == 36


def test_cluster_pool_refuses_what_only_a_local_pool_does(client):
    for kw in ({"initializer": print}, {"max_tasks_per_child": 1}, {"task_timeout": 1.0}):
        with pytest.raises(ValueError, match="cluster"):
            pg.WorkerPool(cluster=client, **kw)
    with pytest.raises(TypeError, match="scheduler address"):
        pg.WorkerPool(cluster=42)
    with pg.WorkerPool(cluster=client) as pool, pytest.raises(ValueError, match="Dask"):
        pool.map(square, [1], task_timeout=1.0)


def test_without_the_extra_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"parago\[dask\]"):
        pg.WorkerPool(cluster="tcp://127.0.0.1:1")


def test_a_goroutine_waiting_on_a_cluster_future_parks(client):
    def main():
        with pg.WorkerPool(cluster=client) as pool:
            fut = pool.submit(square, 9)
            ticks = pg.chan(100)

            def count():                       # runs only while main is parked
                for i in range(3):
                    ticks.send(i)
            pg.go(count)
            assert fut.result(timeout=60) == 81
            assert list(pool.imap(square, range(4))) == [0, 1, 4, 9]
            return len(ticks)
    assert pg.run(main, procs=1) == 3


# ---- 2. stage(pool=...) --------------------------------------------------------------------

@pytest.fixture(params=["local", "cluster"])
def pool_kind(request):
    return request.param


def _pool(kind, client):
    return pg.WorkerPool(2) if kind == "local" else pg.WorkerPool(cluster=client)


def test_stage_on_a_pool_keeps_order_and_reports_errors(pool_kind, client):
    def main():
        with _pool(pool_kind, client) as pool:
            src = pg.pipeline.generator(None, *range(20))
            out = pg.pipeline.stage(square, src, workers=3, ordered=True, pool=pool)
            assert list(out) == [x * x for x in range(20)]
            src = pg.pipeline.generator(None, *range(6))
            out = pg.pipeline.stage(fail_on, src, workers=2, ordered=True, pool=pool)
            got, errors = [], []
            while True:
                try:
                    v, ok = out.recv_ok()
                except pg.pipeline.StageError as e:
                    errors.append(e)
                    continue
                if not ok:
                    break
                got.append(v)
            assert got == [0, 1, 2, 4, 5]
            [e] = errors
            assert type(e.exception) is Oops and e.item == 3 and "fail_on" in e.traceback
            src = pg.pipeline.generator(None, *range(6))
            out = pg.pipeline.stage(fail_on, src, workers=2, pool=pool, errors="value")
            values = list(out)
            errs = [v for v in values if isinstance(v, pg.pipeline.StageError)]
            assert sorted(v for v in values if v not in errs) == [0, 1, 2, 4, 5]
            assert [type(e.exception) for e in errs] == [Oops]
    pg.run(main, procs=2)


def test_stage_on_a_pool_stops_when_cancelled(pool_kind, client):
    def main():
        with _pool(pool_kind, client) as pool:
            ctx, cancel = pg.context.with_cancel(pg.context.background())
            src = pg.pipeline.repeat(ctx, 1, 2, 3)           # endless
            out = pg.pipeline.stage(square, src, workers=2, ctx=ctx, pool=pool)
            first = [out.recv() for _ in range(5)]
            cancel()
            rest = list(out)                                 # closes: no endless stream
            assert set(first) <= {1, 4, 9} and len(rest) <= 4
    pg.run(main, procs=2)


def test_stage_pool_must_be_a_worker_pool(client):
    def main():
        with pytest.raises(TypeError, match="WorkerPool"):
            pg.pipeline.stage(square, pg.chan(), pool=object())  # type: ignore[arg-type]
    pg.run(main, procs=1)


# ---- 3. the bench's cluster section ----------------------------------------------------------

def test_bench_cluster_kernels_and_section(cluster):
    from parago.bench import cli, clusterbench
    address = cluster.scheduler_address
    for impl in ("cluster", "dask"):
        assert clusterbench.tiny(impl, address, n=50)["n"] == 50
        assert clusterbench.cpu_bound(impl, address, k=1000, m=2)["seconds"] > 0
    args = cli.parse(["--cluster", address, "--quick"])
    s = clusterbench.section(args.quick, args.cluster)
    assert {k.key for k in s.kernels} == {f"{w}_{impl}" for w in ("tiny", "cpu")
                                          for _, impl in clusterbench.SIDES}
