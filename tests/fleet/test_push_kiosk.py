"""A push runs beside the kiosk: it must never make a redemption wait."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.journal import Journal
from kiosk.offers import Member, Offer
from kiosk.redeem import OutcomeKind, Redeemer
from kiosk.scanner.barcode import mask_card
from kiosk.sim import Simulator
from kiosk.sim.state import SimState
from tests.fleet.tills import central_rows, local_rows, make_till
from tests.support import async_wait_until

CARD = "2012345678903"


def _blocked_pushes(admin: psycopg.Connection) -> int:
    return int(admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kiosk journal push'"
        " AND wait_event_type = 'Lock'").fetchone()[0])


async def test_the_kiosk_redeems_while_a_push_is_in_flight(tmp_path: Path, fleet_url: str,
                                                          fleet_admin: str) -> None:
    path = tmp_path / "journal.sqlite3"
    make_till(path, 300).close()
    kiosk_journal = Journal(path)  # the kiosk's own connection, as in `kiosk run`
    # Another session holds the central table, so the push (its own process, like the
    # timer's) stops in the middle of its first batch with the journal open.
    locker = psycopg.connect(fleet_admin)
    locker.execute("LOCK TABLE kiosk_redemptions IN EXCLUSIVE MODE")
    watch = psycopg.connect(fleet_admin, autocommit=True)
    push = subprocess.Popen([sys.executable, "-m", "kiosk", "journal", "push", "--path",
                             str(path), "--dsn", fleet_url, "--batch-size", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KIOSK_STORE_NAME": "Store 1"})
    try:
        await async_wait_until(lambda: _blocked_pushes(watch), timeout=60,
                               what="the push to be in flight")
        with Simulator(SimState(), rate_limit=None) as sim:
            cid = sim.state.add_contact(first_name="Anna", card=CARD)
            iid = sim.state.add_offer(cid, name="20 % off", value_type="PERCENT", value=20)
            offer = Offer(id=iid, promotion_id=None, name="20 % off", value_type="PERCENT",
                          value_text="20 %", till_instruction="Give 20 % off")
            member = Member(contact_id=cid, first_name="Anna", card=CARD,
                            masked_card=mask_card(CARD))
            async with EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(
                    connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=2.0)) as client:
                redeemer = Redeemer(client, kiosk_journal, store="Store 1", terminal="Till 1")
                outcome = await redeemer.redeem(member, offer)
        # Redeemed, journaled (pending with fsync, then redeemed), while the push still waits.
        assert outcome.kind is OutcomeKind.REDEEMED
        assert str(kiosk_journal.get(outcome.journal_id).state) == "redeemed"
        assert push.poll() is None and _blocked_pushes(watch) == 1
    finally:
        locker.rollback()
        locker.close()
    out, err = push.communicate(timeout=120)
    assert push.returncode == 0, err
    # The new row came after the push started: it waits for the next one, which sends it.
    assert kiosk_journal.unpushed() == 1
    second = subprocess.run([sys.executable, "-m", "kiosk", "journal", "push", "--path",
                             str(path), "--dsn", fleet_url], capture_output=True, text=True,
                            timeout=120, check=False, env={**os.environ,
                                                           "KIOSK_STORE_NAME": "Store 1"})
    assert second.returncode == 0 and "pushed 1 row(s)" in second.stdout, second.stderr
    assert central_rows(watch) == local_rows(kiosk_journal)
    watch.close()
    kiosk_journal.close()
