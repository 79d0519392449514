"""context: the CTX rows and Go's own context tests, in one process and across processes.

Go's tests (src/context/x_test.go, context_test.go, afterfunc_test.go,
net_test.go, withtimeout_test.go) are ported one by one, each named in its
test's docstring. In "xproc" mode the other half of each scenario — the
cancel, the wait, the reading of err() and cause(), or the making of a
child — happens in a goroutine provably in another process.
"""

from __future__ import annotations

import functools
import random
import time

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked
from parago._errors import RemoteError
from parago._shm import ctxrec

pytestmark = pytest.mark.timeout(120)
cx = pg.context

SHORT = 0.001            # Go's shortDuration
FOREVER = 1e6            # Go's veryLongDuration


# ---- helpers: other processes, and what a context looks like from there --------------

def _run_and_send(out, fn, args):
    try:
        out.send(("ok", fn(*args)))
    except BaseException as e:  # noqa: BLE001 - reported to the test
        out.send(("raised", f"{type(e).__name__}: {e}"))


def elsewhere(mode, fn, *args):
    """fn(*args) in a goroutine in another process ("xproc") or this one
    ("local"); returns its result, or fails with what it raised."""
    out = pg.chan(1)
    start_peer(mode, _run_and_send, out, fn, args)
    status, val = out.recv()
    assert status == "ok", val
    return val


def call(fn, *args):
    return fn(*args)


def is_done(ctx) -> bool:
    d = ctx.done()
    return d is not None and pg.select(d.recv, default=True)[0] == 0


def state(ctx):
    """(done, err type, cause) of ctx as this process sees it; cause by repr,
    the same for the object and its copies."""
    err = ctx.err()
    why = cx.cause(ctx)
    return is_done(ctx), type(err).__name__ if err else None, repr(why) if why else None


def wait_state(ctx):
    ctx.done().recv()
    return state(ctx)


CANCELED = (True, "Canceled", "Canceled('context canceled')")
EXPIRED = (True, "DeadlineExceeded", "DeadlineExceeded('context deadline exceeded')")
LIVE = (False, None, None)


def wait_goroutines(n: int) -> None:
    deadline = time.monotonic() + 30
    while pg.num_goroutine() != n:
        assert time.monotonic() < deadline, f"{pg.num_goroutine()} goroutines, want {n}"
        pg.sleep(0.001)


# ---- contexts of other types (Go's test types) -------------------------------------------

class Other(cx.Context):
    """Go's otherContext: another type that embeds one of ours."""

    __slots__ = ()


class NewDone(cx.Context):
    """Go's myDoneCtx: embeds a context, but done() is a new channel each time."""

    __slots__ = ()

    def done(self):
        return pg.chan()


class CustomDone(cx.Context):
    """Go's customDoneContext: embeds a context, done() is its own channel."""

    __slots__ = ("donec",)

    def __init__(self, parent, donec):
        super().__init__(parent)
        self.donec = donec

    def done(self):
        return self.donec


class ForeignContext:
    """A context of no pg.context type: the four methods over its own state."""

    def __init__(self):
        self._done = pg.chan()
        self._err = None

    def deadline(self):
        return None, False

    def done(self):
        return self._done

    def err(self):
        return self._err

    def value(self, key):
        return None


class CauseContext(ForeignContext):
    """Go's customCauseContext: no cause support."""

    def __init__(self):
        super().__init__()
        self.cancel_child = None

    def cancel(self):
        self._err = cx.Canceled()
        self._done.close()
        if self.cancel_child is not None:
            self.cancel_child()


class AfterFuncContext(ForeignContext):
    """Go's afterFuncContext: with an after_func method."""

    def __init__(self):
        super().__init__()
        self.after_funcs = {}

    def after_func(self, f):
        k = object()
        self.after_funcs[k] = f

        def stop():
            return self.after_funcs.pop(k, None) is not None
        return stop

    def cancel(self, err):
        if self._err is not None:
            return
        self._err = err
        for f in self.after_funcs.values():
            pg.go(f)
        self.after_funcs = {}


class ChanContext:
    """A foreign context whose whole state is a channel, so that its copies in
    other processes agree: done once the channel is closed."""

    def __init__(self):
        self.c = pg.chan()

    def deadline(self):
        return None, False

    def done(self):
        return self.c.recv_only()

    def err(self):
        return cx.Canceled() if pg.select(self.c.recv, default=True)[0] == 0 else None

    def value(self, key):
        return "chan-context" if key == "who" else None

    def cancel(self):
        self.c.close()


# ---- CTX-01, CTX-08 -------------------------------------------------------------------

def background_and_todo():
    return [(repr(c), c.done(), c.err(), c.value("k"), c.deadline(), cx.cause(c))
            for c in (cx.background(), cx.todo())]


def test_go_background_todo(mode):
    """Go: TestBackground, TestTODO (CTX-01), in this process and a copy elsewhere."""
    def main():
        want = [("context.Background", None, None, None, (None, False), None),
                ("context.TODO", None, None, None, (None, False), None)]
        assert background_and_todo() == want
        assert elsewhere(mode, background_and_todo) == want
        assert elsewhere(mode, call, repr, cx.background()) == "context.Background"
    run(mode, main)


