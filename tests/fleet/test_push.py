"""``kiosk journal push`` against a real PostgreSQL server (a throwaway cluster).

What the back office must be able to rely on: every attempt arrives once, in its newest state,
whatever the order, overlap, repetition or interruption of the pushes that carried it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from kiosk.fleet.push import push
from kiosk.journal import Journal
from tests.fleet.tills import ENDINGS, S, attempt, central_rows, local_rows, make_till


def _push(journal: Journal, url: str, **kw: object):  # noqa: ANN202 - the PushReport
    with psycopg.connect(url, autocommit=True) as conn:
        return push(journal, conn, store="Store 1", terminal="Till 1", **kw)  # type: ignore[arg-type]


def test_push_sends_every_row_once_then_only_changes(tmp_path: Path, fleet_url: str,
                                                     fleet_admin: str) -> None:
    journal = make_till(tmp_path / "j.sqlite3", 40)
    first = _push(journal, fleet_url, batch_size=7)
    assert (first.sent, first.changed, first.batches, first.left) == (40, 40, 6, 0)
    with psycopg.connect(fleet_admin) as admin:
        assert central_rows(admin) == local_rows(journal)

    again = _push(journal, fleet_url)
    assert (again.sent, again.changed) == (0, 0)

    # Two attempts settle and one new one starts: exactly those three travel.
    open_ids = [r.id for r in journal.rows(states=[S.PENDING])][:2]
    for row_id in open_ids:
        journal.set_state(row_id, S.REDEEMED)
    attempt(journal, 1000)
    third = _push(journal, fleet_url)
    assert (third.sent, third.changed) == (3, 3)
    with psycopg.connect(fleet_admin) as admin:
        assert central_rows(admin) == local_rows(journal)
        till = admin.execute("SELECT store, terminal, last_change FROM kiosk_tills").fetchall()
    assert till == [("Store 1", "Till 1", journal.last_change())]
    journal.close()


def test_an_older_copy_of_a_journal_never_takes_a_row_back(tmp_path: Path, fleet_url: str,
                                                          fleet_admin: str) -> None:
    """A journal restored from yesterday's backup pushes stale states: the newest stay."""
    path = tmp_path / "j.sqlite3"
    journal = make_till(path, 16)
    journal.close()
    shutil.copy(path, tmp_path / "backup.sqlite3")
    journal = Journal(path)
    for row in journal.rows(states=[S.PENDING, S.UNKNOWN]):
        journal.set_state(row.id, S.VERIFIED_REDEEMED)
    _push(journal, fleet_url)
    with Journal(tmp_path / "backup.sqlite3") as stale:
        assert stale.till_id() == journal.till_id()
        report = _push(stale, fleet_url)
    assert report.sent == 16 and report.changed == 0
    with psycopg.connect(fleet_admin) as admin:
        assert central_rows(admin) == local_rows(journal)
    journal.close()


def test_views_per_store_day_per_offer_and_needs_checking(tmp_path: Path, fleet_url: str,
                                                         fleet_admin: str) -> None:
    now = datetime.now(UTC)
    old = make_till(tmp_path / "old.sqlite3", 8, store="Store 12", terminal="Till 3",
                    clock=lambda: now - timedelta(hours=2))
    fresh = make_till(tmp_path / "new.sqlite3", 8, store="Store 12", terminal="Till 4")
    with psycopg.connect(fleet_admin, autocommit=True) as admin:
        # Both tills' attempts on one business day: Stockholm's 00:00-02:00 would put the old
        # till's on the day before (this failed every night 23:00-01:00 UTC).
        zone = "UTC" if now.hour >= 3 else "Etc/GMT-12"  # UTC+12: 12:00-14:59 then
        admin.execute("UPDATE kiosk_fleet_settings SET time_zone = %s", (zone,))
    for journal in (old, fresh):
        with psycopg.connect(fleet_url, autocommit=True) as conn:
            push(journal, conn, store="Store 12", terminal="Till")
    with psycopg.connect(fleet_admin) as admin:
        day = admin.execute("SELECT store, attempts, redeemed, rejected, not_redeemed, open,"
                            " tills FROM kiosk_store_day").fetchall()
        offers = admin.execute("SELECT promotion_id, attempts FROM kiosk_offer_totals"
                               " ORDER BY promotion_id").fetchall()
        checking = admin.execute("SELECT terminal, state FROM kiosk_needs_checking"
                                 " ORDER BY local_id").fetchall()
    # ENDINGS over 8 rows: 4 redeemed/verified-redeemed, 1 rejected, 1 not redeemed,
    # 2 open (one pending, one unknown) - per till.
    assert sum(e in ((S.REDEEMED,), (S.UNKNOWN, S.VERIFIED_REDEEMED), (S.VERIFIED_REDEEMED,))
               for e in ENDINGS) == 4
    assert day == [("Store 12", 16, 8, 2, 2, 4, 2)]
    assert offers == [(f"promo-{n}", c) for n, c in enumerate((4, 4, 4, 2, 2))]
    # Only the till whose open attempts are two hours old needs checking; fresh ones may settle.
    assert checking == [("Till 3", "pending"), ("Till 3", "unknown")]
    old.close()
    fresh.close()
