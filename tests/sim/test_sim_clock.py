"""The simulator's clock: one exact ``Date`` on every answer, shifted with ``clock_offset``
(set over HTTP too) together with the ``redeemedOn`` it stamps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from kiosk.sim import Simulator


def _date(r: httpx.Response) -> float:
    (value,) = r.headers.get_list("date")  # exactly one: uvicorn's own is off
    return parsedate_to_datetime(value).timestamp()


def test_every_answer_has_one_date_on_the_simulators_clock(sim: Simulator, api: httpx.Client,
                                                            offers: Callable[..., list[Any]]
                                                            ) -> None:
    before = time.time()
    r = api.get("/api/v2/contacts/count")
    assert before - 1 <= _date(r) <= time.time()
    assert api.get("/api/nope").status_code == 404 and _date(api.get("/api/nope")) > 0
    assert api.post("/sim/clock", json={"offset": -30}).json() == {"offset": -30.0}
    assert api.get("/sim/clock").json() == {"offset": -30.0}
    shifted = _date(api.get("/api/v2/contacts/count"))
    assert before - 31 <= shifted <= time.time() - 29
    card = sim.state.demo_cards()[0].card
    usable = next(o for o in offers(card) if not o["redeemed"])
    assert api.post(f"/api/v2/promotions/codes/{usable['id']}/redeem",
                    json={"redemptionChannel": "POS"}).status_code == 200
    used = next(o for o in offers(card) if o["id"] == usable["id"])
    stamp = datetime.fromisoformat(used["redeemedOn"]).timestamp()
    assert abs(stamp - (time.time() - 30)) < 2  # redeemedOn on the same (shifted) clock
    for bad in ({"offset": "5"}, {"offset": True}, {"offset": 1e12}, {}, []):
        assert api.post("/sim/clock", json=bad).status_code == 400
    sim.state.date_header = False
    assert "date" not in api.get("/api/v2/contacts/count").headers
