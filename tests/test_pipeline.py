"""pg.pipeline: the chapter-4 patterns and CPU-bound stages, in one process
and across processes."""

from __future__ import annotations

import os

import pytest

import parago as pg
from helpers import run, start_peer

pytestmark = pytest.mark.timeout(120)
P = pg.pipeline


def square(x):
    return x * x


def cpu(n):
    s = 0
    for i in range(n):
        s += i % 7
    return os.getpid(), s


def flaky(x):
    if x == 3:
        raise ValueError("three")
    return x


def slow_then_fast(x):
    pg.sleep(0.05 if x == 0 else 0)     # yields: the other workers go on meanwhile
    return x


def test_generator_take_repeat(mode):
    def main():
        done = pg.chan()
        assert list(P.generator(done, 1, 2, 3)) == [1, 2, 3]
        assert list(P.take(done, P.repeat(done, "a", "b"), 5)) == ["a", "b", "a", "b", "a"]
        counter = iter(range(100))
        assert list(P.take(done, P.repeat_fn(done, lambda: 7), 3)) == [7, 7, 7]
        done.close()
        next(counter)
    run(mode, main)


def test_done_stops_an_endless_source(mode):
    def main():
        done = pg.chan()
        endless = P.repeat(done, 1)
        assert endless.recv() == 1
        done.close()
        # Closes promptly once done: each send it still makes races a ready
        # done case in a select that picks one at random (SEL-02), so fewer
        # than 20 more values but for odds of about one in a million.
        drained = list(endless)
        assert len(drained) < 20
    run(mode, main)


def test_or_done_and_or_channel(mode):
    def main():
        done, c = pg.chan(), pg.chan()
        view = P.or_done(done, c)
        pg.go(c.send, 42)
        assert view.recv() == 42
        done.close()
        assert view.recv_ok() == (None, False)
        a, b, c3 = pg.chan(), pg.chan(), pg.chan()
        any_closed = P.or_channel(a, b, c3)
        assert pg.select(any_closed.recv, default=True)[0] == -1
        b.close()
        assert any_closed.recv_ok() == (None, False)
    run(mode, main)


def test_tee_bridge_fan_in(mode):
    def main():
        done = pg.chan()
        t1, t2 = P.tee(done, P.generator(done, *range(5)))
        got1, got2 = [], []
        for _ in range(5):
            got1.append(t1.recv())
            got2.append(t2.recv())
        assert got1 == got2 == list(range(5))
        streams = pg.chan(3)
        for i in range(3):
            streams.send(P.generator(done, i * 10, i * 10 + 1))
        streams.close()
        assert list(P.bridge(done, streams)) == [0, 1, 10, 11, 20, 21]
        merged = P.fan_in(done, P.generator(done, 1, 2), P.generator(done, 3), P.generator(done))
        assert sorted(merged) == [1, 2, 3]
        done.close()
    run(mode, main)


def test_stage_ordered_and_unordered(mode):
    def main():
        done = pg.chan()
        out = P.stage(square, P.generator(done, *range(50)), workers=4, ordered=True)
        assert list(out) == [x * x for x in range(50)]
        out = P.stage(square, P.generator(done, *range(50)), workers=4)
        assert sorted(out) == [x * x for x in range(50)]
        out = P.stage(slow_then_fast, P.generator(done, 0, 1, 2), workers=3)
        assert list(out)[0] != 0                   # unordered: the slow one comes later
    run(mode, main)


def test_stage_runs_on_several_processes():
    def main():
        done = pg.chan()
        out = P.stage(cpu, P.generator(done, *[300_000] * 16), workers=4)
        return {pid for pid, _ in out}
    assert len(pg.run(main, procs=2)) == 2


def test_stage_errors_as_values_travel_downstream(mode):
    def main():
        done = pg.chan()
        got = list(P.stage(flaky, P.generator(done, *range(6)), workers=2, ordered=True,
                           errors="value"))
        assert got[:3] == [0, 1, 2] and got[4:] == [4, 5]
        err = got[3]
        assert isinstance(err, P.StageError) and err.item == 3
        assert isinstance(err.exception, ValueError) and "flaky" in err.traceback
    run(mode, main)


