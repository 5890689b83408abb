"""The journal's outbox, pushed to the chain's PostgreSQL database.

Every insert or change of a journal row gives it the next *change number* (schema 4 triggers,
``kiosk.journal``). A push reads the rows whose change number is above the till's high-water
mark, oldest change first, in batches; each batch is one PostgreSQL transaction of
``INSERT … ON CONFLICT (till_id, local_id) DO UPDATE … WHERE`` the incoming row is in a later
state (``kiosk_state_rank`` in ``assets/fleet.sql``: pending < unknown < final) or the same
state updated later, or - the redemption being the same - its undo (a reward voucher given back
after a cancelled sale, journal schema 5) is a later attempt, in a later state
(``kiosk_reactivation_rank``, the same order) or updated later. Only after the commit does the
journal's mark move on.

So a push is at-least-once and idempotent: killed between the commit and the mark, the next
push sends that batch again and changes nothing; two pushes of one till at once send
overlapping batches and the ``WHERE`` keeps the newest state; a failed batch leaves its rows
in the outbox (nothing is marked that the database doesn't hold). The journal is read in short
statements (WAL: the kiosk's writes never wait for a push) and written once per batch (the
mark: one row).
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.journal import Journal, Kind, OutboxEntry

if TYPE_CHECKING:
    import psycopg

#: Rows per batch (one PostgreSQL transaction, one journal write).
DEFAULT_BATCH = 2000
#: Seconds to wait for the fleet database to answer a connection.
CONNECT_TIMEOUT = 10
#: A batch that loses a deadlock or serialization race is retried this many times.
RACE_RETRIES = 5

#: SQLSTATEs of a lost race between concurrent pushes (safe to retry the batch).
_RACES = frozenset({"40P01", "40001"})

_UPSERT_TILL = """
INSERT INTO kiosk_tills AS t (till_id, store, terminal, kiosk_version, last_change)
VALUES (%(till)s, %(store)s, %(terminal)s, %(version)s, %(last)s)
ON CONFLICT (till_id) DO UPDATE SET
    store = EXCLUDED.store, terminal = EXCLUDED.terminal,
    kiosk_version = EXCLUDED.kiosk_version, last_push_at = now(),
    last_change = GREATEST(t.last_change, EXCLUDED.last_change)
"""

#: A batch first goes into this per-connection scratch table by COPY (psycopg's fastest path;
#: its array parameters cost ~4x more per row), then into the real table in one statement.
_BATCH_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS kiosk_push_batch (
    local_id bigint, store text, terminal text, created_at timestamptz,
    updated_at timestamptz, masked_card text, contact_id text, offer_id text,
    promotion_id text, offer_name text, value_applied text, state text, engage_code text,
    note text, kind text, reactivation text, reactivation_attempts integer,
    reactivation_updated_at timestamptz
) ON COMMIT DELETE ROWS
"""

_COPY_BATCH = """
COPY kiosk_push_batch (local_id, store, terminal, created_at, updated_at, masked_card,
    contact_id, offer_id, promotion_id, offer_name, value_applied, state, engage_code, note,
    kind, reactivation, reactivation_attempts, reactivation_updated_at)
FROM STDIN
"""

# ORDER BY local_id: concurrent pushes of one till lock their rows in the same order.
# The WHERE orders a row's changes: the redemption first (an undo exists only once it is
# final, and a final redemption never changes), then its undo - a later attempt, a later
# state of the same attempt, or the same state updated later (unknown -> unknown).
_UPSERT_ROWS = """
INSERT INTO kiosk_redemptions AS r (
    till_id, local_id, store, terminal, created_at, updated_at, masked_card, contact_id,
    offer_id, promotion_id, offer_name, value_applied, state, engage_code, note, kind,
    reactivation, reactivation_attempts, reactivation_updated_at)
SELECT %(till)s::uuid, b.* FROM kiosk_push_batch b ORDER BY b.local_id
ON CONFLICT (till_id, local_id) DO UPDATE SET
    store = EXCLUDED.store, terminal = EXCLUDED.terminal, created_at = EXCLUDED.created_at,
    updated_at = EXCLUDED.updated_at, masked_card = EXCLUDED.masked_card,
    contact_id = EXCLUDED.contact_id, offer_id = EXCLUDED.offer_id,
    promotion_id = EXCLUDED.promotion_id, offer_name = EXCLUDED.offer_name,
    value_applied = EXCLUDED.value_applied, state = EXCLUDED.state,
    engage_code = EXCLUDED.engage_code, note = EXCLUDED.note, kind = EXCLUDED.kind,
    reactivation = EXCLUDED.reactivation,
    reactivation_attempts = EXCLUDED.reactivation_attempts,
    reactivation_updated_at = EXCLUDED.reactivation_updated_at, pushed_at = now()
WHERE (kiosk_state_rank(EXCLUDED.state), EXCLUDED.updated_at, EXCLUDED.reactivation_attempts,
       kiosk_reactivation_rank(EXCLUDED.reactivation),
       COALESCE(EXCLUDED.reactivation_updated_at, '-infinity'))
    > (kiosk_state_rank(r.state), r.updated_at, r.reactivation_attempts,
       kiosk_reactivation_rank(r.reactivation), COALESCE(r.reactivation_updated_at, '-infinity'))
"""