def test_go_deadline_exceeded_supports_timeout():
    """Go: TestDeadlineExceededSupportsTimeout, TestDeadlineExceededIsNetError (CTX-08)."""
    assert str(cx.Canceled()) == "context canceled"
    e = cx.DeadlineExceeded()
    assert str(e) == "context deadline exceeded" and isinstance(e, TimeoutError)
    assert e.timeout() and e.temporary()


# ---- CTX-02..06: cancel and its propagation --------------------------------------------

def test_go_with_cancel(mode):
    """Go: TestWithCancel (CTX-02, CTX-03): an otherContext in the chain, the
    cancel called in another process, every context done when it returns."""
    def main():
        c1, cancel = cx.with_cancel(cx.background())
        assert repr(c1) == "context.Background.WithCancel"
        o = Other(c1)
        c2, _ = cx.with_cancel(o)
        assert repr(c2) == "context.Background.WithCancel.WithCancel"
        contexts = [c1, o, c2]
        for c in contexts:
            assert c.done() is not None and state(c) == LIVE
            assert elsewhere(mode, state, c) == LIVE
        elsewhere(mode, call, cancel)
        for c in contexts:
            assert state(c) == CANCELED                   # propagated synchronously
    run(mode, main)


def test_ctx03_cancel_reaches_waiters_in_other_processes(mode):
    def main():
        parent, cancel = cx.with_cancel(cx.background())
        child, _ = cx.with_cancel(parent)
        grandchild = cx.with_value(child, "k", 1)
        out = pg.chan(2)
        start_peer(mode, lambda: out.send(wait_state(grandchild)))
        pg.go(lambda: out.send(wait_state(child)))
        wait_blocked("chan receive", 2)
        cancel()
        assert state(child) == CANCELED and state(grandchild) == CANCELED
        assert [out.recv(), out.recv()] == [CANCELED] * 2
    run(mode, main)


def make_child(parent):
    child, cancel = cx.with_cancel(parent)
    return child, cancel


def children(ctx) -> int:
    return ctxrec.count_children(ctx._rec._arena, ctx._rec._b)


def test_go_parent_finishes_child(mode):
    """Go: XTestParentFinishesChild (CTX-04): a cancel child and a timer child
    under a value child, the cancel child made in another process."""
    def main():
        parent, cancel = cx.with_cancel(cx.background())
        cancel_child, _ = elsewhere(mode, make_child, parent)
        value_child = cx.with_value(parent, "key", "value")
        timer_child, _ = cx.with_timeout(value_child, FOREVER)
        for c in (parent, cancel_child, value_child, timer_child):
            assert state(c) == LIVE
        assert children(parent) == 2
        cancel()
        assert children(parent) == 0
        for c in (parent, cancel_child, value_child, timer_child):
            assert state(c) == CANCELED
            assert elsewhere(mode, state, c) == CANCELED
        precanceled = cx.with_value(parent, "key", "value")
        assert state(precanceled) == CANCELED
    run(mode, main)


def test_go_child_finishes_first(mode):
    """Go: XTestChildFinishesFirst (CTX-04, CTX-06): the child cancelled in
    another process leaves its parent's list and the parent live."""
    def main():
        cancelable, stop = cx.with_cancel(cx.background())
        for parent in (cx.background(), cancelable):
            child, cancel = cx.with_cancel(parent)
            assert state(parent) == LIVE and state(child) == LIVE
            if parent is cancelable:
                assert children(parent) == 1
            elsewhere(mode, call, cancel)
            if parent is cancelable:
                assert children(parent) == 0
            assert state(child) == CANCELED
            assert parent.err() is None and not is_done(parent)
        stop()
    run(mode, main)


def test_go_cancel_removes(mode):
    """Go: XTestCancelRemoves (CTX-06): cancelling a child (cancel or timer)
    takes it off its parent, also when the child was made elsewhere."""
    def make_timeout_child(parent):
        return cx.with_timeout(parent, 3600)

    def main():
        for make in (make_child, make_timeout_child):
            ctx, _ = cx.with_cancel(cx.background())
            assert children(ctx) == 0
            _, cancel = elsewhere(mode, make, ctx)
            assert children(ctx) == 1
            cancel()
            assert children(ctx) == 0
    run(mode, main)


def test_go_with_cancel_canceled_parent(mode):
    """Go: TestWithCancelCanceledParent (CTX-05): a child of a parent
    cancelled with a cause is born done, with that very cause."""
    def main():
        parent, pcancel = cx.with_cancel_cause(cx.background())
        why = ValueError("Because!")
        pcancel(why)
        c, _ = cx.with_cancel(parent)
        assert is_done(c) and isinstance(c.err(), cx.Canceled)
        assert cx.cause(c) is why
        # a child made in another process: born done, with a copy of the cause
        assert elsewhere(mode, lambda p: state(make_child(p)[0]), parent) == \
            (True, "Canceled", "ValueError('Because!')")
    run(mode, main)


def test_go_with_cancel_simultaneously_canceled_parent(mode):
    """Go: TestWithCancelSimultaneouslyCanceledParent (CTX-05): the parent's
    cancel races the making of the child (in another process in xproc)."""
    def main():
        for i in range(100):
            parent, pcancel = cx.with_cancel_cause(cx.background())
            if mode == "xproc" and i % 10 == 0:
                start_peer(mode, pcancel, ValueError("Because!"))
            else:
                pg.go(pcancel, ValueError("Because!"))
            c, _ = cx.with_cancel(parent)
            c.done().recv()
            assert state(c) == (True, "Canceled", "ValueError('Because!')")
    run(mode, main)


