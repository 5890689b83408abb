"""Reward vouchers in the fleet database: their kind, and an undo (a voucher given back after a
cancelled sale) that takes them out of the back office's redeemed counts.

Against a real PostgreSQL server; the journals are real SQLite files written by the journal's
own code (``tests.fleet.tills``).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from kiosk.fleet.push import PushReport, push
from kiosk.journal import Journal
from kiosk.journal import ReactivationState as R
from tests.fleet.tills import (
    as_schema_4,
    attempt,
    central_rows,
    central_undo,
    give_back,
    give_back_as_schema_4,
    local_rows,
    voucher,
)


def _push(journal: Journal, url: str) -> PushReport:
    with psycopg.connect(url, autocommit=True) as conn:
        return push(journal, conn, store="Store 1", terminal="Till 1")


def _store_day(admin: psycopg.Connection) -> tuple:  # type: ignore[type-arg]
    return admin.execute(
        "SELECT attempts, redeemed, given_back, promotions_redeemed, vouchers_redeemed"
        " FROM kiosk_store_day").fetchone()


def test_a_voucher_given_back_arrives_as_such_and_is_not_counted_redeemed(
        tmp_path: Path, fleet_url: str, fleet_admin: str) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    promo = attempt(journal, 1)
    journal.set_state(promo, "redeemed")
    given, kept = voucher(journal, 2), voucher(journal, 3)
    first = _push(journal, fleet_url)
    assert (first.sent, first.changed) == (3, 3)
    with psycopg.connect(fleet_admin) as admin:
        assert central_undo(admin)[given] == ("voucher", None, 0)
        assert _store_day(admin) == (3, 3, 0, 1, 2)

    undo = give_back(journal, given)  # the sale is cancelled: the undo is journalled first
    assert (_push(journal, fleet_url).sent, _push(journal, fleet_url).sent) == (1, 0)
    with psycopg.connect(fleet_admin) as admin:
        assert central_undo(admin)[given] == ("voucher", "pending", 1)
        assert _store_day(admin) == (3, 3, 0, 1, 2)  # still redeemed while the undo is open
    journal.set_reactivation_state(undo, R.REACTIVATED)
    again = _push(journal, fleet_url)
    assert (again.sent, again.changed) == (1, 1)  # only the voucher given back travels
    assert _push(journal, fleet_url).sent == 0
    with psycopg.connect(fleet_admin) as admin:
        assert central_undo(admin) == {promo: ("promotion", None, 0),
                                       given: ("voucher", "reactivated", 1),
                                       kept: ("voucher", None, 0)}
        assert central_rows(admin) == local_rows(journal)
        # attempts, redeemed, given back, promotions redeemed, vouchers redeemed
        assert _store_day(admin) == (3, 2, 1, 1, 1)
        offers = admin.execute("SELECT kind, offer_name, attempts, redeemed, given_back"
                               " FROM kiosk_offer_totals ORDER BY kind").fetchall()
        assert offers == [("promotion", "Offer 1", 1, 1, 0),
                          ("voucher", "Bonus check 100 kr", 2, 1, 1)]
        when = admin.execute("SELECT reactivation_updated_at FROM kiosk_redemptions"
                             " WHERE local_id = %s", (given,)).fetchone()[0]
    assert when.astimezone(UTC).isoformat(timespec="milliseconds") == (
        journal.reactivations(given)[0].updated_at)
    journal.close()


def test_an_older_push_replayed_after_the_undo_does_not_revert_it(
        tmp_path: Path, fleet_url: str, fleet_admin: str) -> None:
    """A journal restored from a backup taken before the undo (or a push that was slower than
    the next one) sends the voucher as still redeemed: the database keeps it given back."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    given = voucher(journal, 1)
    undo = give_back(journal, given, R.UNKNOWN)  # pending -> unknown: Engage's answer was lost
    journal.close()
    shutil.copy(path, tmp_path / "undo-unknown.sqlite3")
    journal = Journal(path)
    journal.set_reactivation_state(undo, R.UNKNOWN)  # checked again, still unknown: later time
    journal.close()
    shutil.copy(path, tmp_path / "undo-unknown-later.sqlite3")
    journal = Journal(path)
    journal.set_reactivation_state(undo, R.VERIFIED_REACTIVATED)
    _push(journal, fleet_url)
    for older in ("undo-unknown-later.sqlite3", "undo-unknown.sqlite3"):
        with Journal(tmp_path / older) as stale:
            report = _push(stale, fleet_url)
        assert (report.sent, report.changed) == (1, 0)
    with psycopg.connect(fleet_admin) as admin:
        assert central_undo(admin) == {given: ("voucher", "verified-reactivated", 1)}
        assert _store_day(admin)[:3] == (1, 0, 1)
    # ... and the same in the other direction: the stale ones first, each newer one moves it on.
    with psycopg.connect(fleet_admin, autocommit=True) as admin:
        admin.execute("DELETE FROM kiosk_redemptions")
    seen = []
    for name in ("undo-unknown.sqlite3", "undo-unknown-later.sqlite3", "j.sqlite3"):
        with Journal(tmp_path / name) as copy:
            _push_all(copy, fleet_url)
        with psycopg.connect(fleet_admin) as admin:
            seen.append(central_undo(admin)[given][1])
    assert seen == ["unknown", "unknown", "verified-reactivated"]
    journal.close()


