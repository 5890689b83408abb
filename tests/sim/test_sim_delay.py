"""The simulator's injected waits: never shorter than asked, other work served meanwhile, and
the precise selector still reports ready descriptors and waits out its timeout."""

from __future__ import annotations

import asyncio
import selectors
import socket
import time

import pytest

from kiosk.sim.delay import FINAL_STRETCH, delay, new_loop


@pytest.mark.parametrize("seconds", [0.0, FINAL_STRETCH / 2, FINAL_STRETCH, 0.003, 0.02])
def test_a_delay_never_ends_before_its_deadline(seconds: float) -> None:
    loop = new_loop()
    try:
        async def waited() -> float:
            t0 = loop.time()
            await delay(seconds)
            return loop.time() - t0

        assert loop.run_until_complete(waited()) >= seconds
    finally:
        loop.close()


def test_other_tasks_run_during_the_final_stretch() -> None:
    loop = new_loop()
    turns = 0

    async def other() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def main() -> None:
        task = asyncio.ensure_future(other())
        await asyncio.sleep(0)
        before = turns
        await delay(FINAL_STRETCH)  # all of it spent in loop turns
        task.cancel()
        assert turns > before + 1

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_a_delay_can_be_cancelled() -> None:
    loop = new_loop()

    async def main() -> None:
        task = asyncio.ensure_future(delay(30))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 5))
    finally:
        loop.close()


@pytest.mark.skipif(not hasattr(selectors, "EpollSelector"), reason="epoll is Linux's")
def test_the_precise_selector_reports_ready_sockets_and_waits_its_timeout() -> None:
    from kiosk.sim.delay import PreciseEpollSelector

    a, b = socket.socketpair()
    sel = PreciseEpollSelector()
    try:
        sel.register(a, selectors.EVENT_READ, "a")
        t0 = time.monotonic()
        assert sel.select(0.003) == []
        assert time.monotonic() - t0 >= 0.003
        b.send(b"x")
        t0 = time.monotonic()
        ready = sel.select(5)
        assert [(key.data, events) for key, events in ready] == [("a", selectors.EVENT_READ)]
        assert time.monotonic() - t0 < 4  # woken by the data, not the timeout
        assert [key.data for key, _ in sel.select(0)] == ["a"]
        assert [key.data for key, _ in sel.select(None)] == ["a"]
    finally:
        sel.close()
        a.close()
        b.close()