def cancel_all(cancels, out):
    for c in cancels:
        c()
    out.send(True)


def test_go_simultaneous_cancels(mode):
    """Go: TestSimultaneousCancels (CTX-15): a 100-node tree, four children a
    node, every cancel in its own goroutine in a random order (some in
    another process); every done closes and every cancel returns."""
    def main():
        root, cancel = cx.with_cancel(cx.background())
        nodes, cancels, queue = [root], [cancel], [root]
        while queue and len(nodes) < 100:
            parent = queue.pop(0)
            for _ in range(4):
                c, cc = cx.with_cancel(parent)
                nodes.append(c)
                cancels.append(cc)
                queue.append(c)
        random.shuffle(cancels)
        out = pg.chan(len(cancels))
        start_peer(mode, cancel_all, cancels[:10], out)
        for cc in cancels[10:]:
            pg.go(cancel_all, [cc], out)
        for n in random.sample(nodes, len(nodes)):
            n.done().recv()
        for _ in range(len(cancels) - 9):
            out.recv()
        assert all(state(n) == CANCELED for n in nodes)
    run(mode, main)


def cancel_when_done(parent, cancel_child):
    parent.done().recv()
    cancel_child()


def test_go_interlocked_cancels(mode):
    """Go: TestInterlockedCancels (CTX-15): a goroutine (elsewhere in xproc)
    cancels the child when it sees the parent done; nothing deadlocks."""
    def main():
        parent, cancel_parent = cx.with_cancel(cx.background())
        child, cancel_child = cx.with_cancel(parent)
        start_peer(mode, cancel_when_done, parent, cancel_child)
        cancel_parent()
        child.done().recv()
        assert state(child) == CANCELED
    run(mode, main)


def check_values(ctx, keys):
    return all(ctx.value(k) == f"v{k}" for k in keys)


@pytest.mark.parametrize("timeout", [False, True], ids=["cancel", "timeout"])
def test_go_layers(mode, timeout):
    """Go: TestLayersCancel, TestLayersTimeout (CTX-14): 30+ random layers of
    with_value / with_cancel / with_timeout; values survive the cancel or the
    timeout, read here and elsewhere."""
    def main():
        r = random.Random(time.time_ns())
        ctx, keys, cancels, timers = cx.background(), [], [], 0
        i = 0
        while i < 30 or not (timers and cancels and keys):
            kind = r.randrange(3)
            if kind == 0:
                ctx = cx.with_value(ctx, i, f"v{i}")
                keys.append(i)
            elif kind == 1:
                ctx, c = cx.with_cancel(ctx)
                cancels.append(c)
            else:
                ctx, c = cx.with_timeout(ctx, SHORT if timeout else FOREVER)
                cancels.append(c)
                timers += 1
            i += 1
        assert repr(ctx).startswith("context.Background.")
        if not timeout:
            assert not is_done(ctx)
        assert check_values(ctx, keys) and elsewhere(mode, check_values, ctx, keys)
        if timeout:
            assert elsewhere(mode, wait_state, ctx) == EXPIRED
        else:
            elsewhere(mode, call, r.choice(cancels))
            assert is_done(ctx)
        assert check_values(ctx, keys) and elsewhere(mode, check_values, ctx, keys)
    run(mode, main)


# ---- CTX-07, CTX-09..11: deadlines ---------------------------------------------------------

def test_ctx06_ctx07_cancel_is_idempotent_and_err_stable(mode):
    def main():
        ctx, cancel = cx.with_cancel(cx.background())
        d = ctx.done()
        cancel()
        elsewhere(mode, call, cancel)
        cancel()
        assert ctx.done() is d and ctx.err() is ctx.err()
    run(mode, main)


def test_go_deadline(mode):
    """Go: TestDeadline (CTX-09): short deadlines, through an otherContext,
    under a later deadline, in the past and now; waited for elsewhere."""
    def main():
        bg = cx.background()
        c, _ = cx.with_deadline(bg, time.time() + SHORT)
        assert repr(c).startswith("context.Background.WithDeadline(")
        cases = [c, Other(cx.with_deadline(bg, time.time() + SHORT)[0])]
        o = Other(cx.with_deadline(bg, time.time() + SHORT)[0])
        cases.append(cx.with_deadline(o, time.time() + FOREVER)[0])
        cases.append(cx.with_deadline(bg, time.time() - SHORT)[0])
        cases.append(cx.with_deadline(bg, time.time())[0])
        for c in cases:
            assert elsewhere(mode, wait_state, c) == EXPIRED
            assert wait_state(c) == EXPIRED
    run(mode, main)


