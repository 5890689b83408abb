"""One life of the soak's crash-prone till: ``python -m benchmarks.soak_till CONFIG_JSON``.

Reads one job per line on stdin (``{"member": {...}, "offer": {...}}``), redeems it with the
real :class:`kiosk.redeem.Redeemer` on its own journal, and prints one JSON line per answer
staff would read (``{"event": "told", ...}``), including answers a background check settles
later. The soak SIGKILLs this process at a random moment; its journal is what survives.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from kiosk.engage.client import EngageClient
from kiosk.offers import Member, Offer

from .soak import make_redeemer, open_journal, outcome_event


def _say(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def _main(cfg: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with EngageClient(cfg["url"], cfg["api_key"], user_agent=cfg["agent"],
                            timeouts=cfg_timeouts(cfg)) as client:
        journal = open_journal(Path(cfg["journal"]), cfg.get("journal_delay", 0.0))
        redeemer = make_redeemer(client, journal, cfg["till"], cfg,
                                 on_settled=lambda o: _say(outcome_event(o, settled=True)))
        _say({"event": "ready"})
        while line := await reader.readline():
            job = json.loads(line)
            member = Member(**job["member"])
            offer = Offer(**job["offer"])
            _say({"event": "start", "offer_id": offer.id})
            try:
                outcome = await redeemer.redeem(member, offer)
            except Exception as exc:  # counted by the soak as (e)
                _say({"event": "exception", "error": f"{type(exc).__name__}: {exc}"})
                continue
            _say(outcome_event(outcome, settled=False))
        drain = getattr(redeemer, "drain", None)
        if drain is not None:
            await drain()
        _say({"event": "idle"})


def cfg_timeouts(cfg: dict[str, Any]) -> Any:
    from kiosk.engage.client import ClientTimeouts

    return ClientTimeouts(connect=1.0, read=2.0, lookup_deadline=2.0,
                          redeem_read=cfg["redeem_timeout"])


if __name__ == "__main__":
    logging.getLogger().addHandler(logging.NullHandler())
    asyncio.run(_main(json.loads(sys.argv[1])))
