"""Simulated tills for the fleet tests: real journals with attempts in every state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.journal import Journal, JournalState, Kind, ReactivationState, utc_now

S = JournalState
#: How a till's attempts end, cycled: (states moved through after ``pending``).
ENDINGS: tuple[tuple[JournalState, ...], ...] = (
    (S.REDEEMED,), (S.REJECTED,), (), (S.UNKNOWN,), (S.UNKNOWN, S.VERIFIED_REDEEMED),
    (S.UNKNOWN, S.VERIFIED_NOT_REDEEMED), (S.REDEEMED,), (S.VERIFIED_REDEEMED,),
)


def attempt(journal: Journal, n: int, store: str = "Store 1", terminal: str = "Till 1") -> int:
    """One attempt (pending), with the n-th member, card and offer."""
    return journal.begin(store=store, terminal=terminal, masked_card=f"•••• {n % 10000:04d}",
                         contact_id=f"contact-{n % 97}", offer_id=f"inst-{n}",
                         promotion_id=f"promo-{n % 5}", offer_name=f"Offer {n % 5}",
                         value_applied="10 %")


def make_till(path: Path, rows: int, *, store: str = "Store 1", terminal: str = "Till 1",
              clock: Callable[[], datetime] = utc_now) -> Journal:
    """A journal with ``rows`` attempts ending as ``ENDINGS`` cycles."""
    journal = Journal(path, clock=clock)
    for n in range(rows):
        row_id = attempt(journal, n, store, terminal)
        for state in ENDINGS[n % len(ENDINGS)]:
            journal.set_state(row_id, state, code="GatewayTimeout" if state is S.UNKNOWN
                              else None)
    return journal


def clone_till(template: Path, path: Path) -> Journal:
    """Another till with the same rows: a copy of ``template`` under a new till identity."""
    import shutil
    import sqlite3
    import uuid

    shutil.copy(template, path)
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE fleet_till SET till_id = ?", (str(uuid.uuid4()),))
    db.close()
    return Journal(path)


def local_rows(journal: Journal) -> dict[tuple[str, int], tuple[str, str]]:
    """{(till, id): (state, updated_at)} as the till has them."""
    till = journal.till_id()
    return {(till, r.id): (str(r.state), r.updated_at) for r in journal.rows()}


def central_rows(conn: Any) -> dict[tuple[str, int], tuple[str, str]]:
    """The same, as the fleet database has them (updated_at in the journal's format)."""
    out: dict[tuple[str, int], tuple[str, str]] = {}
    for till, local_id, state, updated in conn.execute(
            "SELECT till_id::text, local_id, state, updated_at FROM kiosk_redemptions"):
        out[(till, local_id)] = (state, updated.astimezone(UTC).isoformat(timespec="milliseconds"))
    return out


def voucher(journal: Journal, n: int, *, store: str = "Store 1",
            terminal: str = "Till 1") -> int:
    """A reward voucher the n-th member redeemed (as the Redeemer journals one: no template)."""
    row_id = journal.begin(store=store, terminal=terminal, masked_card=f"•••• {n % 10000:04d}",
                           contact_id=f"contact-{n % 97}", offer_id=f"voucher-{n}",
                           promotion_id=None, offer_name="Bonus check 100 kr",
                           value_applied="100,00 SEK", kind=Kind.VOUCHER)
    journal.set_state(row_id, S.REDEEMED)
    return row_id


def give_back(journal: Journal, row_id: int, *states: ReactivationState) -> int:
    """An undo of a redeemed voucher (a cancelled sale), moved through ``states``."""
    undo = journal.begin_reactivation(row_id)
    for state in states:
        journal.set_reactivation_state(undo, state)
    return undo


def central_undo(conn: Any) -> dict[int, tuple[str, str | None, int]]:
    """{local id: (kind, reactivation, reactivation attempts)} as the fleet database has them."""
    return {local_id: (kind, reactivation, attempts) for local_id, kind, reactivation, attempts
            in conn.execute("SELECT local_id, kind, reactivation, reactivation_attempts"
                            " FROM kiosk_redemptions")}


def as_schema_4(path: Path) -> None:
    """Turn a closed journal back into what the schema-4 code left: no undo triggers."""
    import sqlite3

    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TRIGGER fleet_outbox_reactivation_insert")
        db.execute("DROP TRIGGER fleet_outbox_reactivation_update")
        db.execute("PRAGMA user_version = 4")
    db.close()


def give_back_as_schema_4(path: Path, row_id: int, state: ReactivationState) -> None:
    """An undo written as the schema-4 code wrote one (no trigger queues its redemption)."""
    import sqlite3

    db = sqlite3.connect(path)
    with db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        db.execute("INSERT INTO reactivations (created_at, updated_at, redemption_id, voucher_id,"
                   " state) SELECT ?, ?, id, offer_id, ? FROM redemptions WHERE id = ?",
                   (_now(), _now(), str(state), row_id))
    db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