def test_go_timeout(mode):
    """Go: TestTimeout (CTX-09), and ExampleWithTimeout."""
    def main():
        bg = cx.background()
        c, _ = cx.with_timeout(bg, SHORT)
        assert repr(c).startswith("context.Background.WithDeadline(")
        assert c.deadline()[1] is True
        cases = [c, Other(cx.with_timeout(bg, SHORT)[0])]
        cases.append(cx.with_timeout(Other(cx.with_timeout(bg, SHORT)[0]), FOREVER)[0])
        for c in cases:
            assert elsewhere(mode, wait_state, c) == EXPIRED
        # ExampleWithTimeout: the context's done wins over a longer timer
        ctx, cancel = cx.with_timeout(bg, 0.05)
        i, _, _ = pg.select(pg.after(60).recv, ctx.done().recv)
        assert i == 1 and str(ctx.err()) == "context deadline exceeded"
        cancel()
    run(mode, main)


def test_go_canceled_timeout(mode):
    """Go: TestCanceledTimeout (CTX-11): cancelling (elsewhere) before the
    deadline, under an otherContext, gives Canceled at once."""
    def main():
        c, _ = cx.with_timeout(cx.background(), 1.0)
        c, cancel = cx.with_timeout(Other(c), FOREVER)
        elsewhere(mode, call, cancel)
        assert state(c) == CANCELED
    run(mode, main)


def test_ctx10_earlier_parent_deadline_wins(mode):
    def main():
        p, _ = cx.with_deadline(cx.background(), time.time() + 10)
        c, _ = cx.with_deadline(p, time.time() + 100)
        assert c.deadline() == p.deadline() and repr(c).endswith(".WithCancel")
        assert elsewhere(mode, call, c.deadline) == p.deadline()
        short, _ = cx.with_timeout(cx.background(), 0.05)
        child, _ = cx.with_cancel(short)
        assert elsewhere(mode, wait_state, child) == EXPIRED      # the parent's deadline
    run(mode, main)


def test_deadline_done_channel_in_select(mode):
    def main():
        ctx, _ = cx.with_timeout(cx.background(), 0.05)
        never = pg.chan()
        t0 = time.monotonic()
        assert pg.select(never.recv, ctx.done().recv) == (1, None, False)
        assert time.monotonic() - t0 >= 0.045
        assert isinstance(ctx.err(), cx.DeadlineExceeded)
        assert elsewhere(mode, state, ctx) == EXPIRED
    run(mode, main)


# ---- CTX-12, CTX-13: values and misuse --------------------------------------------------------

class Key1(int):
    pass


class Key2(int):
    pass


K1, K2, K3 = Key1(1), Key2(1), Key2(3)     # K1, K2: the same int, different types


def values_of(c):
    return c.value(K1), c.value(K2), c.value(K3)


def test_go_values(mode):
    """Go: TestValues (CTX-12): keys match by type and value, the nearest
    wins (even with None), through otherContext wrappers, read elsewhere too."""
    def main():
        bg = cx.background()
        c1 = cx.with_value(bg, K1, "c1k1")
        c2 = cx.with_value(c1, K2, "c2k2")
        c3 = cx.with_value(c2, K3, "c3k3")
        c4 = cx.with_value(c3, K1, None)
        o1 = Other(cx.with_value(bg, K1, "c1k1"))
        o3 = Other(c4)
        cases = [
            (bg, (None, None, None)),
            (c1, ("c1k1", None, None)),
            (c2, ("c1k1", "c2k2", None)),
            (c3, ("c1k1", "c2k2", "c3k3")),
            (c4, (None, "c2k2", "c3k3")),
            (Other(bg), (None, None, None)),
            (o1, ("c1k1", None, None)),
            (cx.with_value(o1, K2, "o2k2"), ("c1k1", "o2k2", None)),
            (o3, (None, "c2k2", "c3k3")),
            (cx.with_value(o3, K3, None), (None, "c2k2", None)),
        ]
        assert repr(c1) == "context.Background.WithValue(1, 'c1k1')"
        for c, want in cases:
            assert values_of(c) == want
        assert elsewhere(mode, lambda cs: [values_of(c) for c, _ in cs], cases) == \
            [w for _, w in cases]
    run(mode, main)


def misuse():
    bg = cx.background()
    with pytest.raises(pg.Panic, match="key is not comparable"):
        cx.with_value(bg, [b"foo"], "bar")
    with pytest.raises(pg.Panic, match="^nil key$"):
        cx.with_value(bg, None, "bar")
    for make in (cx.with_cancel, cx.with_cancel_cause, cx.without_cancel,
                 lambda p: cx.with_deadline(p, time.time() + SHORT),
                 lambda p: cx.with_timeout_cause(p, SHORT, ValueError()),
                 lambda p: cx.with_value(p, "foo", "bar")):
        with pytest.raises(pg.Panic, match="cannot create context from nil parent"):
            make(None)
    with pytest.raises(TypeError, match="has no done"):
        cx.with_cancel(object())
    return True


def test_go_with_value_checks_key_and_invalid_derived_fail(mode):
    """Go: TestWithValueChecksKey, TestInvalidDerivedFail (CTX-13)."""
    def main():
        assert misuse() and elsewhere(mode, misuse)
    run(mode, main)


# ---- CTX-16: contexts of other types as parents ------------------------------------------------

