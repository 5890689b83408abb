"""One owner per journal file: the running kiosk holds an exclusive lock beside it.

``kiosk journal resolve`` settles an attempt by hand. A running kiosk may be settling the same
attempt at that moment (a background check's re-read, a staff retry's POST): its own answer
would then contradict the journal (an "apply" on screen for a row IT marked not applied). So the
kiosk holds ``<journal>-lock`` (``flock``, exclusive) while it runs, and resolve takes the same
lock without waiting: held elsewhere, it is refused. A ``flock`` goes with its process, so a
crash or ``kill -9`` leaves nothing stale, and it is independent of SQLite's own (``fcntl``)
locks on the database file, which readers such as ``kiosk journal`` and the fleet push share
with the kiosk as before (they don't take this lock).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from kiosk.journal import JournalInUse

#: Pause (s) between tries while waiting for the lock.
_POLL = 0.05


def lock_path(journal: Path) -> Path:
    """The lock file beside ``journal`` (``journal.sqlite3-lock``, as SQLite names its own)."""
    return journal.with_name(journal.name + "-lock")


class OwnerLock:
    """The journal's owner lock, held until :meth:`release` (or the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up (closing the file releases it); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def take(journal: Path, *, wait: float = 0.0) -> OwnerLock:
    """The owner lock of the journal file ``journal``, waiting up to ``wait`` seconds.

    Raises :class:`~kiosk.journal.JournalInUse` when another process (or another
    :class:`OwnerLock` in this one) holds it for longer, ``OSError`` when the lock file can't
    be made (its folder is the journal's: missing or not writable).
    """
    path = lock_path(journal)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + wait
    try:
        if os.geteuid() == 0:  # IT as root: the lock file stays the kiosk's, as the journal is
            owner = os.stat(journal)
            os.fchown(fd, owner.st_uid, owner.st_gid)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return OwnerLock(path, fd)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise JournalInUse(f"journal {journal.name}: in use by a running kiosk "
                                       "(or another `kiosk journal resolve`)") from None
                time.sleep(_POLL)
    except BaseException:
        os.close(fd)
        raise


def held(journal: Path) -> bool:
    """Whether a running kiosk (or a ``kiosk journal resolve``) holds ``journal``'s owner lock.

    A probe that creates nothing: no lock file means nobody holds it. It takes the lock for an
    instant when it is free, which a kiosk starting at that moment waits out (``take(wait=)``).
    """
    try:
        fd = os.open(lock_path(journal), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the lock if the probe took it
    return False