#: A row that reached the database from a kiosk that didn't send ``kind`` got the column's
#: default ('promotion'); ``kind`` never changes on the till, so the one it sends now is right,
#: whether or not the row's state moved (the upsert's WHERE leaves an unchanged row alone).
#: Only the batch's non-promotions, by primary key (the upsert already holds their locks).
_FIX_KIND = """
UPDATE kiosk_redemptions SET kind = %(kind)s, pushed_at = now()
WHERE till_id = %(till)s AND local_id = ANY(%(ids)s::bigint[]) AND kind IS DISTINCT FROM %(kind)s
"""

#: Journal columns sent, in the order of ``_COPY_BATCH`` (``id`` becomes ``local_id``).
_SENT = ("store", "terminal", "created_at", "updated_at", "masked_card", "contact_id",
         "offer_id", "promotion_id", "offer_name", "value_applied", "state", "engage_code",
         "note", "kind", "reactivation")


@dataclass(frozen=True)
class PushReport:
    """What one push did."""

    till_id: str
    sent: int  # rows sent (a row changed twice since the last push is sent once)
    changed: int  # rows the database inserted or moved to a newer state
    batches: int
    seconds: float
    pushed_seq: int  # the journal's high-water mark afterwards
    left: int  # rows still waiting (changed during the push; the next push takes them)


def fleet_schema_sql() -> str:
    """``assets/fleet.sql``: the central tables and the back office's views."""
    return resources.files("kiosk.assets").joinpath("fleet.sql").read_text(encoding="utf-8")


def init_schema(conn: psycopg.Connection[Any]) -> None:
    """Create (or bring up to date) the fleet tables and views; safe to run again."""
    with conn.transaction():
        conn.execute(fleet_schema_sql())  # no parameters: sent as one multi-statement query


def connect(dsn: str, *, application_name: str = "kiosk journal push") -> psycopg.Connection[Any]:
    """A connection to the fleet database (autocommit: every batch is its own transaction)."""
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                           application_name=application_name)


_FIELDS = operator.attrgetter("id", *_SENT)
_STATE = 1 + _SENT.index("state")
_KIND = 1 + _SENT.index("kind")


def _record(entry: OutboxEntry) -> list[Any]:
    """One outbox entry as the COPY sends it (state and kind as their text)."""
    record = list(_FIELDS(entry.row))
    record[_STATE] = str(record[_STATE])
    record[_KIND] = str(record[_KIND])
    record += [entry.reactivation_attempts, entry.reactivation_updated_at]
    return record


def _not_promotions(entries: Sequence[OutboxEntry]) -> dict[str, list[int]]:
    """The batch's local ids by kind, other than the database's default kind."""
    out: dict[str, list[int]] = {}
    for entry in entries:
        if entry.row.kind != Kind.PROMOTION:
            out.setdefault(str(entry.row.kind), []).append(entry.row.id)
    return out


def _send(conn: psycopg.Connection[Any], till: str, store: str, terminal: str,
          entries: Sequence[OutboxEntry], last_seq: int) -> int:
    """One batch in one transaction; returns rows inserted or updated.

    A lost race between concurrent pushes (deadlock, serialization) is retried; any other
    error propagates.
    """
    import psycopg

    records = [_record(e) for e in entries]
    kinds = _not_promotions(entries)
    for attempt in range(RACE_RETRIES + 1):
        try:
            with conn.transaction():
                conn.execute(_BATCH_TABLE)
                conn.execute(_UPSERT_TILL, {"till": till, "store": store, "terminal": terminal,
                                            "version": __version__, "last": last_seq})
                with conn.cursor() as cur:
                    with cur.copy(_COPY_BATCH) as copy:
                        for record in records:
                            copy.write_row(record)
                    cur.execute(_UPSERT_ROWS, {"till": till})
                    changed = max(cur.rowcount, 0)
                    for kind, ids in kinds.items():
                        cur.execute(_FIX_KIND, {"till": till, "kind": kind, "ids": ids})
                        changed += max(cur.rowcount, 0)
                    return changed
        except psycopg.errors.OperationalError as exc:
            if exc.sqlstate not in _RACES or attempt == RACE_RETRIES:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def push(journal: Journal, conn: psycopg.Connection[Any], *, store: str, terminal: str,
         batch_size: int = DEFAULT_BATCH,
         after_batch: Callable[[int], None] | None = None) -> PushReport:
    """Send the journal's outbox to the fleet database (see the module docstring).

    Stops at the newest change that existed when it started, so a busy till can't keep it
    running. ``after_batch(seq)`` is called after each batch is committed and marked.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    till = journal.till_id()
    mark = journal.pushed_seq()
    upto = journal.last_change()
    sent = changed = batches = 0
    while True:
        batch = journal.outbox(after=mark, limit=batch_size, upto=upto)
        if not batch:
            break
        last = batch[-1].seq
        changed += _send(conn, till, store, terminal, batch, last)
        journal.mark_pushed(last)
        mark, sent, batches = last, sent + len(batch), batches + 1
        if after_batch is not None:
            after_batch(last)
    return PushReport(till_id=till, sent=sent, changed=changed, batches=batches,
                      seconds=time.perf_counter() - started, pushed_seq=journal.pushed_seq(),
                      left=journal.unpushed())
