"""``kiosk check``'s checks of the till itself: settings, API key file, journal, metrics file.

Nothing here writes to the journal or reads a member's row: the journal is opened read-only
and only counted; a directory's writability is tried with a temporary file, removed at once.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.commands.check import FAIL, OK, SKIP, WARN, Result
from kiosk.config import config_location, env_name
from kiosk.errors import ConfigError

if TYPE_CHECKING:
    from kiosk.config import Settings

#: Seconds the read-only journal connection waits for a writer's lock.
JOURNAL_BUSY_TIMEOUT = 1.0


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def settings_result(settings: Settings, config: Path | None = None) -> Result:
    """Where the (valid) settings came from, and their warnings (a warn line)."""
    path, _explicit = config_location(config)
    source = f"{path} and " if path.is_file() else "no config file; "
    count = sum(1 for name in os.environ if name.upper().startswith("KIOSK_"))
    detail = (f"valid ({source}{_plural(count, 'KIOSK_* variable')}); store "
              f"{settings.store_name!r}, till {settings.terminal_name!r}")
    warnings = settings.warnings()
    if warnings:
        return Result("settings", WARN, f"{detail}; " + "; ".join(warnings))
    return Result("settings", OK, detail)


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def key_file(settings: Settings) -> Result:
    """The API key file: there, readable, a key in it, not readable by group or others.

    Never says anything of the key itself."""
    name = "api-key-file"
    path = settings.engage_api_key_file
    if path is None:
        return Result(name, SKIP, f"the key is set in {env_name('engage_api_key')} itself, not "
                                  f"in a file (a file, mode 0600, is safer: "
                                  f"{env_name('engage_api_key_file')})")
    try:
        info = os.stat(path)
    except OSError as exc:
        return Result(name, FAIL, f"{path}: {exc.strerror or type(exc).__name__}: create it "
                                  "with the tenant's API key, mode 0600, owned by the kiosk "
                                  "user")
    try:
        settings.api_key()  # reads and checks it; its messages never quote the key
    except ConfigError as exc:
        return Result(name, FAIL, f"{exc}: the kiosk won't start with it")
    mode = stat.S_IMODE(info.st_mode)
    shown = f"{path}: mode {mode:04o}, owner {_owner(info.st_uid)}"
    if mode & 0o077:
        return Result(name, WARN, f"{shown}: group or others can read it: chmod 600 {path}")
    return Result(name, OK, f"{shown}, a key in it")


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _dir_problem(folder: Path) -> str | None:
    """Why files can't be made in ``folder`` (or the folder made), or None if they can."""
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if existing != folder:  # made at the kiosk's start: can its nearest parent take it?
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"{folder} doesn't exist and {existing} is not writable"
        return None
    try:  # a real file: os.access says yes to root, or on a read-only file system
        fd, tmp = tempfile.mkstemp(prefix=".kiosk-check-", dir=folder)
    except OSError as exc:
        return f"{folder} is not writable ({exc.strerror or type(exc).__name__})"
    os.close(fd)
    os.unlink(tmp)
    return None


def _journal_facts(path: Path) -> tuple[int, str, int]:
    """(schema version, quick_check's first line, open attempts) of a journal, read-only.

    SQLite may make the -wal/-shm files beside it; run as root, it gives them to the journal's
    owner (``robustFchown``), so the kiosk can still open its own journal afterwards."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                         timeout=JOURNAL_BUSY_TIMEOUT)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        health = str(db.execute("PRAGMA quick_check").fetchone()[0])
        open_rows = 0
        for sql in ("SELECT COUNT(*) FROM redemptions WHERE state IN ('pending', 'unknown')",
                    "SELECT COUNT(*) FROM reactivations WHERE state IN ('pending', 'unknown')"):
            with contextlib.suppress(sqlite3.OperationalError):  # an old schema lacks it
                open_rows += int(db.execute(sql).fetchone()[0])
    finally:
        db.close()
    return version, health, open_rows


def journal(settings: Settings) -> Result:
    """The journal: its folder writable, the file opens, its schema, open attempts for IT."""
    from kiosk.journal import SCHEMA_VERSION

    name = "journal"
    path = Path(settings.journal_path)
    problem = _dir_problem(path.parent)
    if problem is not None:
        return Result(name, FAIL, f"{problem}: the kiosk can't keep its journal there (check "
                                  f"{env_name('journal_path')} and the folder's owner)")
    if not path.exists():
        return Result(name, OK, f"{path}: none yet; kiosk run creates it (the folder is "
                                "writable)")
    if not path.is_file():
        return Result(name, FAIL, f"{path} is not a regular file")
    if not os.access(path, os.R_OK | os.W_OK):
        return Result(name, FAIL, f"{path}: not readable and writable by this user: give it "
                                  "to the kiosk user (mode 0600)")
    try:
        version, health, open_rows = _journal_facts(path)
    except sqlite3.Error as exc:
        return Result(name, FAIL, f"{path} can't be read ({exc}): the kiosk won't start with "
                                  "it; move it aside and tell IT")
    if health != "ok":
        return Result(name, FAIL, f"{path} is damaged ({health[:100]}): the kiosk won't start "
                                  "with it; move it aside and tell IT")
    if version > SCHEMA_VERSION:
        return Result(name, FAIL, f"{path} has schema {version}, this kiosk knows up to "
                                  f"{SCHEMA_VERSION}: install the newer kiosk that wrote it")
    schema = (f"schema {version} (current)" if version == SCHEMA_VERSION else
              f"schema {version}: kiosk run upgrades it to {SCHEMA_VERSION} at start, keeping "
              "every row")
    from kiosk import journal_lock

    if journal_lock.held(path):
        schema += ", a kiosk is running on it"
    if open_rows:
        return Result(name, WARN, f"{path}: {schema}; {_plural(open_rows, 'attempt')} not "
                                  "verified yet: `kiosk journal resolve` lists them")
    return Result(name, OK, f"{path}: {schema}; nothing open")


def metrics(settings: Settings) -> Result:
    """The metrics file's folder is writable (the kiosk writes a temporary file, renames it)."""
    path = settings.metrics_file
    if path is None:
        return Result("metrics", SKIP, f"{env_name('metrics_file')} not set: no metrics file")
    problem = _dir_problem(path.parent)
    if problem is None and not path.parent.exists():
        problem = f"{path.parent} doesn't exist (the kiosk doesn't create it)"
    if problem is not None:
        return Result("metrics", FAIL, f"{problem}: create the textfile collector's folder "
                                       "and let the kiosk user write in it")
    return Result("metrics", OK, f"{path.parent} is writable")