def test_a_stage_error_raises_where_the_output_is_summed(mode):
    def main():
        done = pg.chan()
        with pytest.raises(P.StageError) as caught:
            sum(P.stage(flaky, P.generator(done, *range(6)), workers=2))
        err = caught.value
        assert err.item == 3 and isinstance(err.__cause__, ValueError)
        assert err.__cause__ is err.exception and str(err.__cause__) == "three"
        assert 'raise ValueError("three")' in err.traceback      # the source line
        done.close()
    run(mode, main)


def _receive_every_way(out, report):
    """Receive from a stage's output by recv, recv_ok, select and iteration,
    noting each value and each StageError, in whatever process this runs."""
    got = []
    ways = [lambda: out.recv_ok(), lambda: pg.select(out.recv)[1:]]
    while True:
        try:
            if len(got) < 6:
                v, ok = ways[len(got) % 2]()
                if not ok:
                    break
                got.append(v)
            else:
                got.extend(out)
                break
        except P.StageError as e:
            got.append(("error", e.item, type(e.__cause__).__name__))
    report.send((os.getpid(), got))


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_a_stage_error_raises_in_the_consumer_by_every_receive(mode, ordered):
    """recv_ok, select and iteration each raise StageError for the failed
    item, and the other items' results still follow, in a consumer in this
    process or (xproc) in another."""
    def main():
        done, report = pg.chan(), pg.chan(1)
        out = P.stage(flaky, P.generator(done, *range(10)), workers=2, ordered=ordered)
        pid = start_peer(mode, _receive_every_way, out, report)
        where, got = report.recv()
        assert where == pid
        values = sorted(x for x in got if type(x) is int)
        assert values == [x for x in range(10) if x != 3]
        assert [x for x in got if type(x) is tuple] == [("error", 3, "ValueError")]
        if ordered:
            assert got.index(("error", 3, "ValueError")) == 3
        done.close()
    run(mode, main)


def test_a_stage_error_ends_iteration_with_the_error(mode):
    def main():
        done = pg.chan()
        out = P.stage(flaky, P.generator(done, *range(6)), workers=1, ordered=True)
        seen = []
        with pytest.raises(P.StageError):
            for v in out:
                seen.append(v)
        assert seen == [0, 1, 2]
        assert list(out) == [4, 5]          # a new iteration picks up after it
    run(mode, main)


def unpicklable_failure(x):
    class Local(Exception):
        pass
    raise Local(f"local {x}")


def test_an_exception_that_cannot_be_copied_arrives_as_a_stand_in(mode):
    def main():
        done = pg.chan()
        with pytest.raises(P.StageError) as caught:
            list(P.stage(unpicklable_failure, P.generator(done, 7), workers=1))
        assert isinstance(caught.value.__cause__, pg.RemoteError)
        assert "Local" in str(caught.value.__cause__) and "local 7" in str(caught.value)
    run(mode, main)


def test_stage_stops_on_cancel(mode):
    def main():
        ctx, cancel = pg.context.with_cancel(pg.context.background())
        out = P.stage(square, P.repeat(ctx, 2), workers=3, ctx=ctx)
        assert out.recv() == 4
        cancel()
        rest = list(out)                          # the output closes
        assert len(rest) <= 6
    run(mode, main)


def test_stage_rejects_bad_arguments():
    def main():
        with pytest.raises(TypeError):
            P.stage(42, pg.chan())
        with pytest.raises(ValueError):
            P.stage(square, pg.chan(), workers=0)
        with pytest.raises(ValueError, match="errors"):
            P.stage(square, pg.chan(), errors="ignore")
        with pytest.raises(TypeError, match="WorkerPool"):
            P.stage(square, pg.chan(), pool=object())
    pg.run(main, procs=1)
