"""context: the CTX rows, in one process and across processes."""

from __future__ import annotations

import time

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked

pytestmark = pytest.mark.timeout(120)
cx = pg.context


def test_ctx01_background_and_todo():
    assert repr(cx.background()) == "context.Background" and repr(cx.todo()) == "context.TODO"
    for c in (cx.background(), cx.todo()):
        assert c.done() is None and c.err() is None and c.value("k") is None
        assert c.deadline() == (None, False)


def wait_done(ctx, out):
    ctx.done().recv()
    out.send((type(ctx.err()).__name__, str(ctx.err())))


def test_ctx02_ctx03_cancel_reaches_children_in_other_processes(mode):
    def main():
        parent, cancel = cx.with_cancel(cx.background())
        child, _ = cx.with_cancel(parent)
        grandchild = cx.with_value(child, "k", 1)
        assert repr(parent) == "context.Background.WithCancel"
        out = pg.chan(2)
        start_peer(mode, wait_done, grandchild, out)
        pg.go(wait_done, child, out)
        wait_blocked("chan receive", 2)
        assert parent.err() is None
        cancel()
        # synchronous: already done when cancel returns (CTX-03)
        assert child.err() is not None and grandchild.err() is not None
        assert pg.select(child.done().recv, default=True)[0] == 0
        assert [out.recv(), out.recv()] == [("Canceled", "context canceled")] * 2
    run(mode, main)


def make_child_and_report(parent, out):
    child, cancel = cx.with_cancel(parent)
    out.send(child)
    child.done().recv()
    out.send(str(child.err()))


def test_child_made_in_another_process_is_cancelled(mode):
    def main():
        parent, cancel = cx.with_cancel(cx.background())
        out = pg.chan(2)
        start_peer(mode, make_child_and_report, parent, out)
        child = out.recv()
        assert child.err() is None
        cancel()
        assert out.recv() == "context canceled"
    run(mode, main)


def test_ctx04_child_cancel_never_affects_parent(mode):
    def main():
        parent, pcancel = cx.with_cancel(cx.background())
        child, ccancel = cx.with_cancel(parent)
        ccancel()
        assert child.err() is not None and parent.err() is None
        assert pg.select(parent.done().recv, default=True)[0] == -1
        pcancel()
    run(mode, main)


def test_ctx05_child_of_cancelled_parent_is_born_cancelled():
    def main():
        parent, cancel = cx.with_cancel_cause(cx.background())
        cancel(KeyError("first"))
        child, _ = cx.with_cancel(parent)
        assert isinstance(child.err(), cx.Canceled)
        assert repr(cx.cause(child)) == "KeyError('first')"
    pg.run(main, procs=1)


def test_ctx06_ctx07_cancel_is_idempotent_and_err_stable():
    def main():
        ctx, cancel = cx.with_cancel(cx.background())
        d = ctx.done()
        cancel()
        cancel()
        assert ctx.done() is d and ctx.err() is ctx.err()
    pg.run(main, procs=1)


def test_ctx08_error_texts():
    assert str(cx.Canceled()) == "context canceled"
    e = cx.DeadlineExceeded()
    assert str(e) == "context deadline exceeded" and isinstance(e, TimeoutError)
    assert e.timeout() and e.temporary()


def test_ctx09_ctx10_ctx11_deadlines(mode):
    def main():
        ctx, cancel = cx.with_timeout(cx.background(), 0.05)
        when, ok = ctx.deadline()
        assert ok and when > time.time()
        out = pg.chan(1)
        start_peer(mode, wait_done, ctx, out)
        assert out.recv() == ("DeadlineExceeded", "context deadline exceeded")
        past, _ = cx.with_deadline(cx.background(), time.time() - 1)
        assert isinstance(past.err(), cx.DeadlineExceeded)
        # CTX-10: a later deadline under an earlier one reports the parent's
        p, _ = cx.with_deadline(cx.background(), time.time() + 10)
        c, _ = cx.with_deadline(p, time.time() + 100)
        assert c.deadline() == p.deadline()
        # CTX-11: cancelling before the deadline gives Canceled
        t, tcancel = cx.with_timeout(cx.background(), 10)
        tcancel()
        assert isinstance(t.err(), cx.Canceled)
    run(mode, main)


def test_deadline_done_channel_in_select():
    def main():
        ctx, _ = cx.with_timeout(cx.background(), 0.05)
        never = pg.chan()
        t0 = time.monotonic()
        i, v, ok = pg.select(never.recv, ctx.done().recv)
        assert (i, v, ok) == (1, None, False) and time.monotonic() - t0 >= 0.045
        assert isinstance(ctx.err(), cx.DeadlineExceeded)
    pg.run(main, procs=1)


