"""One member visit with two offers and two reward vouchers, redeeming one of each, and the
requests Engage received (from the simulator's request log). For issue 15's note:

    .venv/bin/python docs/voucher_visit.py

The kiosk's own services (``build_services``: lookup, redeemer, journal) against a fresh
simulator; the same calls the till makes when staff scan, choose the voucher, confirm, choose
the offer (same card again: the contact id comes from the cache), confirm.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from kiosk.config import Settings
from kiosk.engage.client import EngageClient
from kiosk.journal import Journal
from kiosk.sim import SimState, Simulator
from kiosk.ui.launch import build_services

CARD = "2004173000728"


async def visit(sim: Simulator, journal: Journal, settings: Settings) -> None:
    async with EngageClient(sim.url, sim.api_key) as client:
        services = build_services(settings, client, journal)
        member, offers = await services.lookup.lookup(CARD)
        assert member.rewards is not None and member.rewards.vouchers is not None
        print(f"header: {member.first_name} · {member.masked_card} · "
              f"{member.rewards.points.text if member.rewards.points else '-'}")
        print("offers:", [o.name for o in offers])
        print("vouchers:", [(v.name, v.value_text) for v in member.rewards.vouchers])
        voucher = member.rewards.vouchers[0]
        out = await services.redeemer.redeem(member, voucher)
        print(f"voucher {voucher.name}: {out.kind}")
        member, offers = await services.lookup.lookup(CARD)  # the same visit, list refreshed
        out = await services.redeemer.redeem(member, offers[0])
        print(f"offer {offers[0].name}: {out.kind}")


def main() -> None:
    now = datetime.now(UTC)
    state = SimState()
    cid = state.add_contact(first_name="Maja", card=CARD)
    state.add_offer(cid, name="15 % på en vara", value_type="PERCENT", value=15)
    state.add_offer(cid, name="Gratis tygkasse", value_type="MANUAL", value="Tygkasse",
                    instruction="Ge medlemmen en tygkasse.")
    for name, amount, days in (("Bonuscheck 200 kr", 200, 25), ("Bonuscheck 50 kr", 50, 60)):
        state.rewards.add_voucher(cid, name=name, amount=amount, currency="SEK",
                                  expires_on=now + timedelta(days=days))
    state.rewards.add_points(cid, 430)
    state.rewards.add_points(cid, 120, valid_from=now + timedelta(days=7))
    with tempfile.TemporaryDirectory() as tmp, Simulator(state, rate_limit=None) as sim:
        settings = Settings(engage_url=sim.url, engage_api_key=sim.api_key, store_name="Demo",
                            terminal_name="Till 1", journal_path=Path(tmp) / "j.sqlite3",
                            log_dir=Path(tmp) / "log")
        with Journal(settings.journal_path) as journal:
            asyncio.run(visit(sim, journal, settings))
            print("\nrequests Engage received:")
            for r in sim.requests:
                query = f"?{unquote(r.query)}" if r.query else ""
                body = f"  {r.body.decode()}" if r.body else ""
                print(f"  {r.method:4} {r.path}{query}{body}")
            print("\njournal:")
            for row in journal.rows():
                print(f"  {row.id} {row.kind:9} {row.offer_name:18} {row.value_applied:12} "
                      f"{row.state}")


if __name__ == "__main__":
    main()