def _push_all(journal: Journal, url: str) -> None:
    """Push every row of ``journal`` whatever its mark (a copy pushed before says nothing)."""
    import sqlite3

    db = sqlite3.connect(journal.path)
    with db:
        db.execute("UPDATE fleet_till SET pushed_seq = 0")
    db.close()
    _push(journal, url)


def test_a_retried_undo_replaces_the_refused_one(tmp_path: Path, fleet_url: str,
                                                 fleet_admin: str) -> None:
    """Engage refused the first undo (final), the second is still pending: the database shows
    the second - a later attempt ranks later, whatever its state."""
    journal = Journal(tmp_path / "j.sqlite3")
    given = voucher(journal, 1)
    give_back(journal, given, R.REJECTED)
    _push(journal, fleet_url)
    give_back(journal, given)
    assert _push(journal, fleet_url).changed == 1
    with psycopg.connect(fleet_admin) as admin:
        assert central_undo(admin) == {given: ("voucher", "pending", 2)}
        assert _store_day(admin)[:3] == (1, 1, 0)  # redeemed until the undo is proved
    journal.close()


def test_an_open_undo_past_the_settle_window_needs_checking(tmp_path: Path, fleet_url: str,
                                                            fleet_admin: str) -> None:
    now = datetime.now(UTC)
    clock = [now - timedelta(hours=2)]
    journal = Journal(tmp_path / "j.sqlite3", clock=lambda: clock[0])
    old_undo = voucher(journal, 1)
    give_back(journal, old_undo, R.UNKNOWN)
    settled = voucher(journal, 2)
    give_back(journal, settled, R.REACTIVATED)
    clock[0] = now
    fresh = voucher(journal, 3)
    give_back(journal, fresh)
    _push(journal, fleet_url)
    with psycopg.connect(fleet_admin) as admin:
        checking = admin.execute(
            "SELECT local_id, state, kind, reactivation, waiting > interval '1 hour'"
            " FROM kiosk_needs_checking").fetchall()
    assert checking == [(old_undo, "redeemed", "voucher", "unknown", True)]
    journal.close()


def test_a_journal_from_before_the_migration_pushes_its_undos(
        tmp_path: Path, fleet_url: str, fleet_admin: str) -> None:
    """A till whose kiosk (journal schema 4) pushed its vouchers without kind or undo, and
    gave one back afterwards (no trigger queued it): after the upgrade the next push sends
    both vouchers, and the database learns their kind and the undo."""
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        promo = attempt(journal, 1)
        given, kept = voucher(journal, 2), voucher(journal, 3)
        _push(journal, fleet_url)
    with psycopg.connect(fleet_admin, autocommit=True) as admin:
        # What the schema-4 push left: it sent neither, so the columns have their defaults.
        admin.execute("UPDATE kiosk_redemptions SET kind = DEFAULT")
        assert set(central_undo(admin).values()) == {("promotion", None, 0)}
    as_schema_4(path)
    give_back_as_schema_4(path, given, R.REACTIVATED)

    with Journal(path) as journal:
        report = _push(journal, fleet_url)
        assert (report.sent, report.changed) == (2, 2)
        with psycopg.connect(fleet_admin) as admin:
            assert central_undo(admin) == {promo: ("promotion", None, 0),
                                           given: ("voucher", "reactivated", 1),
                                           kept: ("voucher", None, 0)}
            assert _store_day(admin) == (3, 1, 1, 0, 1)
        assert _push(journal, fleet_url).sent == 0