def test_go_custom_context_goroutines(mode):
    """Go: XTestCustomContextGoroutines (CTX-16): a parent whose done() is not
    one of ours costs one watcher goroutine, which ends with the child; a
    wrapper that keeps our done channel costs none."""
    def main():
        g = pg.num_goroutine()

        def created_one_then_cancel(cancel):
            assert pg.num_goroutine() == g + 1
            cancel()
            wait_goroutines(g)

        created_one_then_cancel(cx.with_cancel(NewDone(cx.background()))[1])
        created_one_then_cancel(cx.with_timeout(NewDone(cx.background()), FOREVER)[1])
        ctx1, cancel1 = cx.with_cancel(cx.background())
        ctx2 = Other(ctx1)
        ctx3, cancel3 = cx.with_cancel(ctx2)
        assert pg.num_goroutine() == g
        _, cancel3b = cx.with_cancel(NewDone(ctx2))     # ctx1's done is not provided
        assert pg.num_goroutine() == g + 1
        ctx4, cancel4 = cx.with_timeout(ctx3, FOREVER)
        ctx5, cancel5 = cx.with_cancel(ctx4)
        cancel5()
        _, cancel6 = cx.with_timeout(ctx5, FOREVER)
        cancel6()
        cancel1()
        _, cancel7 = cx.with_cancel(ctx5)
        assert pg.num_goroutine() == g + 1
        for c in (cancel3, cancel4, cancel7):
            c()
        cancel3b()
        wait_goroutines(g)
    run(mode, main)


def test_go_custom_context_propagation(mode):
    """Go: TestCustomContextPropagation (CTX-16, CTX-20): a wrapper with its
    own done channel; the child follows it, with the wrapped context's cause."""
    def main():
        why = ValueError("TestCustomContextPropagation")
        donec = pg.chan()
        ctx1, cancel1 = cx.with_cancel_cause(cx.background())
        ctx2 = CustomDone(ctx1, donec)
        ctx3, cancel3 = cx.with_cancel(ctx2)
        cancel1(why)
        assert not is_done(ctx3)                   # it follows ctx2's done, not ctx1's
        elsewhere(mode, call, donec.close)
        ctx3.done().recv()
        assert isinstance(ctx3.err(), cx.Canceled) and cx.cause(ctx3) is why
        assert elsewhere(mode, state, ctx3) == (True, "Canceled", repr(why))
        cancel3()
    run(mode, main)


def test_go_custom_context_cause(mode):
    """Go: TestCustomContextCause (CTX-20): cause() of a foreign context is its
    err(); a child's own cause is kept; cancelling the parent cancels the child."""
    def main():
        ccc = CauseContext()
        ccc.cancel()
        assert isinstance(ccc.err(), cx.Canceled) and cx.cause(ccc) is ccc.err()

        ccc = CauseContext()
        ctx, cause_func = cx.with_cancel_cause(ccc)
        why = ValueError("TestCustomContextCause")
        cause_func(why)
        assert isinstance(ctx.err(), cx.Canceled) and cx.cause(ctx) is why
        assert ccc.err() is None and cx.cause(ccc) is None
        ccc.cancel()
        assert cx.cause(ctx) is why and isinstance(cx.cause(ccc), cx.Canceled)
        assert elsewhere(mode, state, ctx) == (True, "Canceled", repr(why))

        ccc = CauseContext()
        ctx, cancel = cx.with_cancel(ccc)
        ccc.cancel_child = cancel
        ccc.cancel()
        assert state(ctx) == CANCELED and elsewhere(mode, state, ctx) == CANCELED
        assert isinstance(cx.cause(ccc), cx.Canceled)
    run(mode, main)


def child_state_when_done(parent, out):
    child, cancel = cx.with_cancel(parent)
    out.send(child)
    out.send(wait_state(child))
    cancel()


def test_foreign_parent_of_a_child_in_another_process(mode):
    """CTX-16: a foreign parent (no base class, its own done channel) copied
    to another process; the child made there follows it."""
    def main():
        parent = ChanContext()
        out = pg.chan(2)
        start_peer(mode, child_state_when_done, parent, out)
        child = out.recv()
        assert child.value("who") == "chan-context" and state(child) == LIVE
        parent.cancel()
        assert out.recv() == CANCELED
        child.done().recv()
        assert state(child) == CANCELED
    run(mode, main)


def test_foreign_parent_child_waited_on_in_another_process(mode):
    """CTX-16: the child of a foreign parent, waited on in another process,
    is cancelled by this process's watcher."""
    def main():
        parent = ChanContext()
        child, _ = cx.with_cancel(parent)
        grandchild, _ = cx.with_timeout(child, FOREVER)
        out = pg.chan(1)
        start_peer(mode, lambda: out.send(wait_state(grandchild)))
        wait_blocked("chan receive", 1)
        parent.cancel()
        assert out.recv() == CANCELED
    run(mode, main)


def test_wrapped_parent_links_across_processes(mode):
    """CTX-03 "and via otherContext wrappers": a child made elsewhere from a
    wrapper of ours is cancelled before cancel() returns here."""
    def main():
        parent, cancel = cx.with_cancel(cx.background())
        child, _ = elsewhere(mode, make_child, Other(parent))
        cancel()
        assert state(child) == CANCELED
    run(mode, main)


