"""Simulated tills for the fleet tests: real journals with attempts in every state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.journal import Journal, JournalState, utc_now

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
