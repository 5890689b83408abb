"""The scan screen's steady line while the journal holds attempts nobody could settle.

A settled answer's notice ("Not confirmed — don't apply", "Used — check before applying")
leaves the scan screen after a while (``KioskApp.settle_notice_ttl``) or when newer ones push it
out; the attempt stays ``unknown`` in the journal until a reconciliation settles it. So while
the journal has such attempts the scan screen keeps a short line that says so (a count, no
card or name): today's at this till are on F2's list; attempts from an earlier day (F2 lists
today's) and undos still unverified are for IT (``kiosk journal resolve``): "tell IT". F4 never
hides it (it is not a settled answer); it goes when reconciliation (at start, after an outage,
or the idle till's re-check), a background check, staff at the till (F5 on F2's list, behind the
PIN) or IT by hand settles them; IT's ``kiosk journal resolve`` while the kiosk runs is noticed
within seconds (``KioskApp._watch_journal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.i18n import ngettext
from kiosk.journal import local_midnight

if TYPE_CHECKING:
    from kiosk.ui.services import JournalCounts


@dataclass(frozen=True)
class OpenAttempts:
    """How many attempts the journal holds unresolved (``pending``/``unknown``)."""

    #: redemptions begun today at this till: F2 lists them ("not verified: check")
    today: int = 0
    #: redemptions from an earlier day (or another till's name), and undos still unverified
    other: int = 0

    @property
    def total(self) -> int:
        return self.today + self.other


def count(journal: JournalCounts, terminal: str = "", now: datetime | None = None) -> OpenAttempts:
    """The journal's unresolved attempts, split as F2 lists them (``terminal`` "" = every
    till's; ``now``: the till's local time). Blocking: call it in a thread."""
    midnight = local_midnight(now)
    today = other = 0
    for row in journal.unresolved():
        if datetime.fromisoformat(row.created_at) >= midnight \
                and (not terminal or row.terminal == terminal):
            today += 1
        else:
            other += 1
    return OpenAttempts(today, other + len(journal.unresolved_reactivations()))


def lines(found: OpenAttempts) -> list[str]:
    """The scan screen's lines for ``found`` (none when nothing is open), in staff words."""
    out = []
    if found.today:
        out.append(ngettext("{n} redemption not confirmed — F2 to see it",
                            "{n} redemptions not confirmed — F2 to see them",
                            found.today).format(n=found.today))
    if found.other:
        # not on F2's list: for IT (``kiosk journal resolve``), in words staff can act on
        out.append(ngettext("{n} earlier redemption not confirmed — tell IT",
                            "{n} earlier redemptions not confirmed — tell IT",
                            found.other).format(n=found.other))
    return out
