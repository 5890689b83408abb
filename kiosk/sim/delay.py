"""Injected waits that end on time: a fault's ``latency`` is what the client sees added.

``asyncio.sleep`` on a default loop wakes up to ~1 ms late: the loop waits in ``epoll_wait``,
whose timeout is whole milliseconds rounded up, and the thread then has to be scheduled
(0.9 ms median, 2–3 ms at p90 with four requests waiting together, measured). A benchmark that
subtracts round trips × latency counts that lateness as the client's. Two parts make the
simulator's waits end on time:

- :class:`PreciseEpollSelector`, the simulator loop's selector, waits with the microsecond
  timeout of ``select()`` on the epoll instance's own descriptor, so timers aren't rounded up
  to the next millisecond;
- :func:`delay` sleeps to :data:`FINAL_STRETCH` before its deadline and spends the rest
  yielding to the loop (other requests are served meanwhile), so the thread's wake-up delay
  falls before the deadline, not after it.
"""

from __future__ import annotations

import asyncio
import select
import selectors

#: Seconds before the deadline at which the timer sleep ends and the loop-turn wait begins: a
#: thread's usual wake-up delay on a precise selector (~0.3–0.4 ms median here).
FINAL_STRETCH = 0.0006
_FD_SETSIZE = 1024  # select() can't watch a descriptor at or above this


async def delay(seconds: float) -> None:
    """Wait ``seconds`` (>= 0) on the running loop, ending as soon after the deadline as a loop
    turn allows; cancellable like ``asyncio.sleep``. On a loop without
    :class:`PreciseEpollSelector` the sleep part may still end up to ~1 ms late."""
    if seconds <= 0:
        await asyncio.sleep(0)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    if seconds > FINAL_STRETCH:
        await asyncio.sleep(seconds - FINAL_STRETCH)
    while loop.time() < deadline:
        await asyncio.sleep(0)  # one loop turn: other requests' I/O and timers run meanwhile


if hasattr(selectors, "EpollSelector"):

    class PreciseEpollSelector(selectors.EpollSelector):
        """epoll, with a wait's timeout kept to the microsecond (``epoll_wait`` rounds it up to
        whole ms): an epoll descriptor is readable once any descriptor it watches is ready, so
        the wait is a ``select()`` on it, then a non-blocking ``epoll_wait`` collects."""

        def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            if timeout is not None and timeout > 0 and self.fileno() < _FD_SETSIZE:
                select.select([self.fileno()], [], [], timeout)
                timeout = 0
            return super().select(timeout)


def new_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose timers fire on time (see the module docstring); the default loop
    where epoll isn't available."""
    if hasattr(selectors, "EpollSelector"):
        return asyncio.SelectorEventLoop(PreciseEpollSelector())
    return asyncio.new_event_loop()