def test_go_custom_context_after_func(mode):
    """Go: TestCustomContextAfterFuncCancel, ...Timeout, ...AfterFunc (CTX-16):
    a parent's after_func method is used instead of a goroutine; what it runs
    (in any process) cancels the child."""
    def main():
        g = pg.num_goroutine()
        ctx0 = AfterFuncContext()
        ctx1, cancel = cx.with_cancel(ctx0)
        ctx2, cancel2 = cx.with_timeout(ctx0, FOREVER)
        donec = pg.chan()
        stop = cx.after_func(ctx0, donec.close)
        assert pg.num_goroutine() == g and len(ctx0.after_funcs) == 3
        ctx0.cancel(cx.Canceled())
        ctx1.done().recv()
        ctx2.done().recv()
        donec.recv()
        assert state(ctx1) == CANCELED and state(ctx2) == CANCELED
        assert stop() is False
        cancel()
        cancel2()
    run(mode, main)


def after_func_unregister():
    ctx0 = AfterFuncContext()
    _, cancel1 = cx.with_cancel(ctx0)
    _, cancel2 = cx.with_cancel(ctx0)
    assert len(ctx0.after_funcs) == 2
    cancel1()
    cancel2()
    assert len(ctx0.after_funcs) == 0
    _, cancel = cx.with_timeout(ctx0, FOREVER)
    assert len(ctx0.after_funcs) == 1
    cancel()
    assert len(ctx0.after_funcs) == 0
    stop = cx.after_func(ctx0, lambda: None)
    assert len(ctx0.after_funcs) == 1
    assert stop() is True and len(ctx0.after_funcs) == 0
    expiring, _ = cx.with_timeout(ctx0, 0.01)      # the deadline lets go too
    expiring.done().recv()
    deadline = time.monotonic() + 30
    while ctx0.after_funcs:
        assert time.monotonic() < deadline
        pg.sleep(0.001)
    assert state(expiring) == EXPIRED
    return True


def test_go_custom_context_after_func_unregister(mode):
    """Go: TestCustomContextAfterFuncUnregisterCancel, ...Timeout, ...AfterFunc:
    cancelling the child (or stopping the after_func) lets go of the parent;
    here and in a worker process."""
    run(mode, lambda: after_func_unregister() and elsewhere(mode, after_func_unregister))


# ---- CTX-17..21: causes, without_cancel ----------------------------------------------------

PARENT_CAUSE = ValueError("parentCause")
CHILD_CAUSE = ValueError("childCause")
TOO_SLOW = TimeoutError("tooSlow")
FINISHED_EARLY = ValueError("finishedEarly")


def _cancelled(make, *args, with_cause=None):
    ctx, cancel = make(*args)
    cancel(with_cause) if with_cause is not None else cancel()
    return ctx


def _parent_child(parent_make, child_make, first, second):
    ctx, cancel_parent = parent_make(cx.background())
    ctx, cancel_child = child_make(ctx)
    steps = {"parent": cancel_parent, "child": cancel_child}
    for who, why in (first, second):
        steps[who](why) if why is not None else steps[who]()
    return ctx


def _stacked(s):
    ctx, cancel = cx.with_cancel_cause(cx.background())
    ctx, _ = cx.with_timeout_cause(ctx, s, TOO_SLOW)
    cancel(FINISHED_EARLY)
    return ctx


def _without_cancel_canceled():
    ctx, cancel = cx.with_cancel_cause(cx.background())
    ctx = cx.without_cancel(ctx)
    cancel(FINISHED_EARLY)
    return ctx


def _without_cancel_timeout():
    ctx, cancel = cx.with_timeout_cause(cx.background(), 0, TOO_SLOW)
    ctx = cx.without_cancel(ctx)
    cancel()
    return ctx


wcc, wc = cx.with_cancel_cause, cx.with_cancel
# name -> (make the context, err type, cause: an object, or "err" for err() itself)
CAUSE_CASES = {
    "Background": (cx.background, None, None),
    "TODO": (cx.todo, None, None),
    "WithCancel": (lambda: _cancelled(wc, cx.background()), cx.Canceled, "err"),
    "WithCancelCause": (lambda: _cancelled(wcc, cx.background(), with_cause=PARENT_CAUSE),
                        cx.Canceled, PARENT_CAUSE),
    "WithCancelCause nil": (lambda: _cancelled(wcc, cx.background()), cx.Canceled, "err"),
    "parent cause before child": (
        lambda: _parent_child(wcc, wcc, ("parent", PARENT_CAUSE), ("child", CHILD_CAUSE)),
        cx.Canceled, PARENT_CAUSE),
    "parent cause after child": (
        lambda: _parent_child(wcc, wcc, ("child", CHILD_CAUSE), ("parent", PARENT_CAUSE)),
        cx.Canceled, CHILD_CAUSE),
    "parent cause before nil": (
        lambda: _parent_child(wcc, wc, ("parent", PARENT_CAUSE), ("child", None)),
        cx.Canceled, PARENT_CAUSE),
    "parent cause after nil": (
        lambda: _parent_child(wcc, wc, ("child", None), ("parent", PARENT_CAUSE)),
        cx.Canceled, "err"),
    "child cause after nil": (
        lambda: _parent_child(wc, wcc, ("parent", None), ("child", CHILD_CAUSE)),
        cx.Canceled, "err"),
    "child cause before nil": (
        lambda: _parent_child(wc, wcc, ("child", CHILD_CAUSE), ("parent", None)),
        cx.Canceled, CHILD_CAUSE),
    "WithTimeout": (lambda: _cancelled(cx.with_timeout, cx.background(), 0),
                    cx.DeadlineExceeded, "err"),
    "WithTimeout canceled": (lambda: _cancelled(cx.with_timeout, cx.background(), FOREVER),
                             cx.Canceled, "err"),
    "WithTimeoutCause": (
        lambda: _cancelled(cx.with_timeout_cause, cx.background(), 0, TOO_SLOW),
        cx.DeadlineExceeded, TOO_SLOW),
    "WithTimeoutCause canceled": (
        lambda: _cancelled(cx.with_timeout_cause, cx.background(), FOREVER, TOO_SLOW),
        cx.Canceled, "err"),
    "WithTimeoutCause stacked": (lambda: _stacked(0), cx.DeadlineExceeded, TOO_SLOW),
    "WithTimeoutCause stacked canceled": (lambda: _stacked(FOREVER), cx.Canceled,
                                          FINISHED_EARLY),
    "WithoutCancel": (lambda: cx.without_cancel(cx.background()), None, None),
    "WithoutCancel canceled": (_without_cancel_canceled, None, None),
    "WithoutCancel timeout": (_without_cancel_timeout, None, None),
}


