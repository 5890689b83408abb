"""The redemption journal: one SQLite row per redemption attempt, written before the POST.

A redemption is money and Engage's redeem has no idempotency key, so every attempt is committed
to disk as ``pending`` *before* the request leaves, then moved to its outcome. After a crash or
power cut the ``pending``/``unknown`` rows are what start-up reconciliation verifies.

Durability: WAL with ``synchronous=FULL`` (each commit is fsynced). Privacy: the journal holds
the masked card only (a full number passed by mistake is masked here), never the API key or an
e-mail address. Schema changes go through ``_MIGRATIONS`` keyed by ``PRAGMA user_version``.
``kiosk journal`` (the journal as a table, CSV or JSON) is ``kiosk.commands.journal``; IT
settles an attempt nobody could verify with ``kiosk journal resolve`` (:meth:`Journal.resolve`,
``kiosk.commands.resolve``), recorded in ``resolutions`` beside what the row said before (a
voucher give-back: :meth:`Journal.resolve_undo`, ``undo_resolutions``), while the kiosk runs:
every write checks inside its transaction that the row is still open (:class:`SettledMeanwhile`).
"""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar

from kiosk.text import one_line

if TYPE_CHECKING:
    from kiosk.journal_lock import OwnerLock

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7  # 2 has no entry (reserved by another change): the loop skips it
_MAX_TEXT = 200
_MASK = "\u2022\u2022\u2022\u2022"  # "••••", as the scanner's mask_card writes it


class JournalState(StrEnum):
    """Where a redemption attempt stands."""

    PENDING = "pending"  # committed before the POST; no answer recorded yet
    REDEEMED = "redeemed"  # Engage answered 200
    REJECTED = "rejected"  # Engage answered with a definite refusal (engage_code says which)
    UNKNOWN = "unknown"  # no trustworthy answer (timeout, 504, connection lost): verify
    VERIFIED_REDEEMED = "verified-redeemed"  # a re-read showed the offer used
    VERIFIED_NOT_REDEEMED = "verified-not-redeemed"  # a re-read showed the offer still active


class Kind(StrEnum):
    """What was redeemed: a promotion instance (an offer) or a reward voucher."""

    PROMOTION = "promotion"
    VOUCHER = "voucher"


class ReactivationState(StrEnum):
    """Where an undo (voucher reactivation, for a cancelled sale) stands."""

    PENDING = "pending"  # committed before the POST
    REACTIVATED = "reactivated"  # Engage answered 200
    REJECTED = "rejected"  # Engage refused (engage_code says why) or it was never sent
    UNKNOWN = "unknown"  # no trustworthy answer: verify by re-reading the vouchers
    VERIFIED_REACTIVATED = "verified-reactivated"  # a re-read showed it usable again
    VERIFIED_NOT_REACTIVATED = "verified-not-reactivated"  # a re-read showed it still used


_R = ReactivationState
_REACTIVATION_TRANSITIONS: dict[ReactivationState, frozenset[ReactivationState]] = {
    _R.PENDING: frozenset({_R.REACTIVATED, _R.REJECTED, _R.UNKNOWN, _R.VERIFIED_REACTIVATED,
                           _R.VERIFIED_NOT_REACTIVATED}),
    _R.UNKNOWN: frozenset({_R.UNKNOWN, _R.VERIFIED_REACTIVATED, _R.VERIFIED_NOT_REACTIVATED}),
}
#: After these an undo of the same redemption may be tried again (it did not happen).
_RETRYABLE_UNDO: frozenset[ReactivationState] = frozenset({_R.REJECTED,
                                                           _R.VERIFIED_NOT_REACTIVATED})
#: Undo attempts still to verify.
UNRESOLVED_REACTIVATIONS: frozenset[ReactivationState] = frozenset({_R.PENDING, _R.UNKNOWN})
#: Redemption states an undo may start from: the voucher is used, by this attempt.
UNDOABLE: frozenset[JournalState] = frozenset({JournalState.REDEEMED,
                                               JournalState.VERIFIED_REDEEMED})

#: States that still need verifying against Engage.
UNRESOLVED: frozenset[JournalState] = frozenset({JournalState.PENDING, JournalState.UNKNOWN})

_S = JournalState
#: Allowed moves; anything else is a bug in the caller and is refused.
_TRANSITIONS: dict[JournalState, frozenset[JournalState]] = {
    _S.PENDING: frozenset({_S.REDEEMED, _S.REJECTED, _S.UNKNOWN, _S.VERIFIED_REDEEMED,
                           _S.VERIFIED_NOT_REDEEMED}),
    _S.UNKNOWN: frozenset({_S.UNKNOWN, _S.VERIFIED_REDEEMED, _S.VERIFIED_NOT_REDEEMED}),
}


class JournalError(Exception):
    """The journal can't be used (disk/database error, newer schema, bad transition, no row)."""


class ResolveRefused(JournalError):
    """:meth:`Journal.resolve` refused: no such row, the row is settled already (perhaps just
    now, by another process), or another attempt at the same offer holds its redemption."""


class SettledMeanwhile(JournalError):
    """A write refused because the row is no longer open: settled by someone else meanwhile
    (IT with ``kiosk journal resolve`` while the kiosk runs). Nothing was changed; the other
    settlement stands (:meth:`Journal.set_state`, :meth:`Journal.set_reactivation_state`)."""

    def __init__(self, message: str, state: str) -> None:
        super().__init__(message)
        self.state = state  # the row's state now


