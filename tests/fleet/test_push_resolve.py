"""An attempt settled by hand (``kiosk journal resolve``) reaches the fleet database like any
settled row: its state, when, and the note saying who settled it and why; it leaves "needs
checking" and counts in the day's figures. Real journal, real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from kiosk.fleet.push import push
from kiosk.journal import Journal, JournalState, Kind, ReactivationState
from tests.fleet.tills import attempt


def test_a_row_settled_by_hand_is_pushed_settled(tmp_path: Path, fleet_url: str,
                                                 fleet_admin: str) -> None:
    ago = datetime.now(UTC) - timedelta(hours=2)
    with Journal(tmp_path / "till.sqlite3", clock=lambda: ago) as old:
        used_no_date = attempt(old, 1)
        old.set_state(used_no_date, JournalState.UNKNOWN, code="GatewayTimeout",
                      note="Engage shows it used without a date: check by hand")
        never_answered = attempt(old, 2)
        old.set_state(never_answered, JournalState.UNKNOWN, code="GatewayTimeout")
    with Journal(tmp_path / "till.sqlite3") as journal:
        with psycopg.connect(fleet_url, autocommit=True) as conn:
            push(journal, conn, store="Store 1", terminal="Till 1")
        with psycopg.connect(fleet_admin) as admin:
            waiting = admin.execute("SELECT local_id FROM kiosk_needs_checking ORDER BY local_id"
                                    ).fetchall()
        assert waiting == [(used_no_date,), (never_answered,)]

        journal.resolve(used_no_date, applied=True, by="it-lena", reason="Engage: used 10:02")
        journal.resolve(never_answered, applied=False, by="it-lena", reason="still active")
        with psycopg.connect(fleet_url, autocommit=True) as conn:
            report = push(journal, conn, store="Store 1", terminal="Till 1")
        assert (report.sent, report.changed) == (2, 2)
        local = {r.id: r for r in journal.rows()}
    with psycopg.connect(fleet_admin) as admin:
        rows = admin.execute("SELECT local_id, state, engage_code, note, updated_at"
                             " FROM kiosk_redemptions ORDER BY local_id").fetchall()
        waiting = admin.execute("SELECT local_id FROM kiosk_needs_checking").fetchall()
        day = admin.execute("SELECT attempts, redeemed, not_redeemed, open FROM kiosk_store_day"
                            ).fetchall()
    assert [(i, s, c, n) for i, s, c, n, _ in rows] == [
        (used_no_date, "verified-redeemed", "GatewayTimeout",
         "settled by hand by it-lena: Engage: used 10:02"),
        (never_answered, "verified-not-redeemed", "GatewayTimeout",
         "settled by hand by it-lena: still active"),
    ]
    for i, *_, updated in rows:
        assert updated.astimezone(UTC).isoformat(timespec="milliseconds") == local[i].updated_at
    assert waiting == [] and day == [(2, 1, 1, 0)]


def test_a_give_back_settled_by_hand_is_pushed_settled(tmp_path: Path, fleet_url: str,
                                                       fleet_admin: str) -> None:
    """A voucher's give-back (undo) whose answer was lost waits in "needs checking"; settled
    by hand as given back, it is pushed with its new state and counts as given back."""
    ago = datetime.now(UTC) - timedelta(hours=2)
    with Journal(tmp_path / "till.sqlite3", clock=lambda: ago) as old:
        voucher = old.begin(store="Store 1", terminal="Till 1", masked_card="•••• 0015",
                            contact_id="contact-1", offer_id="voucher-1", promotion_id=None,
                            offer_name="Bonuscheck 100 kr", value_applied="100 kr",
                            kind=Kind.VOUCHER)
        old.set_state(voucher, JournalState.REDEEMED)
        old.set_reactivation_state(old.begin_reactivation(voucher), ReactivationState.UNKNOWN,
                                   code="ConnectionLost")
    with Journal(tmp_path / "till.sqlite3") as journal:
        with psycopg.connect(fleet_url, autocommit=True) as conn:
            push(journal, conn, store="Store 1", terminal="Till 1")
        with psycopg.connect(fleet_admin) as admin:
            waiting = admin.execute("SELECT local_id FROM kiosk_needs_checking").fetchall()
        assert waiting == [(voucher,)]

        journal.resolve_undo(voucher, given_back=True, by="it-lena",
                             reason="usable again in Engage")
        with psycopg.connect(fleet_url, autocommit=True) as conn:
            report = push(journal, conn, store="Store 1", terminal="Till 1")
        assert report.changed == 1
    with psycopg.connect(fleet_admin) as admin:
        row = admin.execute("SELECT state, reactivation FROM kiosk_redemptions").fetchall()
        waiting = admin.execute("SELECT local_id FROM kiosk_needs_checking").fetchall()
        day = admin.execute("SELECT redeemed, given_back FROM kiosk_store_day").fetchall()
    assert row == [("redeemed", "verified-reactivated")]
    assert waiting == [] and day == [(0, 1)]
