"""pg.pipeline: the chapter-4 patterns and CPU-bound stages, in one process
and across processes."""

from __future__ import annotations

import os

import pytest

import parago as pg
from helpers import run

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


def test_stage_errors_travel_downstream(mode):
    def main():
        done = pg.chan()
        got = list(P.stage(flaky, P.generator(done, *range(6)), workers=2, ordered=True))
        assert got[:3] == [0, 1, 2] and got[4:] == [4, 5]
        err = got[3]
        assert isinstance(err, P.StageError) and err.item == 3
        assert isinstance(err.exception, ValueError) and "flaky" in err.traceback
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
    pg.run(main, procs=1)
