"""The till's day: where it starts in its local zone, whatever the wall clock says.

F2 (today's redemptions) and the scan screen's "not confirmed" lines (today's at this till vs
earlier ones for IT) split the journal at the till's local midnight. The instants below are
the ones where a day boundary is easy to get wrong: just before and after midnight (local and
UTC), the two nights Stockholm changes to and from summer time (midnight's offset is not the
afternoon's), 29 February and New Year. The process's zone is set per test (``till_zone``),
so this holds on a CI machine in UTC too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.journal import Journal, JournalState, local_midnight
from kiosk.ui import open_attempts
from kiosk.ui.open_attempts import OpenAttempts

STOCKHOLM = "Europe/Stockholm"

#: (the till's zone, an instant in UTC) where a day boundary is easy to get wrong
INSTANTS = [
    (STOCKHOLM, "2026-11-29T22:58:00"),  # 23:58 local
    (STOCKHOLM, "2026-11-29T23:00:30"),  # 00:00:30 local, still 23:00 in UTC
    (STOCKHOLM, "2026-11-29T23:59:00"),
    (STOCKHOLM, "2026-11-30T00:05:00"),
    (STOCKHOLM, "2026-10-24T22:10:00"),  # 00:10 on the 25-hour day (CEST at midnight)
    (STOCKHOLM, "2026-10-25T00:30:00"),  # 02:30, the hour that happens twice (first time)
    (STOCKHOLM, "2026-10-25T01:30:00"),  # 02:30 again, now CET
    (STOCKHOLM, "2026-10-25T21:00:00"),  # the evening of that day (CET)
    (STOCKHOLM, "2027-03-27T23:10:00"),  # 00:10 on the 23-hour day (CET at midnight)
    (STOCKHOLM, "2027-03-28T00:30:00"),  # 01:30, just before the clocks jump
    (STOCKHOLM, "2027-03-28T01:00:00"),  # 03:00, just after
    (STOCKHOLM, "2027-03-28T20:00:00"),  # the evening of that day (CEST)
    (STOCKHOLM, "2028-02-28T23:30:00"),  # 00:30 on 29 February
    (STOCKHOLM, "2028-02-29T22:59:59"),  # 23:59:59 on 29 February
    (STOCKHOLM, "2026-12-31T22:58:00"),  # New Year's Eve 23:58
    (STOCKHOLM, "2026-12-31T23:02:00"),  # New Year's Day 00:02
    ("UTC", "2026-12-31T23:58:00"),
    ("UTC", "2027-01-01T00:05:00"),
    ("UTC", "2028-02-29T00:15:00"),
    ("America/Santiago", "2026-09-06T04:30:00"),  # 01:30 local: that day had no midnight
]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def expected_midnight(zone: str, now: datetime) -> datetime:
    """The day's first instant, from zoneinfo's rules (not the code under test's way)."""
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    first = datetime.combine(day, time(0), tz)
    # A zone that skips midnight: the first instant of that date is the jump.
    t = first.astimezone(UTC)
    while t.astimezone(tz).date() < day:
        t += timedelta(minutes=1)
    while (t - timedelta(minutes=1)).astimezone(tz).date() == day:
        t -= timedelta(minutes=1)
    return t


@pytest.mark.parametrize(("zone", "instant"), INSTANTS)
def test_the_tills_day_starts_at_its_local_midnight(
        till_zone: Callable[[str], None], zone: str, instant: str) -> None:
    till_zone(zone)
    now = utc(instant)
    midnight = local_midnight(now)
    assert midnight == expected_midnight(zone, now), (instant, midnight)
    assert midnight.astimezone(ZoneInfo(zone)).date() == now.astimezone(ZoneInfo(zone)).date()


@pytest.mark.parametrize(("zone", "instant"), INSTANTS)
def test_attempts_are_todays_from_the_tills_midnight(
        till_zone: Callable[[str], None], tmp_path: Path, zone: str, instant: str) -> None:
    """An attempt a minute after the till's midnight is today's (F2 lists it, "F2 to see
    it"); one a minute before is an earlier day's ("tell IT"). Before, the day started at
    ``now``'s offset: on Stockholm's summer-time nights an hour off all day (a 00:30 attempt
    on 25 October was "earlier", a 23:30 one on 27 March "today's")."""
    till_zone(zone)
    now = utc(instant)
    midnight = expected_midnight(zone, now)
    times = [midnight - timedelta(minutes=1), midnight + timedelta(minutes=1)]
    times = [t for t in times if t <= now]
    path = tmp_path / "journal.sqlite3"
    for n, when in enumerate(times):
        with Journal(path, clock=lambda when=when: when) as j:
            row = j.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0019",
                          contact_id=f"c{n}", offer_id=f"o{n}", promotion_id=None,
                          offer_name="Offer", value_applied="10 %")
            j.set_state(row, JournalState.UNKNOWN, code="GatewayTimeout")
    with Journal(path) as j:
        found = open_attempts.count(j, "Till 1", now=now)
    assert found == OpenAttempts(today=len(times) - 1, other=1), (instant, found)
