"""Journal schema 4: the push's outbox and the till identity (SQLite only, no server)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from kiosk import journal as journal_module
from kiosk.journal import Journal
from tests.fleet.tills import S, attempt


def _v1_journal(path: Path, rows: int) -> None:
    """A journal as schema 1 left it, with rows (before the fleet existed)."""
    db = sqlite3.connect(path)
    for statement in journal_module._MIGRATIONS[1]:
        db.execute(statement)
    for n in range(rows):
        db.execute("INSERT INTO redemptions (created_at, updated_at, store, terminal,"
                   " masked_card, contact_id, offer_id, offer_name, value_applied, state)"
                   " VALUES ('2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00',"
                   " 'S', 'T', '•••• 1234', 'c', ?, 'o', '1 %', 'redeemed')", (f"i{n}",))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_an_old_journal_gets_an_identity_and_all_its_rows_in_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _v1_journal(path, 3)
    with Journal(path) as journal:
        assert journal.schema_version == journal_module.SCHEMA_VERSION >= 4
        till = journal.till_id()
        assert uuid.UUID(till).version == 4
        assert [seq for seq, _ in journal.outbox(after=0, limit=10)] == [1, 2, 3]
        assert journal.unpushed() == 3
    with Journal(path) as journal:
        assert journal.till_id() == till  # made once


def test_the_migration_can_run_again_without_changing_anything(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        attempt(journal, 1)
        till = journal.till_id()
    db = sqlite3.connect(path)
    for statement in journal_module._MIGRATIONS[4]:
        db.execute(statement)
    db.commit()
    assert db.execute("SELECT till_id FROM fleet_till").fetchall() == [(till,)]
    assert db.execute("SELECT seq, row_id FROM fleet_outbox").fetchall() == [(1, 1)]
    db.close()


def test_every_change_moves_a_row_to_the_end_of_the_outbox(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        first, second = attempt(journal, 1), attempt(journal, 2)
        confirmed = journal.last_change()
        journal.mark_pushed(confirmed)
        assert journal.unpushed() == 0
        journal.set_state(first, S.UNKNOWN)
        journal.set_state(first, S.VERIFIED_REDEEMED)
        batch = journal.outbox(after=journal.pushed_seq(), limit=10)
        assert [(row.id, str(row.state)) for _, row in batch] == [(first, "verified-redeemed")]
        journal.mark_pushed(1)  # a slower push confirming less can't take the mark back
        assert journal.pushed_seq() == confirmed
        assert second not in [row.id for _, row in batch]


def test_a_journal_that_passed_version_4_without_it_gets_the_outbox(tmp_path: Path) -> None:
    """Written by a build whose schema went past 4 without having 4: opening it adds the
    outbox (every row queued) before any later migration needs it; the version stays."""
    path = tmp_path / "j.sqlite3"
    _v1_journal(path, 2)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {journal_module.SCHEMA_VERSION}")
    db.commit()
    db.close()
    with Journal(path) as journal:
        assert journal.schema_version == journal_module.SCHEMA_VERSION
        assert uuid.UUID(journal.till_id()).version == 4
        assert [e[1].id for e in journal.outbox(after=0, limit=10)] == [1, 2]
