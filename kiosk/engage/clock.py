"""The till's clock against Engage's, from each answer's ``Date`` header. No I/O, no Textual.

A lost redeem answer is settled by Engage's ``redeemedOn`` (Engage's clock) against the
attempt's window (the till's clock), so the two clocks must agree within
:data:`kiosk.attribution.CLOCK_MARGIN`. Nothing else checks that; a till whose time sync broke
drifts seconds to minutes over the weeks it runs. This module measures it for free from the
answers the kiosk gets anyway.

One answer bounds the offset (Engage − till, seconds). Engage stamped ``Date`` at some instant
between the till sending the request (``sent``) and reading the answer (``received``), and the
header carries whole seconds, so Engage's clock read between ``Date`` and ``Date + 1`` then.
Servers also refresh their ``Date`` only about once a second (ASP.NET Core's Kestrel on a
1-second heartbeat; uvicorn on its loop's tick), so it may trail their clock by up to
:data:`DATE_LAG` more. Hence::

    Date − received  <=  Engage − till  <=  Date + 1 + DATE_LAG − sent

The lower bound holds whatever the server's lag; the upper one needs the lag bounded. The
intersection over the recent answers (:data:`WINDOW` seconds, kept as one intersection per
:data:`BUCKET` seconds: a handful of floats whatever the traffic) narrows the interval to about
one second plus a round trip (the header's resolution).

Kept on this process's monotonic clock (``Engage − monotonic``), so a step of the till's wall
clock moves the offset at once instead of emptying the intersection; an empty intersection
(Engage's clock stepped, or an answer whose ``Date`` isn't Engage's) starts over from the new
answer. Skipped: answers with an ``Age`` header (served from a cache), 5xx (a gateway or proxy
may answer with its own clock) and 407 (the proxy's). No ``Date`` at all: nothing is known and
the kiosk behaves as it did before it measured (:meth:`ClockWatch.offset` is None).

Cost: :meth:`ClockWatch.observe` runs on every Engage answer; the header is parsed by a fixed
layout (RFC 9110's IMF-fixdate), the same second's once, and the rest is a few float
comparisons: ~4 µs CPU an answer in a loop, ~15 µs in the real client (headers included; its
caches are cold between answers), a few hundredths of a millisecond a scan.

Public API (``kiosk check`` reads it too): :class:`ClockWatch` (``observe``, ``offset``,
``off_by_more_than``, ``state``, ``describe``), :class:`Offset`, :class:`ClockState`,
:func:`parse_http_date`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import NamedTuple

from kiosk.attribution import CLOCK_MARGIN

__all__ = ["BUCKET", "DATE_LAG", "WINDOW", "ClockState", "ClockWatch", "Offset",
           "date_and_age", "parse_http_date"]

log = logging.getLogger("kiosk.engage.clock")

#: Seconds a server's ``Date`` may trail its own clock (it is refreshed about once a second).
DATE_LAG = 1.0
#: Seconds of answers the interval is intersected over (the till's clock drifts slowly).
WINDOW = 600.0
#: Seconds of answers intersected together before they are kept as one (low, high) pair.
BUCKET = 60.0
_INF = float("inf")
#: The default margin: the one the attribution allows between the two clocks.
MARGIN = CLOCK_MARGIN
#: Once off, back to "ok" only when the interval comes this much inside the margin (no flapping).
HYSTERESIS = 0.25
#: Seconds between two log lines about the state (a change meanwhile waits, if it stands).
QUIET = 60.0

_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


class Offset(NamedTuple):
    """Engage's clock minus the till's, in seconds: somewhere in ``[low, high]``."""

    low: float
    high: float

    def distance(self) -> float:
        """How far the interval lies from zero (0 when the clocks may agree exactly)."""
        return self.low if self.low > 0 else -self.high if self.high < 0 else 0.0

    def outside(self, margin: float) -> bool:
        """Does the whole interval lie beyond ``±margin`` (the clocks surely differ more)?"""
        return self.low > margin or self.high < -margin

    def describe(self) -> str:
        """For IT (log, journal note, F9's bracket): "till 5.1-6.0 s behind Engage"."""
        if self.low > 0:
            return f"till {self.low:.1f}-{self.high:.1f} s behind Engage"
        if self.high < 0:
            return f"till {-self.high:.1f}-{-self.low:.1f} s ahead of Engage"
        return f"Engage - till {self.low:+.1f} to {self.high:+.1f} s"


class ClockState(StrEnum):
    """What the watch says about the till's clock."""

    UNKNOWN = "unknown"  # no answer with a Date yet (or none lately)
    OK = "ok"  # within the margin, as far as the answers show
    OFF = "off"  # off Engage's by more than the margin, certainly


def parse_http_date(value: str | bytes) -> float | None:
    """An HTTP ``Date`` as POSIX seconds; None if it isn't one. IMF-fixdate
    ("Sun, 06 Nov 1994 08:49:37 GMT") by its fixed layout, its day cached; the obsolete
    forms (RFC 850, asctime) by ``email.utils``."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if len(text) == 29 and text[3] == "," and text.endswith(" GMT") and text[19] == ":":
        midnight = _day(text[5:16])
        try:
            hour, minute, second = int(text[17:19]), int(text[20:22]), int(text[23:25])
        except ValueError:
            return None
        if midnight is None or not (hour < 24 and minute < 60 and second <= 60):
            return None
        return midnight + hour * 3600 + minute * 60 + second
    from email.utils import mktime_tz, parsedate_tz  # rare forms: not on the start's path

    parts = parsedate_tz(text)
    if parts is None:
        return None
    if parts[9] is None:  # asctime's form has no zone: HTTP dates are GMT
        parts = (*parts[:9], 0)
    try:
        return float(mktime_tz(parts))
    except (OverflowError, ValueError):
        return None


@functools.lru_cache(maxsize=4)
def _day(text: str) -> float | None:
    """POSIX seconds at the start of an IMF-fixdate's "06 Nov 1994" (UTC)."""
    try:
        day, month, year = int(text[0:2]), _MONTHS[text[3:6]], int(text[7:11])
    except (KeyError, ValueError):
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if text[2] != " " or text[6] != " " or not 1 <= day <= _DAYS[month] + (leap and month == 2):
        return None
    # days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return float((era * 146097 + doe - 719468) * 86400)


def date_and_age(raw: Iterable[tuple[bytes, bytes]]) -> tuple[bytes | None, bytes | None]:
    """An answer's ``Date`` and ``Age`` headers from its raw header pairs (httpx's
    ``response.headers.raw``), in one pass: looking each up by name costs twice as much."""
    date = age = None
    for name, value in raw:
        if len(name) == 4:
            lower = name.lower()
            if lower == b"date":
                date = value
        elif len(name) == 3 and name.lower() == b"age":
            age = value
    return date, age


class ClockWatch:
    """The offset between Engage's clock and this till's, from the answers' ``Date`` headers.

    ``observe`` each answer (the client does); ``offset()`` is the interval now (None: unknown),
    ``off_by_more_than(margin)`` whether it lies wholly beyond ``±margin``. ``state`` (with a
    little hysteresis) and a WARNING log line when it changes (at most one per ``quiet``
    seconds) are for IT. ``wall`` and ``mono``
    are the clocks (``mono`` must be the clock of ``sent``/``received``: ``time.perf_counter``,
    the Engage client's own stamps).
    """

    def __init__(self, margin: float = MARGIN, *, window: float = WINDOW,
                 bucket: float = BUCKET, date_lag: float = DATE_LAG,
                 quiet: float = QUIET, wall: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.perf_counter) -> None:
        if margin < 0 or window <= 0 or not 0 < bucket <= window or date_lag < 0:
            raise ValueError("margin, date_lag >= 0; 0 < bucket <= window")
        self.margin = margin
        self.window = window
        self.bucket = bucket
        self.date_lag = date_lag
        self.quiet = quiet
        self._wall = wall
        self._mono = mono
        # The intersection (Engage − monotonic clock) by time bucket: the finished buckets of
        # the window as (bucket number, low, high), and the one answers go to now.
        self._older: deque[tuple[float, float, float]] = deque()
        self._older_low, self._older_high = -_INF, _INF
        self._bucket_at, self._bucket_low, self._bucket_high = -_INF, -_INF, _INF
        self._current: tuple[float, float, float] | None = None  # (low, high, newest received)
        self._state = ClockState.UNKNOWN
        self._told = ClockState.UNKNOWN  # the state the log last said
        self._quiet_until = -_INF  # no state-change line before (mono)
        self._last_date: str | bytes = ""
        self._last_epoch = 0.0
        #: answers used, and times the intersection came up empty and started over
        self.samples = 0
        self.restarts = 0
        self._restart_logged = -_INF
        self._slack = 1.0 + date_lag  # the header's second, and how stale it may be
        self._judged = (0.0, 0.0, 0.0)  # the interval (Engage − monotonic) and shift last judged

    def __repr__(self) -> str:
        return f"ClockWatch({self.state}, {self.offset()})"

    # --- measuring -------------------------------------------------------------------------

    def observe(self, date: str | bytes | None, sent: float, received: float, *,
                age: str | bytes | None = None, status: int = 200) -> None:
        """One answer: its ``Date`` header (None: none), when its request left and when it
        came back (``mono`` instants), its ``Age`` header and HTTP status (answers a cache,
        a gateway or a proxy may have made are skipped)."""
        if date is None or age is not None or status >= 500 or status == 407:
            return
        if date == self._last_date:  # answers in the same second: parsed once
            engage = self._last_epoch
        else:
            parsed = parse_http_date(date)
            if parsed is None:
                return
            self._last_date, self._last_epoch = date, engage = date, parsed
        if received < sent:
            return  # not one exchange's stamps
        low = engage - received
        high = engage + self._slack - sent
        at = received // self.bucket
        if at != self._bucket_at:
            self._next_bucket(at)
        current = self._current
        if current is not None and (low > current[1] or high < current[0]) \
                and received - current[2] <= self.window:
            self._restart(low, high, current, received)
        self.samples += 1
        if low > self._bucket_low:
            self._bucket_low = low
        if high < self._bucket_high:
            self._bucket_high = high
        low = max(self._bucket_low, self._older_low)
        high = min(self._bucket_high, self._older_high)
        self._current = (low, high, received)
        mono = self._mono()
        shift = self._wall() - mono
        judged = self._judged
        if low != judged[0] or high != judged[1] or abs(shift - judged[2]) > 0.001:
            self._judged = (low, high, shift)
            self._judge(low - shift, high - shift)  # the state can only change then
        if self._state is not self._told and mono >= self._quiet_until:
            self._tell(Offset(low - shift, high - shift), mono)

    def _next_bucket(self, at: float) -> None:
        """Answers go to bucket ``at`` from now on: the last one joins the finished ones, and
        those past the window are forgotten (their intersection made again, a few at most)."""
        older = self._older
        if self._bucket_low > -_INF:
            older.append((self._bucket_at, self._bucket_low, self._bucket_high))
        last = at - self.window / self.bucket  # this one and any before: past the window
        while older and older[0][0] <= last:
            older.popleft()
        self._older_low = max((b[1] for b in older), default=-_INF)
        self._older_high = min((b[2] for b in older), default=_INF)
        self._bucket_at, self._bucket_low, self._bucket_high = at, -_INF, _INF
        current = self._current
        if older and current is not None:
            self._current = (self._older_low, self._older_high, current[2])
        else:
            self._current = None  # nothing recent to agree or disagree with
            self._judged = (0.0, 0.0, 0.0)

    def _clear(self) -> None:
        self._older.clear()
        self._older_low, self._older_high = -_INF, _INF
        self._bucket_low, self._bucket_high = -_INF, _INF
        self._current = None
        self._judged = (0.0, 0.0, 0.0)

    def _restart(self, low: float, high: float, current: tuple[float, float, float],
                 received: float) -> None:
        """The new answer contradicts the recent ones: start over from it (said in the log
        at most once a window: a proxy answering from a cache must not fill it)."""
        self._clear()
        self.restarts += 1
        if received - self._restart_logged < self.window:
            return
        self._restart_logged = received
        wall_minus_mono = self._wall() - self._mono()
        log.info("clock vs Engage: an answer disagreed with the last ones (%s, before %s); "
                 "measuring again from it",
                 Offset(low - wall_minus_mono, high - wall_minus_mono).describe(),
                 Offset(current[0] - wall_minus_mono, current[1] - wall_minus_mono).describe())

    # --- reading ---------------------------------------------------------------------------

    def offset(self) -> Offset | None:
        """Engage's clock minus the till's wall clock now (seconds, an interval that holds the
        true offset), or None: no answer with a ``Date`` within the last :attr:`window`."""
        current = self._current  # one read: the metrics thread may call this too
        if current is None:
            return None
        mono = self._mono()
        if mono - current[2] > self.window:
            return None
        wall_minus_mono = self._wall() - mono
        return Offset(current[0] - wall_minus_mono, current[1] - wall_minus_mono)

    def off_by_more_than(self, margin: float | None = None) -> bool:
        """Is the till's clock surely off Engage's by more than ``margin`` (default: the
        watch's)? False when unknown: then nothing is known against the clock."""
        found = self.offset()
        return found is not None and found.outside(self.margin if margin is None else margin)

    @property
    def state(self) -> ClockState:
        """ok / off (with hysteresis) / unknown (no recent answer with a ``Date``)."""
        return ClockState.UNKNOWN if self.offset() is None else self._state

    def describe(self) -> str:
        """One line for IT: the state and the measured offset."""
        found = self.offset()
        if found is None:
            return "unknown (no answer with a Date header yet)"
        return f"{self.state}: {found.describe()} (margin {self.margin:g} s)"

    def _judge(self, low: float, high: float) -> None:
        """The state for the interval ``[low, high]`` (Engage − till now)."""
        far = low if low > 0 else -high if high < 0 else 0.0
        limit = self.margin - HYSTERESIS if self._state is ClockState.OFF else self.margin
        self._state = ClockState.OFF if far > limit else ClockState.OK

    def _tell(self, found: Offset, mono: float) -> None:
        """The log line for a change of state: one a minute at most (a clock right at the
        margin, or a server whose ``Date`` misbehaves, must not fill the log); a change made
        meanwhile is told when the minute is over, if it still stands."""
        was, now = self._told, self._state
        self._told, self._quiet_until = now, mono + self.quiet
        if now is ClockState.OFF:
            log.warning("clock vs Engage: OFF, %s (more than the %g s margin): a lost "
                        "redemption answer can't be settled by time until it is fixed; check "
                        "the till's time sync (timedatectl, NTP)", found.describe(), self.margin)
        elif was is ClockState.OFF:
            log.warning("clock vs Engage: ok again, %s (within the %g s margin)",
                        found.describe(), self.margin)
        else:
            log.info("clock vs Engage: ok, %s (within the %g s margin)", found.describe(),
                     self.margin)