def make_cause_case(name):
    """Build the case here and check it with identities: err() the sentinel,
    cause() the very object given (or err() itself)."""
    make, err_type, want = CAUSE_CASES[name]
    ctx = make()
    err = ctx.err()
    assert (err is None) if err_type is None else isinstance(err, err_type), err
    got = cx.cause(ctx)
    assert got is (err if want == "err" else want), f"cause {got!r}"
    assert cx.cause(ctx) is got
    return ctx


@pytest.mark.parametrize("name", list(CAUSE_CASES))
def test_go_cause(mode, name):
    """Go: TestCause, every row (CTX-17, CTX-18, CTX-19, CTX-21): made and
    checked in another process, and read here from the copy."""
    def main():
        ctx = elsewhere(mode, make_cause_case, name)
        _, err_type, want = CAUSE_CASES[name]
        err = ctx.err()
        assert type(err) is err_type if err_type else err is None
        got = cx.cause(ctx)
        assert repr(got) == repr(err if want == "err" else want)
        assert cx.cause(ctx) is got                 # one copy in this process
        assert make_cause_case(name) is not None    # and the same here
    run(mode, main)


def poll_cause(ctx):
    while True:
        why = cx.cause(ctx)
        if why is not None:
            return repr(why)
        pg.gosched()


def cancel_jobs(jobs):
    for cancel, why in jobs:
        cancel(why)


def test_go_cause_race(mode):
    """Go: TestCauseRace (CTX-20): cause() polled while another goroutine (in
    another process in xproc) cancels with a cause never reads the error
    without its cause."""
    def main():
        jobs = pg.chan(1)
        start_peer(mode, cancel_jobs, jobs)
        for i in range(600):
            why = ValueError(f"TestCauseRace {i} " + "x" * (i % 200 * 1000))
            ctx, cancel = cx.with_cancel_cause(cx.background())
            jobs.send((cancel, why))
            assert poll_cause(ctx) == repr(why)
        jobs.close()
    run(mode, main)


def test_go_without_cancel(mode):
    """Go: TestWithoutCancel (CTX-21): values kept; never cancelled, even when
    its parent is, seen here and elsewhere; its children are not cancelled."""
    def main():
        parent, cancel = cx.with_timeout(cx.with_value(cx.background(), "key", "value"), FOREVER)
        ctx = cx.without_cancel(parent)
        child, cancel_child = cx.with_cancel(ctx)
        assert repr(ctx).endswith(".WithoutCancel")
        assert ctx.deadline() == (None, False) and ctx.done() is None
        assert ctx.err() is None and ctx.value("key") == "value"
        elsewhere(mode, call, cancel)
        assert state(parent) == CANCELED
        for c in (ctx, child):
            assert state(c) == LIVE and elsewhere(mode, state, c) == LIVE
        assert elsewhere(mode, call, ctx.value, "key") == "value"
        cancel_child()
        assert state(child) == CANCELED
    run(mode, main)


# ---- causes: the very object, and never a stale one -------------------------------------------

def test_cause_is_the_very_object_where_cancelled(mode):
    """docs/api.md cause(): cancel(e) on a parent gives cause(child) is e for
    every descendant in this process, also ones made after the cancel; a copy
    (one per process) elsewhere."""
    def main():
        e = KeyError("the reason")
        parent, cancel = cx.with_cancel_cause(cx.background())
        child, _ = cx.with_cancel(parent)
        grandchild = cx.with_value(cx.with_timeout(child, FOREVER)[0], "k", 1)
        cancel(e)
        del cancel, parent                      # only the descendants keep it here
        late, _ = cx.with_cancel(child)
        for c in (child, grandchild, late):
            assert cx.cause(c) is e
        assert elsewhere(mode, lambda cs: len({id(cx.cause(c)) for c in cs}) == 1,
                         [child, grandchild, late])
        assert elsewhere(mode, state, late) == (True, "Canceled", repr(e))
    run(mode, main)


def expire_and_report(ctx):
    ctx.done().recv()
    return state(ctx)


