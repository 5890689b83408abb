"""Whose redemption is it? Attributing a used offer to an attempt by Engage's ``redeemedOn``.

When the answer to a redeem is lost, re-reading the member's offers shows *that* the instance
is used, not *who* used it: another till, an earlier visit or our own request may have.
Engage's ``redeemedOn`` says *when*; an attempt can only have used it after its POST left. So
a used instance is ours only when its ``redeemedOn`` lies inside one of our open attempts'
windows (from just before the POST left, minus :data:`CLOCK_MARGIN`, until the settle window
after it, the time Engage may still commit it, plus the margin; the re-read comes within that
window, or later when Engage was unreachable for all of it); a ``redeemedOn`` outside every
window means someone else used it; no ``redeemedOn`` (or the instance no longer listed) proves
nothing, and is never "apply". Pure functions, no I/O.

The margin: ``redeemedOn`` is stamped by Engage's clock, the window by the till's. An
NTP-synced till and Engage agree within tens of milliseconds; one second allows for a till
whose clock has drifted a little and for Engage rounding to the second, while still placing
another till's redemption of the same offer before ours unless it happened less than a
second before our POST left (the same offer used at two tills within a second).
A till whose clock is further off than the margin breaks both ways (ahead: our own redemption
looks older than our attempt, "already used"; behind: another till's redemption just before
ours falls inside our window, "apply"). :mod:`kiosk.engage.clock` measures the offset from
every Engage answer's ``Date``; while it is surely beyond the margin (or was when the answer
was lost) :class:`kiosk.redeem.Redeemer` doesn't use these rules for a dated use at all: a
person checks it (see ``Redeemer._decide_off_clock``).

What this cannot do: tell two attempts apart whose windows both contain ``redeemedOn``
(a member at two tills at once while both answers are lost). One till's open attempts are
told apart by the latest one that had started by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic: imported with the first Engage payload, after the first frame
    from kiosk.engage.models import Promotion

#: Seconds Engage's clock may lag this till's (see the module docstring).
CLOCK_MARGIN = 1.0


class Evidence(StrEnum):
    """What one re-read says about one instance."""

    ACTIVE = "active"  # listed and not used: nothing committed yet (Engage may still commit)
    USED_DATED = "used-dated"  # used, with redeemedOn
    USED_UNDATED = "used-undated"  # used without redeemedOn, or no longer listed


@dataclass(frozen=True)
class Seen:
    """One instance as a re-read showed it."""

    evidence: Evidence
    redeemed_on: datetime | None = None


def seen_in(promotions: Sequence[Promotion], offer_id: str) -> Seen:
    """The instance ``offer_id`` in a re-read of the member's offers."""
    found = next((p for p in promotions if p.id == offer_id), None)
    if found is None:
        return Seen(Evidence.USED_UNDATED)  # gone: used or withdrawn, nobody says when
    if not found.redeemed and found.redeemed_on is None:
        return Seen(Evidence.ACTIVE)
    if found.redeemed_on is None or found.redeemed_on.tzinfo is None:
        return Seen(Evidence.USED_UNDATED)  # no date, or one without a zone: can't compare
    return Seen(Evidence.USED_DATED, found.redeemed_on)


@dataclass(frozen=True)
class Attempt:
    """One of our attempts at an instance: its journal row and when its POST was about to leave."""

    row_id: int
    started: datetime


def owner(redeemed_on: datetime, attempts: Sequence[Attempt],
          margin: float = CLOCK_MARGIN, window: float | None = None) -> Attempt | None:
    """The attempt whose window holds ``redeemed_on``: the latest one started by then (less the
    margin), if its window (``window`` seconds after it started, plus the margin; unbounded
    when None) had not ended by then; None if it was used before every attempt, or after the
    window of the latest one that had started."""
    slack = timedelta(seconds=margin)
    started = [a for a in attempts if a.started - slack <= redeemed_on]
    if not started:
        return None
    latest = max(started, key=lambda a: a.started)
    if window is not None and redeemed_on > latest.started + timedelta(seconds=window) + slack:
        return None  # used after Engage could still commit our attempt: someone else's
    return latest


def before(redeemed_on: datetime, attempt: Attempt, margin: float = CLOCK_MARGIN) -> bool:
    """Was the instance used before ``attempt``'s window opened (rather than after it closed)?"""
    return redeemed_on < attempt.started - timedelta(seconds=margin)
