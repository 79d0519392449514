"""Named shared-memory segments: creation, attachment, removal and the sweep.

Owns: the files under /dev/shm that this user's runtimes create, and the rule
by which a runtime starting up removes those a crash left behind.

/dev/shm is shared with other users, other containers and other programs, so
a name proves nothing: anyone may create ``/dev/shm/parago_x``, as a file, a
directory, a FIFO or a symlink. What identifies a parago segment is its
*identity record*, the first IDENT_WORDS words of the segment (layout.H_MAGIC
.. H_BOOT_ID): magic, format version, the creator's uid, P0's pid and start
time, P0's PID namespace and the kernel's boot id.

Invariants:
  - A new segment is ``parago_<pid>_<start>_<nonce>``, created with
    O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; a name already taken, by anything,
    is skipped and another nonce tried. Nothing here trusts the name: the pid
    is for people reading ``ls /dev/shm``, and the whole form (``start`` is
    P0's start time in centiseconds) is the one older parago versions parse
    in their sweeps, which delete any name they cannot parse as a live
    process's.
  - The identity record is written with pwrite before the segment is mapped,
    its magic word last: a reader sees no magic or the whole record.
  - The sweep removes a file only when every one of these holds: ``lstat``
    says a regular file owned by our effective uid and at least a header
    long; opened with O_NOFOLLOW|O_NONBLOCK it is the same file; its identity
    record has our magic, our format version and our uid; and its P0 is
    provably dead (:func:`owner_state`). Anything it cannot decide — another
    PID namespace, a /proc that is not ours, /proc refusing to answer
    (hidepid), an unknown format — counts as alive and stays.
  - The sweep never raises for what it finds: an odd file is left alone.
  - The creator unlinks its segment on every exit path it controls (normal
    return, exception, Ctrl-C: see _runtime.runtime). A crash of P0 is
    covered twice: its workers unlink the segment when they notice P0 died,
    and a later runtime's start-up sweep removes anything left.
  - Segments are opened with ``os.open`` on /dev/shm directly, so no
    multiprocessing resource tracker ever sees (or warns about) them.
"""

from __future__ import annotations

import errno
import mmap
import os
import secrets
import stat

import psutil

from . import layout as L

SHM_DIR = "/dev/shm"
PREFIX = "parago_"
PROC = "/proc"
IDENT_BYTES = L.IDENT_WORDS * 8
HEADER_BYTES = L.H_WORDS * 8
_CREATE_TRIES = 64

# What owner_state decides.
ALIVE = "alive"
DEAD = "dead"
UNKNOWN = "unknown"

_OPEN_TO_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


# ---- who we are ----------------------------------------------------------------

def _proc_stat(pid: int) -> tuple[str, int]:
    """(state letter, start time in clock ticks after boot) of ``pid`` from
    our /proc. Raises FileNotFoundError/ProcessLookupError when there is no
    such process, another OSError when /proc will not say."""
    with open(f"{PROC}/{pid}/stat", "rb") as f:
        data = f.read()
    # The command name (field 2) may hold spaces and parentheses: split after
    # its last ')'. Field 3 is the state, field 22 the start time.
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[19])