def test_ctx19_deadline_cause_seen_everywhere(mode):
    """CTX-19: a with_timeout_cause expiry noticed in another process records
    the cause; here it is the very object given."""
    def main():
        why = TimeoutError("tooSlow")
        ctx, cancel = cx.with_timeout_cause(cx.background(), 0.05, why)
        child, _ = cx.with_cancel(ctx)
        assert elsewhere(mode, expire_and_report, child) == (True, "DeadlineExceeded", repr(why))
        assert isinstance(ctx.err(), cx.DeadlineExceeded)
        assert cx.cause(ctx) is why and cx.cause(child) is why
        cancel()
        assert cx.cause(ctx) is why                 # later cancels never overwrite
        d, dcancel = cx.with_deadline_cause(cx.background(), time.time() - 1, why)
        assert isinstance(d.err(), cx.DeadlineExceeded) and cx.cause(d) is why
        dcancel()
    run(mode, main)


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no copies")


def test_cause_that_cannot_be_copied(mode):
    """A cause that cannot be pickled: the very object here, a stand-in with
    its type's name and message in other processes."""
    def main():
        e = Unpicklable("mine")
        ctx, cancel = cx.with_cancel_cause(cx.background())
        cancel(e)
        assert cx.cause(ctx) is e
        seen = elsewhere(mode, lambda c: repr(cx.cause(c)), ctx)
        assert seen == repr(e if mode == "local" else RemoteError("Unpicklable", "mine"))
    run(mode, main)


def append_line(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def first_run(path):
    ctx, cancel = cx.with_cancel_cause(cx.background())
    cancel(Exception("old"))
    valued = cx.with_value(cx.background(), "k", "old value")
    timed, _ = cx.with_timeout(cx.background(), 0.2)
    cx.after_func(timed, functools.partial(append_line, path, "after_func of run 1"))
    return ctx, cancel, valued, timed


def second_run(path, old):
    old_ctx, old_cancel, old_valued, old_timed = old
    ctx, cancel = cx.with_cancel_cause(cx.background())
    timed, _ = cx.with_timeout(cx.background(), FOREVER)
    cx.after_func(timed, functools.partial(append_line, path, "after_func of run 2"))
    cancel(None)
    assert isinstance(cx.cause(ctx), cx.Canceled)          # not run 1's Exception('old')
    assert cx.with_value(ctx, "j", 1).value("k") is None
    assert old_valued.value("k") == "old value"            # a plain value travels
    pg.sleep(0.4)                                          # past run 1's deadline
    assert state(timed) == LIVE
    for use in (old_ctx.err, lambda: cx.cause(old_ctx), old_cancel, old_timed.err,
                lambda: cx.with_cancel(old_ctx), lambda: cx.after_func(old_timed, print),
                lambda: cx.with_cancel(Other(old_ctx))):
        with pytest.raises(pg.NoRuntime, match="ended"):
            use()
    return True


def test_nothing_of_a_run_reaches_the_next(mode, tmp_path):
    """Two runtimes in a row in one process: run 1's causes, values and
    timers (deadline timers, after_funcs) never reach run 2, which reuses
    the same shared-memory addresses; run 1's contexts raise NoRuntime."""
    path = tmp_path / "fired"
    path.write_text("")
    old = run(mode, first_run, str(path))
    assert run(mode, lambda: second_run(str(path), old) and elsewhere(
        mode, lambda: isinstance(cx.cause(_cancelled(wcc, cx.background())), cx.Canceled)))
    assert path.read_text() == ""


# ---- CTX-22..24: after_func --------------------------------------------------------------------

def test_go_after_func(mode):
    """Go: TestAfterFuncCalledAfterCancel, ...CalledAfterTimeout,
    ...CalledImmediately, ...NotCalledAfterStop, ...CalledAsynchronously
    (CTX-22, CTX-23, CTX-24); the cancel and a stop from another process."""
    def main():
        ctx, cancel = cx.with_cancel(cx.background())
        out = pg.chan()                          # unbuffered: f blocks until received
        stop = cx.after_func(ctx, lambda: out.send("after cancel"))
        stop2 = cx.after_func(ctx, lambda: out.send("stopped one"))
        assert elsewhere(mode, call, stop2) is True and stop2() is False
        assert pg.select(out.recv, default=True)[0] == -1    # not before cancel
        elsewhere(mode, call, cancel)                         # must not wait for f
        assert out.recv() == "after cancel"
        assert stop() is False
        done_ctx, c2 = cx.with_cancel(cx.background())
        c2()
        stop3 = cx.after_func(done_ctx, lambda: out.send("at once"))
        assert out.recv() == "at once" and stop3() is False
        t, _ = cx.with_timeout(cx.background(), 0.02)
        cx.after_func(t, lambda: out.send("on timeout"))
        assert out.recv() == "on timeout"
        never = cx.after_func(cx.background(), lambda: out.send("never"))
        assert never() is True and never() is False
    run(mode, main)


def test_after_func_on_foreign_context(mode):
    """CTX-16, CTX-22: after_func on a foreign context runs when it is done;
    stop() before that prevents it."""
    def main():
        parent = ChanContext()
        out = pg.chan(2)
        cx.after_func(parent, lambda: out.send("ran"))
        stop = cx.after_func(parent, lambda: out.send("stopped"))
        assert stop() is True and stop() is False
        elsewhere(mode, call, parent.cancel)
        assert out.recv() == "ran"
        assert pg.select(out.recv, default=True)[0] == -1
    run(mode, main)
