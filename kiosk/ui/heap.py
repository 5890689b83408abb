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
  left behind are collected between customers, not during the next one.

And during start-up no collection at all: ``hold()`` (``kiosk run``, before the settings)
turns the collector off, ``release()`` (after the scan screen's first frame) freezes what
start-up made and turns it on again. Start-up builds long-lived objects (modules, classes,
Textual's stylesheet), so its collections free almost nothing: a full one (~20-25 ms) and a
dozen middle ones (~1.5 ms each) collected a few hundred objects in all before the first frame
(``gc.callbacks``, 2026-11-29); those few stay, frozen.
"""

from __future__ import annotations

import gc

#: Net container allocations between young collections (Python's default is 700).
YOUNG = 10_000
#: Young collections per middle one, middle per full one (Python's defaults).
MIDDLE, OLD = 10, 10


def hold() -> None:
    """No collections until ``release()`` (start-up; see the module docstring)."""
    gc.disable()


def release() -> None:
    """After ``hold()``: freeze what start-up made, without walking it, and collect again as
    usual. Without a ``hold()`` (tests), nothing."""
    if not gc.isenabled():
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
    """A full collection of what isn't frozen: the garbage one customer left (a few ms)."""
    gc.collect()
