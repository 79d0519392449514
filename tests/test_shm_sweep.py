"""The start-up sweep removes only what it can prove is its own and dead
(DESIGN decision 7; _shm/segment.py), and nothing in /dev/shm can stop
pg.run: other users' files, directories, FIFOs, symlinks, look-alike names,
a runtime in another PID namespace.

Every test that touches /dev/shm runs in a private mount namespace with its
own tmpfs (sandbox.private_shm); some run parts as another uid.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys

import pytest
from sandbox import OTHER_UID, as_user, private_shm, shm_names

import parago as pg
from parago._shm import layout as L
from parago._shm import segment
from parago._shm.arena import Arena

pytestmark = pytest.mark.timeout(120)

SHM = segment.SHM_DIR


def forge(name: str, *, uid: int = -1, pid: int = 0, start: int = -1, pidns: int = -1,
          boot: tuple | None = None, version: int = L.VERSION, size: int = 1 << 20) -> str:
    """A file at /dev/shm/name whose identity record says what is asked
    (by default: this process's, in this boot and namespace)."""
    me = segment.Identity.of_this_process()
    ident = segment.Identity(me.uid if uid < 0 else uid, pid or me.pid,
                             me.start if start < 0 else start, me.pidns if pidns < 0 else pidns,
                             me.boot if boot is None else boot)
    raw = bytearray(ident.to_bytes())
    raw[8:16] = version.to_bytes(8, "little")
    path = os.path.join(SHM, name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.ftruncate(fd, size)
    os.pwrite(fd, bytes(raw), 0)
    os.close(fd)
    if uid >= 0:
        os.chown(path, uid, uid)
    return path


def dead_pid() -> tuple[int, int]:
    """(pid, start ticks) of a process of ours that has exited."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    start = segment._proc_stat(p.pid)[1]
    p.kill()
    p.wait()
    return p.pid, start


def touch_all_p1():
    return os.getpid()


def uses_two_processes():
    """main of a run that needs a worker: proves pg.run started fully."""
    from helpers import start_peer
    pid = start_peer("xproc", touch_all_p1)
    assert pid != os.getpid()
    return "ok"


# ---- what the sweep leaves and what it removes ---------------------------------------------

@private_shm()
def test_sweep_removes_only_provably_dead_segments_of_this_user():
    pid, start = dead_pid()
    me = segment.Identity.of_this_process()
    keep = {
        # not parago segments at all, whatever their names
        "parago_cache": b"some program's cache",
        "parago_user_notes": b"notes\n",
        "parago_123_456_abc": b"",                 # parago-like name, no header
    }
    for name, data in keep.items():
        with open(os.path.join(SHM, name), "wb") as f:
            f.write(data)
    os.mkdir(os.path.join(SHM, "parago_x"))
    os.mkdir(os.path.join(SHM, f"parago_{pid}_{start}_dead"))
    os.mkfifo(os.path.join(SHM, "parago_fifo"))
    outside = "/tmp/parago-sweep-target-" + secrets.token_hex(4)
    with open(outside, "wb") as f:
        f.write(b"not in /dev/shm")
    os.symlink(outside, os.path.join(SHM, "parago_link"))
    os.symlink("/etc/passwd", os.path.join(SHM, "parago_passwd"))
    with open(os.path.join(SHM, "parago_short"), "wb") as f:
        f.write(me.to_bytes()[:20])                # a parago magic, cut short
    with open(os.path.join(SHM, "parago_huge"), "wb") as f:
        f.truncate(1 << 40)                        # sparse, no header
    # parago segments it cannot prove dead, or that are not this user's
    forge("parago_other_user", uid=OTHER_UID, pid=pid, start=start)
    forge("parago_other_pidns", pid=pid, start=start, pidns=me.pidns + 1)
    forge("parago_old_format", pid=pid, start=start, version=1)
    forge("parago_alive", pid=os.getpid(), start=me.start)
    live = Arena.create(16 << 20)                  # a live runtime's, made the real way
    # provably dead segments of this user
    dead = {forge("parago_dead_owner", pid=pid, start=start),
            forge("parago_pid_reused", pid=os.getpid(), start=me.start + 1),
            forge("parago_other_boot", pid=os.getpid(), boot=(me.boot[0] ^ 1, me.boot[1]))}
    try:
        before = shm_names()
        removed = segment.sweep()
        assert sorted(removed) == sorted(os.path.basename(p) for p in dead)
        assert shm_names() == before - set(removed)
        assert os.path.exists(outside) and os.path.exists("/etc/passwd")
        # ... and pg.run starts fully (a worker joins) with all of it around
        assert pg.run(uses_two_processes, procs=2) == "ok"
        assert shm_names() == before - set(removed)
    finally:
        live.close()
        live.unlink()
        os.unlink(outside)


@private_shm()
def test_new_segment_names_never_collide():
    """Names already taken, by anything, are skipped (O_EXCL, retried)."""
    taken = ["bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"]
    nonces = iter(taken + ["eeeeeeeeeeee"])
    secrets.token_hex = lambda n: next(nonces)      # this sandboxed process only
    prefix = f"parago_{os.getpid()}_{int(__import__('psutil').Process().create_time() * 100)}"
    os.mkdir(f"{SHM}/{prefix}_{taken[0]}")
    os.mkfifo(f"{SHM}/{prefix}_{taken[1]}")
    os.symlink("/etc/passwd", f"{SHM}/{prefix}_{taken[2]}")
    a = Arena.create(16 << 20)
    try:
        assert a.seg.name == f"{prefix}_eeeeeeeeeeee"
    finally:
        a.close()
        a.unlink()


# ---- liveness: what counts as alive ---------------------------------------------------------

def test_proc_refusing_to_answer_means_alive(monkeypatch):
    """hidepid or any other refusal is not proof of death (no /dev/shm here)."""
    me = segment.Identity.of_this_process()

    def refuse(pid):
        raise PermissionError(13, "hidden")
    monkeypatch.setattr(segment, "_proc_stat", refuse)
    assert segment.owner_state(me) == segment.UNKNOWN


def test_a_hidden_process_is_not_a_dead_one(monkeypatch):
    """hidepid=2 makes another user's /proc/<pid> look absent: only the
    kernel saying "no such process" proves death."""
    me = segment.Identity.of_this_process()
    pid, start = dead_pid()
    gone = segment.Identity(me.uid, pid, start, me.pidns, me.boot)

    def hidden(pid):
        raise FileNotFoundError(2, "hidden")
    monkeypatch.setattr(segment, "_proc_stat", hidden)
    assert segment.owner_state(me) == segment.UNKNOWN      # we do exist
    assert segment.owner_state(gone) == segment.DEAD


def test_a_proc_of_another_namespace_decides_nothing(monkeypatch):
    """After unshare -p without a new /proc, /proc/<pid> names other processes."""
    me = segment.Identity.of_this_process()
    monkeypatch.setattr(segment, "_proc_is_ours", lambda: False)
    assert segment.owner_state(me) == segment.UNKNOWN


def test_liveness_from_proc():
    me = segment.Identity.of_this_process()
    assert segment.owner_state(me) == segment.ALIVE
    pid, start = dead_pid()
    gone = segment.Identity(me.uid, pid, start, me.pidns, me.boot)
    assert segment.owner_state(gone) == segment.DEAD
    reused = segment.Identity(me.uid, me.pid, me.start - 1, me.pidns, me.boot)
    assert segment.owner_state(reused) == segment.DEAD


# ---- other users ------------------------------------------------------------------------------

CRASH_RUN = """
import os, signal, parago as pg
def main():
    print(pg._runtime.runtime.current().arena.seg.name, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)     # P0 dies: its segment stays behind
pg.run(main, procs=1)
"""

CLEAN_RUN = """
import os, parago as pg
from parago._shm import segment
def work():
    return os.getpid()
def main():
    ch = pg.chan()
    pg.go(lambda: ch.send(work()))
    return ch.recv()
pg.run(main, procs=2)
print(sorted(segment.list_segments()))
"""


def crash_as(uid: int | None) -> str:
    """Leave a crashed runtime's segment of ``uid`` (None: us, root)."""
    if uid is None:
        p = subprocess.run([sys.executable, "-c", CRASH_RUN], capture_output=True, text=True)
    else:
        p = as_user(uid, CRASH_RUN, check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr
    name = p.stdout.split()[0]
    assert os.path.exists(f"{SHM}/{name}")
    return name


@private_shm()
def test_one_users_crash_never_breaks_another_users_run():
    theirs = crash_as(OTHER_UID)
    assert os.stat(f"{SHM}/{theirs}").st_uid == OTHER_UID
    mine = crash_as(None)
    # Root's run works and leaves the other user's segment alone (it removes
    # its own dead one).
    assert pg.run(uses_two_processes, procs=2) == "ok"
    assert shm_names() == {theirs}
    mine = crash_as(None)
    # The other user's run works beside root's dead segment, which it may not
    # remove, and removes its own.
    out = as_user(OTHER_UID, CLEAN_RUN).stdout
    assert out.strip() == repr([mine])
    assert shm_names() == {mine}
    assert segment.sweep() == [mine]


@private_shm()
def test_hidepid_hides_nothing_the_sweep_needs():
    """With /proc mounted hidepid=2, another user cannot see root's live P0:
    its sweep must keep root's live segment and its run must still work."""
    subprocess.run(["mount", "-t", "proc", "-o", "hidepid=2", "proc", "/proc"], check=True)
    live = Arena.create(16 << 20)
    try:
        out = as_user(OTHER_UID, CLEAN_RUN).stdout
        assert out.strip() == repr([live.seg.name])
        assert os.path.exists(live.seg.path)
    finally:
        live.close()
        live.unlink()


# ---- another PID namespace ---------------------------------------------------------------------

CONTAINED = """
import os, sys, time
import parago as pg
from parago._core import sched
go_file = sys.argv[1]
def worker_pid():
    return os.getpid()
def main():
    print(sched.tls.proc.arena.seg.name, os.getpid(), flush=True)
    while not os.path.exists(go_file):          # the other namespace's runs happen now
        pg.sleep(0.01)
    pg.gomaxprocs(3)                            # start workers: they attach to the segment
    ch = pg.chan(8)
    for _ in range(8):
        pg.go(lambda: ch.send(worker_pid()))
    pids = {ch.recv() for _ in range(8)}
    return pids
print("done", pg.run(main, procs=1), flush=True)
"""


@private_shm()
def test_a_runtime_in_another_pid_namespace_keeps_its_segment():
    go_file = f"/tmp/parago-pidns-go-{secrets.token_hex(4)}"
    p = subprocess.Popen(["unshare", "-p", "-f", "--mount-proc", sys.executable, "-c", CONTAINED,
                          go_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        name, inner_pid = p.stdout.readline().split()
        assert int(inner_pid) < 10                 # P0 really is in a new PID namespace
        assert segment.owner_state(segment.identity_of(f"{SHM}/{name}")[0]) == segment.UNKNOWN
        # Our runs sweep: the contained runtime's live segment stays ...
        assert pg.run(uses_two_processes, procs=2) == "ok"
        assert segment.sweep() == []
        assert os.path.exists(f"{SHM}/{name}")
        with open(go_file, "w"):
            pass
        out, err = p.communicate(timeout=60)
        # ... and it goes on working, starting workers on that segment.
        assert p.returncode == 0, err
        assert out.startswith("done {"), out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if os.path.exists(go_file):
            os.unlink(go_file)
    assert shm_names() == set()