class JournalInUse(JournalError):
    """Another process holds the journal's owner lock (a running kiosk): :meth:`Journal.claim`."""


F = TypeVar("F", bound=Callable[..., Any])


def _db_errors(method: F) -> F:
    """Database failures (disk full, closed, corrupt) surface as one JournalError type."""
    @functools.wraps(method)
    def wrapper(self: "Journal", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path.name}: {exc}") from exc
    return wrapper  # type: ignore[return-value]


class JournalRow(NamedTuple):
    """One redemption attempt as stored.

    The journal's rows are NamedTuples, not frozen dataclasses: as immutable and compared
    field by field, and ~10 M instructions cheaper to create when ``kiosk run`` opens the
    journal before its first frame (Python 3.11 compiles each method a dataclass makes)."""

    id: int
    created_at: str  # UTC, ISO 8601 with milliseconds
    updated_at: str
    store: str
    terminal: str
    masked_card: str
    contact_id: str
    offer_id: str  # the promotion *instance* id, the one redeemed
    promotion_id: str | None  # the template id
    offer_name: str
    value_applied: str  # the human text staff applied, e.g. "20 %"
    state: JournalState
    engage_code: str | None  # e.g. "PromotionAlreadyRedeemed", "GatewayTimeout"
    note: str | None
    kind: Kind = Kind.PROMOTION  # schema 3; rows written before it are promotions
    reactivation: str | None = None  # the latest undo's ReactivationState, if any (vouchers)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (state and kind as their string values)."""
        d = self._asdict()
        d["state"] = str(self.state)
        d["kind"] = str(self.kind)
        return d


class ReactivationRow(NamedTuple):
    """One undo of a voucher redemption (``redemption_id`` is the redemptions row)."""

    id: int
    created_at: str
    updated_at: str
    redemption_id: int
    voucher_id: str
    state: ReactivationState
    engage_code: str | None
    note: str | None


class OutboxEntry(NamedTuple):
    """One row of the fleet push's outbox (schema 4): its change number, the row as it is now,
    and what orders its undo's changes (the central database keeps only the latest)."""

    seq: int
    row: JournalRow
    reactivation_attempts: int  # undo attempts so far (0: never undone); each new one counts up
    reactivation_updated_at: str | None  # the latest undo's updated_at, if any


class Resolution(NamedTuple):
    """An attempt settled by hand (``kiosk journal resolve``, schema 6): who, when and why,
    and what the row said before (its state, Engage code and note are kept here)."""

    id: int
    created_at: str  # when it was resolved (UTC)
    redemption_id: int
    applied: bool  # True: this attempt redeemed the offer (verified-redeemed); else not
    resolved_by: str
    reason: str
    was_state: JournalState
    was_code: str | None
    was_note: str | None
    was_updated_at: str


class UndoResolution(NamedTuple):
    """A voucher give-back (undo) settled by hand (``kiosk journal resolve ID --given-back``,
    schema 7): who, when and why, and what the undo's row said before."""

    id: int
    created_at: str  # when it was resolved (UTC)
    reactivation_id: int
    redemption_id: int  # the voucher's attempt (the id IT names)
    given_back: bool  # True: the voucher is the member's again (verified-reactivated); else not
    resolved_by: str
    reason: str
    was_state: ReactivationState
    was_code: str | None
    was_note: str | None
    was_updated_at: str


COLUMNS: tuple[str, ...] = JournalRow._fields
_REACTIVATION_COLUMNS: tuple[str, ...] = ReactivationRow._fields
# ``reactivation`` is read from the reactivations table: the latest undo of the row.


def _select_list(table: str) -> str:
    """COLUMNS as a SELECT list over ``table`` (a name or alias of ``redemptions``)."""
    return ", ".join(
        f"(SELECT x.state FROM reactivations x WHERE x.redemption_id = {table}.id"
        " ORDER BY x.id DESC LIMIT 1) AS reactivation" if c == "reactivation"
        else f"{table}.{c}" for c in COLUMNS)


_SELECT = _select_list("redemptions")


def _has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)).fetchone() is not None


def _add_kind(db: sqlite3.Connection) -> None:
    """Schema 3: ``kind`` on every redemption (existing rows are promotions)."""
    if not _has_column(db, "redemptions", "kind"):
        db.execute("ALTER TABLE redemptions ADD COLUMN kind TEXT NOT NULL DEFAULT 'promotion'"
                   " CHECK (kind IN ('promotion', 'voucher'))")


#: A random (version 4) UUID made by SQLite itself, so the migration stays plain SQL.
_SQL_UUID4 = ("lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||"
              " substr(lower(hex(randomblob(2))), 2) || '-' ||"
              " substr('89ab', 1 + (abs(random()) % 4), 1) ||"
              " substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))")

#: One migration: SQL statements, or functions of the connection for steps that must look
#: first (``ALTER TABLE ... ADD COLUMN`` only when the column is missing). All idempotent.
Migration = Sequence[str | Callable[[sqlite3.Connection], None]]

#: Migrations safe to run again (idempotent, touching only their own columns and tables), for
#: a journal whose version passed them while they were missing from the build that wrote it
#: (e.g. 4 before 3 landed), each with the test that it is missing.
_REPAIRABLE: dict[int, Callable[[sqlite3.Connection], bool]] = {
    3: lambda db: not _has_column(db, "redemptions", "kind"),
    4: lambda db: not _has_table(db, "fleet_outbox"),
}

