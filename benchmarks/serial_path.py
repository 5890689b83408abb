"""Figure 6: bytes written to a real pty -> ``CardScanned`` dispatched in the app.

The app is wired with ``KIOSK_SCANNER_PORT`` set to the pty's slave end, so the production
``SerialScanner`` thread (pyserial) reads it and the app's scan gate turns each line into a
``CardScanned`` message. Two cards alternate (the debouncer lets a different card through at
once); each scan waits for its offers screen before the next, as at a till.
"""

from __future__ import annotations

import asyncio
import os
from time import perf_counter
from typing import Any

from textual.message import Message

from kiosk.ui.messages import CardScanned, ScannerStatus

from .harness import DEADLINE, bench_card, running_kiosk
from .simproc import SimProcess
from .stats import summary


async def serial_to_card_scanned(sim: SimProcess, scans: int, warmup: int) -> dict[str, Any]:
    """Median/p95/max of pty write -> CardScanned, and of pty write -> offers painted."""
    cards = [bench_card(600), bench_card(601)]
    for card in cards:
        cid = sim.call("add_contact", first_name="Bench", card=card)
        sim.call("add_offers_bulk", contact_id=cid, n=4)
    master, slave = os.openpty()
    try:
        async with running_kiosk(sim, scanner_port=os.ttyname(slave)) as k:
            loop = asyncio.get_running_loop()
            arrived: asyncio.Future[float] | None = None
            connected = loop.create_future()

            def hook(message: Message) -> None:
                if isinstance(message, CardScanned) and arrived is not None \
                        and not arrived.done():
                    arrived.set_result(perf_counter())
                elif isinstance(message, ScannerStatus) and message.state == "connected" \
                        and not connected.done():
                    connected.set_result(True)

            k.hooks.append(hook)
            if k.app.scanner_state != "connected":
                await asyncio.wait_for(connected, DEADLINE)
            to_message: list[float] = []
            to_screen: list[float] = []
            for i in range(warmup + scans):
                card = cards[i % 2]
                arrived = loop.create_future()
                shown = k.probe.expect_screen("OffersScreen", not_this=k.app.screen)
                t0 = perf_counter()
                os.write(master, card.encode() + b"\r")
                t1 = await asyncio.wait_for(arrived, DEADLINE)
                t2 = await k.wait(shown, "the offers screen")
                if i >= warmup:
                    to_message.append((t1 - t0) * 1000)
                    to_screen.append((t2 - t0) * 1000)
            k.hooks.remove(hook)
    finally:
        os.close(master)
        os.close(slave)
    return {"pty_to_card_scanned_ms": summary(to_message),
            "pty_to_offers_painted_ms": summary(to_screen)}
