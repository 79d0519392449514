"""Contexts, the kernel side: cancelling a tree of context records and
closing their done channels, over the records of _shm/ctxrec.py.

Owns: the cancel walk and the operations parago/context.py performs on
records (it never touches shared memory itself). What only one process
knows of a record — the cause object it holds, its deadline timer, how to
let go of a foreign parent — stays with context.py's handles, which
cancel_tree tells about each record it cancels.

Invariants:
  - A record is cancelled once (ctxrec.cancel sets its ERR from 0 under its
    lock, and hands back its done channel, children and after-funcs): the
    walk visits each record of the tree once, in whichever process cancels.
  - A child taken off its parent's list is this walk's to release: the
    list's reference on it is dropped once it has been cancelled.
  - Done channels are closed after their record is cancelled, so whoever
    sees a closed done channel reads the error (and its cause) too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._errors import Panic
from .._shm import ctxrec as X
from .._shm import values as V
from . import chan as K

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._shm.arena import Arena

CANCELED = X.CANCELED
DEADLINE_EXCEEDED = X.DEADLINE_EXCEEDED
CODE_MASK = X.CODE_MASK

new = X.new
free = X.free
err_word = X.err_word
expiry_word = X.expiry_word
link = X.link
unlink = X.unlink
new_cause = X.new_cause
cause_token = X.cause_token
cause_data = X.cause_data
decref_cause = X.decref_cause
add_after = X.add_after
remove_after = X.remove_after
count_children = X.count_children
dumps = V.dumps


def close_done(arena: Arena, done_b: int) -> None:
    try:
        K.close(K.borrowed(arena, done_b, K.DEADLINE))   # the record holds the reference
    except Panic:
        pass                                              # already closed


def cancel_tree(arena: Arena, b: int, word: int, visit: Callable[[int], object],
                start: Callable[[bytes], object], unlink_it: bool) -> bool:
    """Cancel record ``b`` and every record below it with ERR = ``word``;
    False if ``b`` already was. ``visit(rb)`` is called for each record
    cancelled, ``start(data)`` for each after-func found (pickled bytes: it
    starts it in its own goroutine). ``unlink_it``: also take ``b`` off its
    parent's list (a cancel of ``b`` itself, not one from above, CTX-06)."""
    got = X.cancel(arena, b, word)
    if got is None:
        return False
    pending = [(b, got, False)]
    while pending:
        rb, (done_b, children, funcs), listed = pending.pop()
        visit(rb)
        close_done(arena, done_b)
        for ch in children:
            sub = X.cancel(arena, ch, word)
            if sub is None:
                X.decref(arena, ch)                       # the list's reference
            else:
                pending.append((ch, sub, True))
        for data in funcs:
            start(data)
        if listed:
            X.decref(arena, rb)
    if unlink_it:
        X.unlink(arena, b)
    return True


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
