"""Journal schemas 4 and 5: the push's outbox, the till identity and voucher undos (SQLite
only, no server)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from kiosk import journal as journal_module
from kiosk.journal import Journal, Kind
from kiosk.journal import ReactivationState as R
from tests.fleet.tills import (
    S,
    as_schema_4,
    attempt,
    give_back,
    give_back_as_schema_4,
    voucher,
)


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
        assert [e.seq for e in journal.outbox(after=0, limit=10)] == [1, 2, 3]
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
        assert [(e.row.id, str(e.row.state)) for e in batch] == [(first, "verified-redeemed")]
        journal.mark_pushed(1)  # a slower push confirming less can't take the mark back
        assert journal.pushed_seq() == confirmed
        assert second not in [e.row.id for e in batch]


def test_an_undo_moves_its_redemption_to_the_end_of_the_outbox(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        given = voucher(journal, 1)
        kept = voucher(journal, 2)
        attempt(journal, 3)
        journal.mark_pushed(journal.last_change())
        undo = give_back(journal, given)
        entries = journal.outbox(after=journal.pushed_seq(), limit=10)
        assert [(e.row.id, e.row.kind, e.row.reactivation, e.reactivation_attempts)
                for e in entries] == [(given, Kind.VOUCHER, "pending", 1)]
        pending_at = entries[0].reactivation_updated_at
        assert pending_at == journal.reactivations(given)[0].updated_at
        journal.mark_pushed(journal.last_change())
        journal.set_reactivation_state(undo, R.UNKNOWN)  # a change of the undo alone
        journal.set_reactivation_state(undo, R.VERIFIED_REACTIVATED)
        entries = journal.outbox(after=journal.pushed_seq(), limit=10)
        assert [(e.row.id, e.row.reactivation) for e in entries] == [
            (given, "verified-reactivated")]
        assert entries[0].seq == journal.last_change()
        assert kept not in [e.row.id for e in entries]


def test_a_journal_from_before_schema_5_queues_its_vouchers_once(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        attempt(journal, 1)
        given = voucher(journal, 2)
        kept = voucher(journal, 3)
        journal.mark_pushed(journal.last_change())
        confirmed = journal.pushed_seq()
    as_schema_4(path)
    give_back_as_schema_4(path, given, R.REACTIVATED)
    db = sqlite3.connect(path)
    assert db.execute("SELECT MAX(seq) FROM fleet_outbox").fetchone()[0] == confirmed
    db.close()
    with Journal(path) as journal:
        assert journal.schema_version >= 5
        entries = journal.outbox(after=confirmed, limit=10)
        # Both vouchers again (an older push may not have sent their kind), the promotion not.
        assert [(e.row.id, e.row.reactivation, e.reactivation_attempts) for e in entries] == [
            (given, "reactivated", 1), (kept, None, 0)]
        last = journal.last_change()
    db = sqlite3.connect(path)
    for step in journal_module._MIGRATIONS[5]:
        db.execute(step)  # type: ignore[arg-type]
    db.commit()
    assert db.execute("SELECT MAX(seq) FROM fleet_outbox").fetchone()[0] == last
    db.close()


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
        assert [e.row.id for e in journal.outbox(after=0, limit=10)] == [1, 2]