_MIGRATIONS: dict[int, Migration] = {
    1: (
        """CREATE TABLE redemptions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            store TEXT NOT NULL,
            terminal TEXT NOT NULL,
            masked_card TEXT NOT NULL,
            contact_id TEXT NOT NULL,
            offer_id TEXT NOT NULL,
            promotion_id TEXT,
            offer_name TEXT NOT NULL,
            value_applied TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'redeemed', 'rejected', 'unknown',
                'verified-redeemed', 'verified-not-redeemed')),
            engage_code TEXT,
            note TEXT
        )""",
        "CREATE INDEX redemptions_offer ON redemptions (offer_id)",
        "CREATE INDEX redemptions_state ON redemptions (state)",
        "CREATE INDEX redemptions_created ON redemptions (created_at)",
    ),
    # 2 belongs to issue 10 (the loop skips versions without an entry).
    3: (
        _add_kind,
        """CREATE TABLE IF NOT EXISTS reactivations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
            voucher_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'reactivated', 'rejected',
                'unknown', 'verified-reactivated', 'verified-not-reactivated')),
            engage_code TEXT,
            note TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS reactivations_redemption ON reactivations (redemption_id)",
        "CREATE INDEX IF NOT EXISTS reactivations_state ON reactivations (state)",
    ),
    # 4: the fleet push's outbox (kiosk.fleet.push). Every insert or change of a row gives it
    # the next change number (triggers, so every writer is covered); a push sends the rows
    # whose number is above the high-water mark the central database has confirmed. A later
    # migration that rebuilds `redemptions` (new table, copy, rename) must re-create the triggers.
    4: (
        """CREATE TABLE IF NOT EXISTS fleet_till (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            till_id TEXT NOT NULL,
            pushed_seq INTEGER NOT NULL DEFAULT 0,
            pushed_at TEXT
        )""",
        f"INSERT OR IGNORE INTO fleet_till (one, till_id) VALUES (1, {_SQL_UUID4})",
        """CREATE TABLE IF NOT EXISTS fleet_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            row_id INTEGER NOT NULL UNIQUE
        )""",
        """CREATE TRIGGER IF NOT EXISTS fleet_outbox_insert AFTER INSERT ON redemptions
           BEGIN INSERT OR REPLACE INTO fleet_outbox (row_id) VALUES (NEW.id); END""",
        """CREATE TRIGGER IF NOT EXISTS fleet_outbox_update AFTER UPDATE ON redemptions
           BEGIN INSERT OR REPLACE INTO fleet_outbox (row_id) VALUES (NEW.id); END""",
        """INSERT OR IGNORE INTO fleet_outbox (row_id)
           SELECT id FROM redemptions ORDER BY id""",
    ),
    # 5: a voucher's undo travels with its redemption (the fleet push sends the latest
    # reactivation's state as part of the row), so an insert or change of a reactivation gives
    # its redemption the next change number too. Vouchers already in the journal are queued
    # once more, so that their kind and undo reach a fleet database that got them from a build
    # which didn't send those; only while the triggers don't exist yet (running it again
    # queues nothing).
    5: (
        """INSERT OR REPLACE INTO fleet_outbox (row_id)
           SELECT id FROM redemptions
           WHERE (kind = 'voucher' OR id IN (SELECT redemption_id FROM reactivations))
             AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger'
                             AND name = 'fleet_outbox_reactivation_insert')
           ORDER BY id""",
        """CREATE TRIGGER IF NOT EXISTS fleet_outbox_reactivation_insert
           AFTER INSERT ON reactivations
           BEGIN INSERT OR REPLACE INTO fleet_outbox (row_id) VALUES (NEW.redemption_id); END""",
        """CREATE TRIGGER IF NOT EXISTS fleet_outbox_reactivation_update
           AFTER UPDATE ON reactivations
           BEGIN INSERT OR REPLACE INTO fleet_outbox (row_id) VALUES (NEW.redemption_id); END""",
    ),
    # 6: attempts settled by hand (``kiosk journal resolve``): one row per attempt, keeping
    # what the attempt's row said before. The attempt's own change reaches the fleet outbox
    # through 4's update trigger.
    6: (
        """CREATE TABLE IF NOT EXISTS resolutions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            redemption_id INTEGER NOT NULL UNIQUE REFERENCES redemptions (id),
            applied INTEGER NOT NULL CHECK (applied IN (0, 1)),
            resolved_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            was_state TEXT NOT NULL,
            was_code TEXT,
            was_note TEXT,
            was_updated_at TEXT NOT NULL
        )""",
    ),
    # 7: voucher give-backs (undos) settled by hand, as 6 for attempts. The undo's own change
    # reaches the fleet outbox through 5's reactivation trigger.
    7: (
        """CREATE TABLE IF NOT EXISTS undo_resolutions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            reactivation_id INTEGER NOT NULL UNIQUE REFERENCES reactivations (id),
            redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
            given_back INTEGER NOT NULL CHECK (given_back IN (0, 1)),
            resolved_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            was_state TEXT NOT NULL,
            was_code TEXT,
            was_note TEXT,
            was_updated_at TEXT NOT NULL
        )""",
    ),
}


def utc_now() -> datetime:
    """The current time in UTC (the journal's default clock)."""
    return datetime.now(UTC)


def local_midnight(now: datetime | None = None) -> datetime:
    """The start of the till's day (its local zone) that ``now`` (default: now) falls on.

    From the zone's rules for that midnight, not from ``now``'s offset: on the day summer time
    starts or ends the offset at midnight is not the offset later that day (Stockholm: 00:00 is
    +01:00 on the last Sunday of March, when the afternoon is +02:00, and the other way round on
    the last Sunday of October), so ``now.replace(hour=0, ...)`` is an hour off all that day.
    Where a zone skips midnight itself, the day starts when its clocks jump."""
    local = (now or datetime.now(UTC)).astimezone()
    start = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    aware = start.astimezone()  # a naive time is read by the local zone's rules
    if aware.date() != start.date():  # midnight skipped: fold=1 is the jump's instant
        aware = start.replace(fold=1).astimezone()
    return aware


def _stamp(when: datetime) -> str:
    # One fixed format so that text comparison orders rows by time.
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def _text(value: object, limit: int = _MAX_TEXT) -> str:
    """One line of safe text, cut at ``limit``: Engage strings are data, never trusted."""
    return one_line(value, limit)


def safe_masked_card(card: str) -> str:
    """The card as the journal may keep it: at most the last 4 characters visible.

    A value showing more than 4 letters/digits (a full card number or an e-mail passed by
    mistake) is masked to ``•••• 1234`` so it never reaches the disk.
    """
    visible = [ch for ch in card if ch.isalnum() and ch.isascii()]
    if len(visible) <= 4 and "@" not in card:
        return _text(card, 32)
    log.warning("journal: an unmasked card number was passed; storing the last 4 only")
    return f"{_MASK} {''.join(visible[-4:])}"


def _code(code: str | None) -> str | None:
    return _text(code, 64) or None if code else None


class Journal:
    """The SQLite journal of redemption attempts.

    Safe to call from the app's event loop (each write is one short fsynced transaction) and
    from worker threads (one connection behind a lock).
    """

    def __init__(self, path: Path, *, create: bool = True,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._owner: OwnerLock | None = None
        if not self.path.exists():
            if not create:
                raise FileNotFoundError(f"no journal at {self.path}")
            self._create_file()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=5.0)
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA busy_timeout = 5000")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"journal {self.path.name}: cannot switch to WAL ({mode})")
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _create_file(self) -> None:
        parent = self.path.parent
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700)
            os.chmod(parent, 0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)  # SQLite gives its -wal/-shm files the same mode

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise JournalError(f"journal {self.path.name} has schema {version}; this kiosk "
                               f"knows up to {SCHEMA_VERSION} (upgrade the kiosk)")
        missed = [target for target, missing in _REPAIRABLE.items()
                  if target <= version and missing(self._db)]
        if missed:
            # Written by a build that skipped a version it didn't have (e.g. 4 before 3 landed):
            # the idempotent migrations it missed run now, keeping the stored version, and
            # before the versions above it (5's triggers are on 3's and 4's tables).
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for target in missed:
                    for step in _MIGRATIONS[target]:
                        step(self._db) if callable(step) else self._db.execute(step)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        for target in range(version + 1, SCHEMA_VERSION + 1):
            steps = _MIGRATIONS.get(target)
            if steps is None:  # a number reserved by another change that isn't here
                continue
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for step in steps:
                    if callable(step):
                        step(self._db)
                    else:
                        self._db.execute(step)
                self._db.execute(f"PRAGMA user_version = {target}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if version < SCHEMA_VERSION:
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def check(self) -> None:
        """The start-up check: ``PRAGMA quick_check``, then one real fsynced write.

        Raises :class:`JournalError` saying what is wrong ("damaged: ...", "not writable:
        ..."). quick_check reads every page (on a year of rows, 100,000, ~0.8-1.3 s on a
        loaded 2-core machine; integrity_check, which also checks the indexes, ~1.3-1.9 s).
        """
        with self._lock:
            try:
                found = [str(r[0]) for r in self._db.execute("PRAGMA quick_check").fetchall()]
            except sqlite3.DatabaseError as exc:
                raise JournalError(f"damaged: {exc}") from None
            if found != ["ok"]:
                raise JournalError(f"damaged: {found[0][:120]}")
            try:
                version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
                self._db.execute("BEGIN IMMEDIATE")
                try:  # rewrites the header page: a WAL frame, fsynced at COMMIT
                    self._db.execute(f"PRAGMA user_version = {version}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise JournalError(f"not writable: {exc}") from None

    def claim(self, wait: float = 0.0) -> None:
        """Hold the journal's owner lock (:mod:`kiosk.journal_lock`) until :meth:`close`: a
        running kiosk does, and ``kiosk journal resolve`` does while it writes. Raises
        :class:`JournalInUse` if another process holds it for more than ``wait`` seconds."""
        if self._owner is not None and self._owner.held:
            return
        from kiosk import journal_lock

        try:
            self._owner = journal_lock.take(self.path, wait=wait)
        except OSError as exc:
            raise JournalError(f"journal {self.path.name}: no lock file ({exc.strerror})"
                               ) from None

    @property
    def schema_version(self) -> int:
        """The schema version stored in the file (``PRAGMA user_version``)."""
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # --- writes ------------------------------------------------------------------------------

    @_db_errors
    def begin(self, *, store: str, terminal: str, masked_card: str, contact_id: str,
              offer_id: str, promotion_id: str | None, offer_name: str, value_applied: str,
              note: str | None = None, kind: Kind | str = Kind.PROMOTION) -> int:
        """Record a new attempt as ``pending``; committed and fsynced before its id is returned.

        ``kind`` says what ``offer_id`` is: a promotion instance or a reward voucher.
        """
        if not offer_id or not contact_id:
            raise ValueError("offer_id and contact_id are required")
        kind = Kind(kind)
        now = _stamp(self._clock())
        values = (now, now, _text(store, 64), _text(terminal, 64), safe_masked_card(masked_card),
                  _text(contact_id, 64), _text(offer_id, 64),
                  _text(promotion_id, 64) if promotion_id else None, _text(offer_name),
                  _text(value_applied), str(JournalState.PENDING), None,
                  _text(note) if note else None, str(kind))
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO redemptions (created_at, updated_at, store, terminal, masked_card,"
                " contact_id, offer_id, promotion_id, offer_name, value_applied, state,"
                " engage_code, note, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values)
            row_id = cur.lastrowid
        assert row_id is not None
        return row_id

    def set_state(self, row_id: int, state: JournalState | str, *, code: str | None = None,
                  note: str | None = None) -> None:
        """Move an attempt to ``state`` (with the Engage code, if any); refuses illegal moves,
        and (:class:`SettledMeanwhile`) a row no longer open: settled by hand meanwhile.

        ``code``/``note`` left as None keep what the row already has.
        """
        self.set_states([(row_id, state, code, note)])

    @_db_errors
    def set_states(self, changes: Sequence[tuple[int, JournalState | str, str | None,
                                                 str | None]]) -> None:
        """Move several attempts at once, each ``(row_id, state, code, note)`` as in
        :meth:`set_state`: one fsynced transaction, all or nothing. The check that each row is
        still open is made inside it, so a row settled by another process (``kiosk journal
        resolve``) is never overwritten: :class:`SettledMeanwhile`, nothing written."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for row_id, state, code, note in changes:
                    self._set_state(row_id, JournalState(state), code, note)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _set_state(self, row_id: int, new: JournalState, code: str | None,
                   note: str | None) -> None:
        """One row's move, inside the caller's transaction."""
        found = self._db.execute("SELECT state FROM redemptions WHERE id = ?",
                                 (row_id,)).fetchone()
        if found is None:
            raise JournalError(f"no journal row {row_id}")
        old = JournalState(found["state"])
        if old not in _TRANSITIONS:  # settled meanwhile (by hand): it stands
            raise SettledMeanwhile(f"journal row {row_id} is settled already ({old}"
                                   f"{self._by_hand(row_id)}): {new} not recorded", str(old))
        if new not in _TRANSITIONS[old]:
            raise JournalError(f"journal row {row_id}: {old} -> {new} is not allowed")
        self._db.execute(
            "UPDATE redemptions SET state = ?, updated_at = ?,"
            " engage_code = COALESCE(?, engage_code), note = COALESCE(?, note)"
            " WHERE id = ?",
            (str(new), _stamp(self._clock()), _code(code), _text(note) if note else None,
             row_id))

    @_db_errors
    def begin_reactivation(self, redemption_id: int, note: str | None = None) -> int:
        """Record an undo of a voucher redemption as ``pending`` (fsynced) before the POST.

        Refuses (JournalError) a row that is not a voucher this kiosk redeemed.
        """
        now = _stamp(self._clock())
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.execute("SELECT kind, state, offer_id FROM redemptions"
                                         " WHERE id = ?", (redemption_id,)).fetchone()
                if found is None:
                    raise JournalError(f"no journal row {redemption_id}")
                if found["kind"] != Kind.VOUCHER or JournalState(found["state"]) not in UNDOABLE:
                    raise JournalError(f"journal row {redemption_id}: a {found['kind']} in state "
                                       f"{found['state']} can't be undone")
                last = self._db.execute("SELECT state FROM reactivations WHERE redemption_id = ?"
                                        " ORDER BY id DESC LIMIT 1", (redemption_id,)).fetchone()
                if last is not None and ReactivationState(last["state"]) not in _RETRYABLE_UNDO:
                    raise JournalError(f"journal row {redemption_id}: already undone or being "
                                       f"undone ({last['state']})")
                cur = self._db.execute(
                    "INSERT INTO reactivations (created_at, updated_at, redemption_id,"
                    " voucher_id, state, engage_code, note) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                    (now, now, redemption_id, found["offer_id"], str(_R.PENDING),
                     _text(note) if note else None))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        assert cur.lastrowid is not None
        return cur.lastrowid

    @_db_errors
    def set_reactivation_state(self, reactivation_id: int, state: ReactivationState | str, *,
                               code: str | None = None, note: str | None = None) -> None:
        """Move an undo to ``state``; refuses illegal moves like :meth:`set_state`."""
        new = ReactivationState(state)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.execute("SELECT state FROM reactivations WHERE id = ?",
                                         (reactivation_id,)).fetchone()
                if found is None:
                    raise JournalError(f"no reactivation row {reactivation_id}")
                old = ReactivationState(found["state"])
                if old not in _REACTIVATION_TRANSITIONS:  # settled meanwhile (by hand)
                    raise SettledMeanwhile(
                        f"reactivation {reactivation_id} is settled already ({old}"
                        f"{self._by_hand(reactivation_id, undo=True)}): {new} not recorded",
                        str(old))
                if new not in _REACTIVATION_TRANSITIONS.get(old, frozenset()):
                    raise JournalError(f"reactivation {reactivation_id}: {old} -> {new} is not "
                                       "allowed")
                self._db.execute(
                    "UPDATE reactivations SET state = ?, updated_at = ?,"
                    " engage_code = COALESCE(?, engage_code), note = COALESCE(?, note)"
                    " WHERE id = ?",
                    (str(new), _stamp(self._clock()), _code(code),
                     _text(note) if note else None, reactivation_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _by_hand(self, row_id: int, *, undo: bool = False) -> str:
        """", by hand, by NAME at TIME UTC" if the row (an undo's, with ``undo``) was settled
        by hand, else "" (call it holding ``_lock``)."""
        earlier = self._db.execute(
            "SELECT resolved_by, created_at FROM undo_resolutions WHERE reactivation_id = ?"
            if undo else
            "SELECT resolved_by, created_at FROM resolutions WHERE redemption_id = ?",
            (row_id,)).fetchone()
        return (f" by hand, by {earlier['resolved_by']} at "
                f"{earlier['created_at'][:16].replace('T', ' ')} UTC"
                if earlier is not None else "")

    @_db_errors
    def resolve(self, row_id: int, *, applied: bool, by: str, reason: str,
                kiosk_running: bool = False) -> JournalRow:
        """Settle an open (``pending``/``unknown``) attempt by hand: ``verified-redeemed`` if
        ``applied`` (this attempt redeemed the offer), else ``verified-not-redeemed``.

        One fsynced transaction records who, when and why in ``resolutions``, with the row's
        state, code and note before; the row's note says it was settled by hand (its Engage
        code stays). Refuses (:class:`ResolveRefused`) a row that doesn't exist or isn't open
        (settled already, or just now by another process), and ``applied`` when another of
        this journal's attempts at the offer holds its redemption (Engage redeems an offer
        once). ``kiosk_running`` (another process holds the owner lock, :meth:`claim`): a
        ``pending`` row is refused too, since that kiosk may be sending it right now; its
        ``unknown`` rows may be settled, because every write of the kiosk checks inside its own
        transaction that the row is still open (:class:`SettledMeanwhile`), so whichever
        commits first wins and the other changes nothing.
        """
        who, why = _text(by, 64), _text(reason)
        if not who or not why:
            raise ValueError("who resolves it and why are required")
        new = JournalState.VERIFIED_REDEEMED if applied else JournalState.VERIFIED_NOT_REDEEMED
        now = _stamp(self._clock())
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.execute(
                    "SELECT state, engage_code, note, updated_at, offer_id FROM redemptions"
                    " WHERE id = ?", (row_id,)).fetchone()
                if found is None:
                    raise ResolveRefused(f"no journal row {row_id}")
                old = JournalState(found["state"])
                if old not in UNRESOLVED:
                    raise ResolveRefused(f"journal row {row_id} is settled already: {old}"
                                         f"{self._by_hand(row_id)}{self._undo_hint(row_id)}")
                if kiosk_running and old is JournalState.PENDING:
                    raise ResolveRefused(
                        f"journal row {row_id} is pending: the running kiosk may be sending it "
                        "to Engage right now. Try again in a minute (it will be unknown or "
                        "settled by then), or stop the kiosk first")
                if applied:
                    claim = self._db.execute(
                        "SELECT r.id FROM redemptions r WHERE r.offer_id = ? AND r.id != ?"
                        " AND r.state IN (?, ?) AND COALESCE((SELECT x.state FROM reactivations"
                        " x WHERE x.redemption_id = r.id ORDER BY x.id DESC LIMIT 1), '')"
                        " NOT IN (?, ?) ORDER BY r.id DESC LIMIT 1",
                        (found["offer_id"], row_id, str(JournalState.REDEEMED),
                         str(JournalState.VERIFIED_REDEEMED), str(_R.REACTIVATED),
                         str(_R.VERIFIED_REACTIVATED))).fetchone()
                    if claim is not None:
                        raise ResolveRefused(
                            f"journal row {row_id}: attempt {claim['id']} already redeemed this "
                            "offer, and Engage redeems an offer once: this one can only be "
                            "not applied")
                self._db.execute(
                    "INSERT INTO resolutions (created_at, redemption_id, applied, resolved_by,"
                    " reason, was_state, was_code, was_note, was_updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (now, row_id, int(applied), who, why, str(old), found["engage_code"],
                     found["note"], found["updated_at"]))
                self._db.execute(
                    "UPDATE redemptions SET state = ?, updated_at = ?, note = ? WHERE id = ?",
                    (str(new), now, _text(f"settled by hand by {who}: {why}"), row_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.get(row_id)

    def _undo_hint(self, row_id: int) -> str:
        """A hint for IT when the attempt's latest give-back is still open (under ``_lock``)."""
        last = self._db.execute("SELECT state FROM reactivations WHERE redemption_id = ?"
                                " ORDER BY id DESC LIMIT 1", (row_id,)).fetchone()
        if last is None or ReactivationState(last["state"]) not in UNRESOLVED_REACTIVATIONS:
            return ""
        return (f"; its voucher give-back (undo) is {last['state']}: settle that with "
                "--given-back or --not-given-back")

    @_db_errors
    def resolve_undo(self, redemption_id: int, *, given_back: bool, by: str, reason: str,
                     kiosk_running: bool = False) -> ReactivationRow:
        """Settle by hand the open (``pending``/``unknown``) give-back of the voucher redeemed
        in attempt ``redemption_id``: ``verified-reactivated`` if ``given_back`` (Engage shows
        the voucher usable again: the member has it back), else ``verified-not-reactivated``
        (still used: the give-back didn't happen and the attempt's redemption stands).

        As :meth:`resolve`: one fsynced transaction records who, when and why in
        ``undo_resolutions`` with the undo's state, code and note before; the undo's note says
        it was settled by hand. Refuses (:class:`ResolveRefused`) an attempt that doesn't exist,
        has no give-back, or whose latest give-back isn't open, and (``kiosk_running``) a
        ``pending`` one: the running kiosk may be sending it.
        """
        who, why = _text(by, 64), _text(reason)
        if not who or not why:
            raise ValueError("who resolves it and why are required")
        new = _R.VERIFIED_REACTIVATED if given_back else _R.VERIFIED_NOT_REACTIVATED
        now = _stamp(self._clock())
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._db.execute("SELECT 1 FROM redemptions WHERE id = ?",
                                    (redemption_id,)).fetchone() is None:
                    raise ResolveRefused(f"no journal row {redemption_id}")
                found = self._db.execute(
                    "SELECT id, state, engage_code, note, updated_at FROM reactivations"
                    " WHERE redemption_id = ? ORDER BY id DESC LIMIT 1",
                    (redemption_id,)).fetchone()
                if found is None:
                    raise ResolveRefused(f"journal row {redemption_id} has no voucher give-back "
                                         "(undo) to settle")
                old = ReactivationState(found["state"])
                if old not in UNRESOLVED_REACTIVATIONS:
                    raise ResolveRefused(
                        f"journal row {redemption_id}: its voucher give-back is settled "
                        f"already: {old}{self._by_hand(found['id'], undo=True)}")
                if kiosk_running and old is _R.PENDING:
                    raise ResolveRefused(
                        f"journal row {redemption_id}: its voucher give-back is pending: the "
                        "running kiosk may be sending it to Engage right now. Try again in a "
                        "minute, or stop the kiosk first")
                self._db.execute(
                    "INSERT INTO undo_resolutions (created_at, reactivation_id, redemption_id,"
                    " given_back, resolved_by, reason, was_state, was_code, was_note,"
                    " was_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (now, found["id"], redemption_id, int(given_back), who, why, str(old),
                     found["engage_code"], found["note"], found["updated_at"]))
                self._db.execute(
                    "UPDATE reactivations SET state = ?, updated_at = ?, note = ? WHERE id = ?",
                    (str(new), now, _text(f"settled by hand by {who}: {why}"), found["id"]))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.reactivations(redemption_id)[-1]

    # --- reads -------------------------------------------------------------------------------

    @_db_errors
    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version`` on this connection: it changes when another
        connection (``kiosk journal resolve``, a fleet push) commits, never for this one's own
        writes. A running kiosk polls it to notice a hand settlement (cheap: no table read)."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    @_db_errors
    def changes(self) -> tuple[int, int]:
        """What changes after *any* commit to the journal: ``PRAGMA data_version`` (another
        connection's commits) and this connection's ``total_changes`` (its own writes). A
        screen that shows journal rows reads it before the rows and looks again later: equal,
        nothing it shows can have changed (one PRAGMA, no table read)."""
        with self._lock:
            return (int(self._db.execute("PRAGMA data_version").fetchone()[0]),
                    self._db.total_changes)

    @_db_errors
    def undo_resolutions(self) -> list[UndoResolution]:
        """Voucher give-backs settled by hand, oldest first."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {', '.join(UndoResolution._fields)} FROM undo_resolutions ORDER BY id"
            ).fetchall()
        return [UndoResolution(**{**dict(r), "given_back": bool(r["given_back"]),
                                  "was_state": ReactivationState(r["was_state"])})
                for r in found]

    @_db_errors
    def resolutions(self) -> list[Resolution]:
        """Attempts settled by hand, oldest first."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {', '.join(Resolution._fields)} FROM resolutions ORDER BY id").fetchall()
        return [Resolution(**{**dict(r), "applied": bool(r["applied"]),
                              "was_state": JournalState(r["was_state"])}) for r in found]

    @_db_errors
    def _select(self, where: str = "", params: Sequence[object] = ()) -> list[JournalRow]:
        sql = f"SELECT {_SELECT} FROM redemptions {where} ORDER BY created_at, id"
        with self._lock:
            found = self._db.execute(sql, tuple(params)).fetchall()
        return [JournalRow(**{**dict(r), "state": JournalState(r["state"]),
                              "kind": Kind(r["kind"])}) for r in found]

    @_db_errors
    def reactivations(self, redemption_id: int | None = None,
                      states: Iterable[ReactivationState | str] | None = None
                      ) -> list[ReactivationRow]:
        """Undo attempts, oldest first: of one redemption, and/or only in ``states``."""
        clauses: list[str] = []
        params: list[object] = []
        if redemption_id is not None:
            clauses.append("redemption_id = ?")
            params.append(redemption_id)
        if states is not None:
            wanted = sorted({str(ReactivationState(s)) for s in states})
            clauses.append(f"state IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (f"SELECT {', '.join(_REACTIVATION_COLUMNS)} FROM reactivations {where}"
               " ORDER BY id")
        with self._lock:
            found = self._db.execute(sql, tuple(params)).fetchall()
        return [ReactivationRow(**{**dict(r), "state": ReactivationState(r["state"])})
                for r in found]

    def unresolved_reactivations(self) -> list[ReactivationRow]:
        """Undo attempts still ``pending`` or ``unknown`` (for reconciliation)."""
        return self.reactivations(states=UNRESOLVED_REACTIVATIONS)

    def get(self, row_id: int) -> JournalRow:
        """One attempt by id."""
        found = self._select("WHERE id = ?", (row_id,))
        if not found:
            raise JournalError(f"no journal row {row_id}")
        return found[0]

    def attempts(self, offer_id: str) -> list[JournalRow]:
        """Every attempt at one offer instance, oldest first."""
        return self._select("WHERE offer_id = ?", (offer_id,))

    def unresolved(self) -> list[JournalRow]:
        """Attempts still ``pending`` or ``unknown``, oldest first (for reconciliation)."""
        return self.rows(states=UNRESOLVED)

    def rows(self, since: datetime | None = None,
             states: Iterable[JournalState | str] | None = None) -> list[JournalRow]:
        """Attempts created at or after ``since``, optionally only in ``states``, oldest first."""
        clauses: list[str] = []
        params: list[object] = []
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(_stamp(since))
        if states is not None:
            wanted = sorted({str(JournalState(s)) for s in states})
            clauses.append(f"state IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._select(where, params)

    @_db_errors
    def counts(self) -> dict[str, int]:
        """Number of attempts per state (every state present, zeros included)."""
        out = {str(s): 0 for s in JournalState}
        with self._lock:
            for state, n in self._db.execute(
                    "SELECT state, COUNT(*) FROM redemptions GROUP BY state"):
                out[state] = n
        return out

    # --- the fleet push's outbox (schema 4; used by kiosk.fleet.push) ------------------------

    @_db_errors
    def till_id(self) -> str:
        """This journal's till identity: a UUID made once, when the journal got schema 4.

        It lives inside the journal because the rows' ids do: a recreated journal starts its ids
        again at 1, so it must not reuse an identity under which other rows were pushed.
        """
        with self._lock:
            return str(self._db.execute("SELECT till_id FROM fleet_till").fetchone()[0])

    @_db_errors
    def pushed_seq(self) -> int:
        """The last change number the central database has confirmed (0: nothing pushed)."""
        with self._lock:
            return int(self._db.execute("SELECT pushed_seq FROM fleet_till").fetchone()[0])

    @_db_errors
    def last_change(self) -> int:
        """The newest change number in the outbox (0 when the journal is empty)."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM fleet_outbox"
                                        ).fetchone()[0])

    @_db_errors
    def outbox(self, after: int, limit: int, upto: int | None = None) -> list[OutboxEntry]:
        """Rows inserted or changed after change number ``after`` (and at most ``upto``),
        oldest change first, each with its change number; one consistent read. A change of a
        row's undo (schema 5) counts as a change of the row."""
        cols = _select_list("r")
        with self._lock:
            cur = self._db.cursor()
            cur.row_factory = None  # plain tuples: a year's outbox is 100,000 rows
            found = cur.execute(
                f"SELECT o.seq, {cols},"
                " (SELECT COUNT(*) FROM reactivations x WHERE x.redemption_id = r.id),"
                " (SELECT x.updated_at FROM reactivations x WHERE x.redemption_id = r.id"
                "  ORDER BY x.id DESC LIMIT 1)"
                " FROM fleet_outbox o JOIN redemptions r"
                " ON r.id = o.row_id WHERE o.seq > ? AND o.seq <= ? ORDER BY o.seq LIMIT ?",
                (after, upto if upto is not None else 2**62, limit)).fetchall()
        state = COLUMNS.index("state") + 1
        # Positional, in COLUMNS order (mypy can't count a slice's length).
        kind = COLUMNS.index("kind") + 1
        end = len(COLUMNS) + 1
        return [OutboxEntry(r[0], JournalRow(*r[1:state],  # type: ignore[call-arg]
                                             JournalState(r[state]), *r[state + 1:kind],
                                             Kind(r[kind]), *r[kind + 1:end]),
                            r[end], r[end + 1])
                for r in found]

    @_db_errors
    def unpushed(self) -> int:
        """Rows whose latest change the central database hasn't confirmed yet."""
        with self._lock:
            return int(self._db.execute(
                "SELECT COUNT(*) FROM fleet_outbox WHERE seq > (SELECT pushed_seq FROM fleet_till)"
            ).fetchone()[0])

    @_db_errors
    def mark_pushed(self, seq: int) -> None:
        """Record that the central database holds every change up to ``seq`` (never goes back,
        so a slower concurrent push can't undo a faster one's progress)."""
        with self._lock:
            self._db.execute("UPDATE fleet_till SET pushed_seq = MAX(pushed_seq, ?),"
                             " pushed_at = ?", (seq, _stamp(self._clock())))

    def close(self) -> None:
        """Close the database (checkpointing the WAL), then give up the owner lock if held."""
        with self._lock:
            self._db.close()
        if self._owner is not None:
            self._owner.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
