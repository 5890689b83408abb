"""A member looked up by a personal number reaches the fleet database as "••••" alone: no
digit of the personnummer (its last four are the sensitive part) leaves the till."""

from __future__ import annotations

from pathlib import Path

import psycopg

from kiosk.engage.client import ClientTimeouts, EngageClient
from kiosk.fleet.push import push
from kiosk.journal import Journal
from kiosk.lookup import MemberLookup
from kiosk.redeem import OutcomeKind, Redeemer
from kiosk.sim import Simulator
from kiosk.sim.state import SimState

SSN = "197811247399"  # a valid personnummer


async def test_a_personal_numbers_redemption_is_pushed_without_its_digits(
        tmp_path: Path, fleet_url: str, fleet_admin: str) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    with Simulator(SimState(), rate_limit=None) as sim:
        cid = sim.state.add_contact(first_name="Maria", social_security_number=SSN)
        sim.state.add_offer(cid, name="20 % off", value_type="PERCENT", value=20)
        async with EngageClient(sim.url, sim.api_key, timeouts=ClientTimeouts(
                connect=1.0, read=2.0, lookup_deadline=2.0, redeem_read=2.0)) as client:
            lookup = MemberLookup(client, key="socialSecurityNumber")
            member, offers = await lookup.lookup(SSN)
            redeemer = Redeemer(client, journal, store="Store 1", terminal="Till 1")
            outcome = await redeemer.redeem(member, offers.usable[0])
    assert outcome.kind is OutcomeKind.REDEEMED
    with psycopg.connect(fleet_url, autocommit=True) as conn:
        report = push(journal, conn, store="Store 1", terminal="Till 1")
    assert report.sent == 1
    with psycopg.connect(fleet_admin) as admin:
        rows = admin.execute("SELECT masked_card FROM kiosk_redemptions").fetchall()
    assert rows == [("••••",)]
    journal.close()
