"""Python's garbage collector tuned for a till: no full collection in front of a customer.

A full collection walks every container object in the process: with Textual, pydantic and
httpx loaded that is hundreds of thousands of objects, 50-200 ms on a till's CPU, and it
lands wherever the allocation count says, often inside a scan (it was most of the scan and
redeem p95 in the benchmark). Three changes, made by ``kiosk run`` only (``KioskApp``'s
``tune_gc``; tests build many apps in one process and keep Python's defaults):

- ``settle()`` once start-up is over: collect, then ``gc.freeze()`` what survived (modules,
  classes, stylesheets: objects that live as long as the process) so later collections
  never walk them again.
- ``tune()``: a young generation of ``YOUNG`` objects instead of 700, so one scan's
  short-lived widgets and strips cost about one young collection instead of ~9.
- ``collect()`` when the scan screen has been idle a while: the cycles a customer
  left behind are collected between customers, not during the next one. It first empties
  Textual's caches whose keys hold widgets (kiosk.ui.widget_caches): removed widgets' style
  caches and rendered lines stayed alive there, ~11 MB once its 1,024 entries were full.
- ``FlowHold``: no automatic collection at all from a scan or a confirmed redemption until
  its answer is painted (a young one cost 5-10 ms in half the scans, a full one 50-90 ms in
  the confirm -> result p95). Python's counters keep counting while it is off, so the
  collection that was due runs right after the frame, while staff read it. Bounded: a flow
  that never reports back gets collection back after ``HOLD_AT_MOST`` seconds.

And during start-up no collection at all: ``hold()`` (``kiosk run``, before the settings)
turns the collector off, ``release()`` (after the scan screen's first frame) freezes what
start-up made and turns it on again. Start-up builds long-lived objects (modules, classes,
Textual's stylesheet), so its collections free almost nothing: a full one (~20-25 ms) and a
dozen middle ones (~1.5 ms each) collected a few hundred objects in all before the first frame
(``gc.callbacks``, 2026-11-29); those few stay, frozen. (A ``FlowHold`` started meanwhile
doesn't hold: the collector is off by someone else's choice.)
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from kiosk.ui import widget_caches

if TYPE_CHECKING:  # ``kiosk run`` imports this module before its settings, Textual after them
    from textual.message_pump import MessagePump
    from textual.timer import Timer

#: Net container allocations between young collections (Python's default is 700).
YOUNG = 10_000
#: Young collections per middle one, middle per full one (Python's defaults).
MIDDLE, OLD = 10, 10
#: Longest one flow keeps automatic collection off (seconds): a scan or redemption that never
#: reports back (Engage's timeouts end one well before) can't make the heap grow unchecked.
HOLD_AT_MOST = 3.0
_start = {"held": False}


def hold() -> None:
    """No collections until ``release()`` (start-up; see the module docstring)."""
    gc.disable()
    _start["held"] = True


def release() -> None:
    """After ``hold()``: freeze what start-up made, without walking it, and collect again as
    usual. Without a ``hold()`` (tests), nothing (nor does it end a ``FlowHold``)."""
    if _start["held"]:
        _start["held"] = False
        gc.freeze()
        gc.enable()


def tune() -> None:
    """Fewer, larger young collections (see the module docstring)."""
    gc.set_threshold(YOUNG, MIDDLE, OLD)


def settle() -> None:
    """Collect everything now and exempt what survives from every later collection."""
    gc.collect()
    gc.freeze()


def collect() -> None:
    """A full collection of what isn't frozen: the garbage one customer left (a few ms), with
    what Textual's caches kept of the widgets it removed (``widget_caches.clear``)."""
    widget_caches.clear()
    gc.collect()


class FlowHold:
    """Automatic collection off while a flow runs (see the module docstring).

    ``hold()`` when a scan or a confirmed redemption starts (again while held: the first
    deadline stays, so keys typed without end can't keep it off),
    ``release()`` once its answer is painted; ``release()`` is harmless when nothing is held.
    Only ever turns back on a collector it turned off itself.
    """

    def __init__(self, owner: MessagePump) -> None:
        self._owner = owner
        self._timer: Timer | None = None
        self.held = False

    def hold(self) -> None:
        """No automatic collection until ``release()``, at most ``HOLD_AT_MOST`` seconds."""
        if self.held or not gc.isenabled():
            return  # held already (the deadline stays), or off by someone else's choice
        gc.disable()
        self.held = True
        self._timer = self._owner.set_timer(HOLD_AT_MOST, self.release, name="gc hold")

    def release(self) -> None:
        """Automatic collection back on; a collection that fell due runs at the next
        allocation (after the frame that ended the flow)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.held:
            self.held = False
            gc.enable()
