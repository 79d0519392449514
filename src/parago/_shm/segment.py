"""Named shared-memory segments: creation, attachment, removal and the sweep.

Owns: the files under /dev/shm whose names start with ``parago_``.

Invariants:
  - A segment's name carries the id of the runtime that created it:
    ``parago_<pid>_<start>_<nonce>`` where ``pid`` and ``start`` (the process
    start time in centiseconds) identify the creating process, P0. A segment
    whose creator is no longer alive is stale; :func:`sweep` removes it.
  - Segments are opened with ``os.open`` on /dev/shm directly, so no
    multiprocessing resource tracker ever sees (or warns about) them.
  - The creator unlinks its segment on every exit path it controls (normal
    return, exception, Ctrl-C: see _runtime.runtime). A crash of P0 is
    covered twice: its workers unlink the segment when they notice P0 died,
    and the next runtime's start-up sweep removes anything left.
"""

from __future__ import annotations

import errno
import mmap
import os
import secrets

import psutil

SHM_DIR = "/dev/shm"
PREFIX = "parago_"


def _start_ticks(pid: int) -> int | None:
    try:
        return int(psutil.Process(pid).create_time() * 100)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def new_runtime_id() -> str:
    """An id unique to this runtime that also says who owns it."""
    pid = os.getpid()
    return f"{pid}_{_start_ticks(pid)}_{secrets.token_hex(4)}"


def owner_alive(runtime_id: str) -> bool:
    """True while the process that created ``runtime_id`` still runs."""
    try:
        pid_s, start_s, _ = runtime_id.split("_", 2)
        pid, start = int(pid_s), int(start_s)
    except ValueError:
        return False
    ticks = _start_ticks(pid)
    # A reused pid has a different start time; allow a tick of rounding.
    return ticks is not None and abs(ticks - start) <= 1


class Segment:
    """One mapped segment. ``size`` is virtual: tmpfs allocates pages only
    when they are reserved (:meth:`reserve`) or touched."""

    __slots__ = ("created", "fd", "mm", "name", "path", "size")

    def __init__(self, name: str, size: int, create: bool):
        self.name = name
        self.path = os.path.join(SHM_DIR, name)
        self.created = create
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        self.fd = os.open(self.path, flags, 0o600)
        try:
            if create:
                os.ftruncate(self.fd, size)
            else:
                size = os.fstat(self.fd).st_size
            self.size = size
            self.mm = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(self.fd)
            if create:
                _unlink_quietly(self.path)
            raise

    def reserve(self, offset: int, length: int) -> None:
        """Back [offset, offset+length) with real pages now, so running out of
        /dev/shm is a MemoryError here rather than a SIGBUS on first touch."""
        try:
            os.posix_fallocate(self.fd, offset, length)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.ENOMEM, errno.EFBIG):
                raise MemoryError(
                    f"shared memory exhausted: cannot reserve {length} bytes in {self.path} "
                    f"({os.strerror(e.errno)}); /dev/shm is full or too small"
                ) from None
            raise

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


def segment_name(runtime_id: str) -> str:
    return f"{PREFIX}{runtime_id}"


def runtime_id_of(name: str) -> str | None:
    return name[len(PREFIX):] if name.startswith(PREFIX) else None


def list_segments() -> list[str]:
    try:
        return sorted(n for n in os.listdir(SHM_DIR) if n.startswith(PREFIX))
    except FileNotFoundError:
        return []


def sweep() -> list[str]:
    """Remove the segments of runtimes whose creating process is dead.
    Returns the names removed."""
    removed = []
    for name in list_segments():
        rid = runtime_id_of(name)
        if rid is not None and not owner_alive(rid):
            _unlink_quietly(os.path.join(SHM_DIR, name))
            removed.append(name)
    return removed