def _pid_exists(pid: int) -> bool:
    """False only if no process of our PID namespace has ``pid``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass                        # EPERM: it exists, it is someone else's
    return True


def _pidns() -> int:
    try:
        return os.stat(f"{PROC}/self/ns/pid").st_ino
    except OSError:
        return 0


def _proc_is_ours() -> bool:
    """True if /proc shows our PID namespace: after ``unshare -p`` without
    remounting /proc, /proc/<pid> names processes of another namespace."""
    try:
        return os.readlink(f"{PROC}/self") == str(os.getpid())
    except OSError:
        return False


def _boot_id() -> tuple[int, int]:
    try:
        with open(f"{PROC}/sys/kernel/random/boot_id") as f:
            raw = bytes.fromhex(f.read().strip().replace("-", ""))
    except (OSError, ValueError):
        return 0, 0
    if len(raw) != 16:
        return 0, 0
    return (int.from_bytes(raw[:8], "little", signed=True),
            int.from_bytes(raw[8:], "little", signed=True))


class Identity:
    """The identity record of a segment (see the module docstring)."""

    __slots__ = ("boot", "pid", "pidns", "start", "uid")

    def __init__(self, uid: int, pid: int, start: int, pidns: int, boot: tuple[int, int]) -> None:
        self.uid = uid
        self.pid = pid
        self.start = start
        self.pidns = pidns
        self.boot = boot

    @classmethod
    def of_this_process(cls) -> Identity:
        pid = os.getpid()
        try:
            start = _proc_stat(pid)[1]
        except (OSError, ValueError, IndexError):
            start = 0
        return cls(os.geteuid(), pid, start, _pidns(), _boot_id())

    def to_bytes(self) -> bytes:
        words = (L.MAGIC, L.VERSION, self.uid, self.pid, self.start, self.pidns, *self.boot)
        return b"".join(w.to_bytes(8, "little", signed=True) for w in words)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Identity | None:
        """The record in ``raw``, or None if it is not a complete record of
        this format."""
        if len(raw) < IDENT_BYTES:
            return None
        w = [int.from_bytes(raw[i:i + 8], "little", signed=True) for i in range(0, IDENT_BYTES, 8)]
        if w[L.H_MAGIC] != L.MAGIC or w[L.H_VERSION] != L.VERSION or w[L.H_P0_PID] <= 0:
            return None
        return cls(w[L.H_OWNER_UID], w[L.H_P0_PID], w[L.H_P0_START], w[L.H_PIDNS],
                   (w[L.H_BOOT_ID], w[L.H_BOOT_ID + 1]))


def owner_state(ident: Identity) -> str:
    """ALIVE, DEAD or UNKNOWN: can the P0 that made a segment still be running?
    DEAD only on proof: it ran in an earlier boot, or it ran in our PID
    namespace (which our /proc shows) and its pid is gone, a zombie, or now
    a different process (another start time)."""
    boot = _boot_id()
    if ident.boot != (0, 0) and boot != (0, 0) and ident.boot != boot:
        return DEAD
    ns = _pidns()
    if not ns or ident.pidns != ns or not ident.start or not _proc_is_ours():
        return UNKNOWN
    try:
        state, start = _proc_stat(ident.pid)
    except (FileNotFoundError, ProcessLookupError):
        # hidepid hides other users' processes as if they were gone: only
        # the kernel's "no such process" is proof.
        return DEAD if not _pid_exists(ident.pid) else UNKNOWN
    except (OSError, ValueError, IndexError):
        return UNKNOWN              # not allowed to look is not "dead"
    if start != ident.start or state in ("Z", "X", "x"):
        return DEAD
    return ALIVE


# ---- segments --------------------------------------------------------------------

class Segment:
    """One mapped segment. ``size`` is virtual: tmpfs allocates pages only
    when they are reserved (:meth:`reserve`) or touched."""

    __slots__ = ("created", "fd", "mm", "name", "path", "size")

    def __init__(self, name: str, fd: int, size: int, created: bool) -> None:
        self.name = name
        self.path = os.path.join(SHM_DIR, name)
        self.fd = fd
        self.created = created
        self.size = size
        self.mm = None
        try:
            self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            self.close()
            if created:
                self.unlink()
            raise

    @classmethod
    def create(cls, size: int) -> Segment:
        """A new segment of ``size`` bytes whose identity record says it is
        this process's. Its name is one nobody else holds."""
        ident = Identity.of_this_process().to_bytes()
        pid = os.getpid()
        try:
            start = int(psutil.Process(pid).create_time() * 100)
        except psutil.Error:
            start = 0
        for _ in range(_CREATE_TRIES):
            name = f"{PREFIX}{pid}_{start}_{secrets.token_hex(6)}"
            path = os.path.join(SHM_DIR, name)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                             | os.O_CLOEXEC, 0o600)
            except FileExistsError:
                continue                # anything at all holds that name: take another
            try:
                os.ftruncate(fd, size)
                os.pwrite(fd, ident[16:], 16)
                os.pwrite(fd, ident[:16], 0)          # magic last
            except BaseException:
                os.close(fd)
                _unlink_quietly(path)
                raise
            return cls(name, fd, size, True)
        raise FileExistsError(errno.EEXIST, f"no free segment name in {SHM_DIR} after "
                              f"{_CREATE_TRIES} tries")

    @classmethod
    def attach(cls, name: str) -> Segment:
        """Map the existing segment ``name`` (a worker joining its runtime)."""
        path = os.path.join(SHM_DIR, name)
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            ident = Identity.from_bytes(os.pread(fd, IDENT_BYTES, 0))
            if not stat.S_ISREG(st.st_mode) or ident is None or ident.uid != os.geteuid():
                raise RuntimeError(f"{path} is not a parago segment of this version and user")
        except BaseException:
            os.close(fd)
            raise
        return cls(name, fd, st.st_size, False)

    def reserve(self, offset: int, length: int) -> None:
        """Back [offset, offset+length) with real pages now, so running out of
        /dev/shm is a MemoryError here rather than a SIGBUS on first touch.
        A failed reservation allocates nothing (tmpfs undoes it)."""
        try:
            os.posix_fallocate(self.fd, offset, length)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.ENOMEM, errno.EFBIG):
                raise MemoryError(f"{SHM_DIR} has only {fmt_bytes(shm_free())} free") from None
            raise

    def release(self, offset: int, length: int) -> None:
        """Give the pages inside [offset, offset+length) back to tmpfs (their
        contents become zeros). Only whole OS pages are released."""
        lo = -(-offset // mmap.PAGESIZE) * mmap.PAGESIZE
        hi = (offset + length) // mmap.PAGESIZE * mmap.PAGESIZE
        if hi > lo:
            self.mm.madvise(mmap.MADV_REMOVE, lo, hi - lo)  # type: ignore[union-attr]  # open

    def resident(self) -> int:
        """Bytes of /dev/shm this segment holds now."""
        return os.fstat(self.fd).st_blocks * 512

    def close(self) -> None:
        """Unmap and close; the name stays until :meth:`unlink`."""
        if self.mm is not None:
            try:
                self.mm.close()
            except BufferError:
                # Someone still holds a view; the mapping goes with the process.
                pass
            self.mm = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def unlink(self) -> None:
        _unlink_quietly(self.path)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def shm_free() -> int:
    """Bytes free in /dev/shm (0 if it cannot be asked)."""
    try:
        st = os.statvfs(SHM_DIR)
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize


def fmt_bytes(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} B"


def segment_name(runtime_id: str) -> str:
    return f"{PREFIX}{runtime_id}"


def runtime_id_of(name: str) -> str:
    return name[len(PREFIX):]


def list_segments() -> list[str]:
    """Names under /dev/shm that look like parago's (whatever they are)."""
    try:
        return sorted(n for n in os.listdir(SHM_DIR) if n.startswith(PREFIX))
    except OSError:
        return []


def identity_of(path: str) -> tuple[Identity | None, int]:
    """(identity record, inode) of the file at ``path``; the record is None
    unless it is a regular file of our uid holding one. Never follows a
    symlink, never blocks on a FIFO, never reads more than the record."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_size < HEADER_BYTES:
        return None, st.st_ino
    fd = os.open(path, _OPEN_TO_READ)
    try:
        st2 = os.fstat(fd)
        if (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino):
            return None, st.st_ino      # swapped between lstat and open
        ident = Identity.from_bytes(os.pread(fd, IDENT_BYTES, 0))
    finally:
        os.close(fd)
    if ident is None or ident.uid != st.st_uid:
        return None, st.st_ino
    return ident, st.st_ino


def sweep() -> list[str]:
    """Remove the segments of this user's runtimes whose P0 is provably dead
    (see the module docstring). Returns the names removed."""
    removed = []
    for name in list_segments():
        path = os.path.join(SHM_DIR, name)
        try:
            ident, ino = identity_of(path)
            if ident is None or owner_state(ident) != DEAD:
                continue
            if os.lstat(path).st_ino != ino:
                continue                # replaced meanwhile: judge it next time
            os.unlink(path)
        except OSError:
            continue                    # vanished, or not ours to judge: leave it
        removed.append(name)
    return removed