def test_ctx12_ctx13_values():
    def main():
        bg = cx.background()
        a = cx.with_value(bg, "k", 1)
        b = cx.with_value(a, "k", None)           # shadows, even with None
        c = cx.with_value(b, 1, "int key")
        assert a.value("k") == 1 and b.value("k") is None and c.value("missing") is None
        assert c.value(1) == "int key" and c.value(True) is None   # keys differ by type
        with pytest.raises(pg.Panic, match="nil key"):
            cx.with_value(bg, None, 1)
        with pytest.raises(pg.Panic, match="not comparable"):
            cx.with_value(bg, [1], 1)
        with pytest.raises(pg.Panic, match="cannot create context from nil parent"):
            cx.with_cancel(None)
    pg.run(main, procs=1)


def test_ctx14_values_survive_cancel_layers():
    def main():
        ctx = cx.background()
        cancels = []
        for i in range(30):
            if i % 3 == 0:
                ctx = cx.with_value(ctx, i, f"v{i}")
            elif i % 3 == 1:
                ctx, c = cx.with_cancel(ctx)
                cancels.append(c)
            else:
                ctx, c = cx.with_timeout(ctx, 0.01)
                cancels.append(c)
        pg.sleep(0.02)
        for c in cancels:
            c()
        assert all(ctx.value(i) == f"v{i}" for i in range(0, 30, 3))
    pg.run(main, procs=1)


def cancel_random(cancels, out):
    for c in cancels:
        c()
    out.send(True)


def test_ctx15_simultaneous_cancels(mode):
    def main():
        root, rcancel = cx.with_cancel(cx.background())
        nodes, cancels = [root], [rcancel]
        for i in range(1, 100):
            c, cc = cx.with_cancel(nodes[i // 2])
            nodes.append(c)
            cancels.append(cc)
        out = pg.chan(4)
        start_peer(mode, cancel_random, cancels[::-1], out)
        pg.go(cancel_random, cancels[::2], out)
        pg.go(cancel_random, cancels[1::2], out)
        for _ in range(3):
            out.recv()
        assert all(n.err() is not None for n in nodes)
    run(mode, main)


def test_ctx17_ctx18_cause():
    def main():
        ctx, cancel = cx.with_cancel_cause(cx.background())
        assert cx.cause(ctx) is None
        why = ValueError("why")
        cancel(why)
        cancel(KeyError("later"))                # first cause wins
        assert isinstance(ctx.err(), cx.Canceled) and cx.cause(ctx) is why
        c2, cancel2 = cx.with_cancel_cause(cx.background())
        cancel2(None)
        assert isinstance(cx.cause(c2), cx.Canceled)
        p, pc = cx.with_cancel_cause(cx.background())
        child, cc = cx.with_cancel_cause(p)
        pc(ValueError("parent first"))
        cc(ValueError("child second"))
        assert str(cx.cause(child)) == "parent first"
        assert cx.cause(cx.background()) is None
    pg.run(main, procs=1)


def cause_reader(ctx, out):
    ctx.done().recv()
    out.send(repr(cx.cause(ctx)))


def test_cause_crosses_processes(mode):
    def main():
        ctx, cancel = cx.with_cancel_cause(cx.background())
        out = pg.chan()
        start_peer(mode, cause_reader, ctx, out)
        cancel(RuntimeError("over there"))
        assert out.recv() == "RuntimeError('over there')"
    run(mode, main)


def test_ctx22_ctx23_ctx24_after_func(mode):
    def main():
        ctx, cancel = cx.with_cancel(cx.background())
        out = pg.chan()                          # unbuffered: f blocks until received
        stop = cx.after_func(ctx, lambda: out.send("after cancel"))
        stop2 = cx.after_func(ctx, lambda: out.send("stopped one"))
        assert stop2() is True and stop2() is False
        assert pg.select(out.recv, default=True)[0] == -1    # not before cancel
        cancel()                                  # must not wait for f (CTX-24)
        assert out.recv() == "after cancel"
        assert stop() is False
        done_ctx, c2 = cx.with_cancel(cx.background())
        c2()
        cx.after_func(done_ctx, lambda: out.send("at once"))
        assert out.recv() == "at once"
        t, _ = cx.with_timeout(cx.background(), 0.02)
        cx.after_func(t, lambda: out.send("on timeout"))
        assert out.recv() == "on timeout"
    run(mode, main)
