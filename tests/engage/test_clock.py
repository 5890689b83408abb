"""The clock watch (``kiosk.engage.clock``): the interval always holds the true offset, it
narrows, it starts over when the answers disagree, and it says so once per change."""

from __future__ import annotations

import logging
import math
import random
from email.utils import formatdate

import pytest

from kiosk.engage.clock import ClockState, ClockWatch, Offset, date_and_age, parse_http_date

#: The till's wall clock minus its monotonic clock (any constant: what a running process has).
BOOT = 1_764_460_000.0


class Till:
    """A till's two clocks and one Engage server, in simulated time (seconds).

    ``offset`` is Engage − till wall clock; ``lag`` how stale the server's Date may be (it
    refreshes its Date about once a second: up to ``lag`` seconds behind its clock)."""

    def __init__(self, offset: float, rng: random.Random, lag: float = 0.0) -> None:
        self.mono_now = 1000.0
        self.wall_minus_mono = BOOT
        self.offset = offset
        self.rng = rng
        self.lag = lag
        self.watch = ClockWatch(wall=lambda: self.mono_now + self.wall_minus_mono,
                                mono=lambda: self.mono_now)

    def answer(self, out: float, back: float, *, headers: dict[str, str] | None = None,
               status: int = 200) -> None:
        """One exchange: ``out`` s to reach Engage, ``back`` s for the answer to return."""
        sent = self.mono_now
        stamped = sent + out
        engage = stamped + self.wall_minus_mono + self.offset - self.rng.uniform(0, self.lag)
        self.mono_now = stamped + back
        headers = {"date": formatdate(math.floor(engage), usegmt=True), **(headers or {})}
        self.watch.observe(headers.get("date"), sent, self.mono_now, age=headers.get("age"),
                           status=status)

    def wait(self, seconds: float) -> None:
        self.mono_now += seconds


@pytest.mark.parametrize("seed", range(40))
def test_the_true_offset_is_always_inside_and_the_interval_narrows(seed: int) -> None:
    rng = random.Random(seed)
    offset = rng.choice([rng.uniform(-300, 300), rng.uniform(-3, 3)])
    till = Till(offset, rng, lag=rng.choice([0.0, 1.0]))
    widths = []
    for _ in range(60):
        till.answer(rng.expovariate(1 / 0.02), rng.expovariate(1 / 0.02))
        found = till.watch.offset()
        assert found is not None and found.low <= offset <= found.high, (offset, found)
        widths.append(found.high - found.low)
        till.wait(rng.uniform(0.1, 8))
    assert widths[0] >= 1.9  # one answer: the Date's second, its lag allowance, a round trip
    assert widths[-1] <= 1.0 + 0.2  # the header's second at most, once answers spread over it
    assert till.watch.restarts == 0


@pytest.mark.parametrize("seed", range(5))
def test_hours_of_answers_keep_the_truth_inside_as_old_ones_are_forgotten(seed: int) -> None:
    rng = random.Random(seed)
    offset = rng.uniform(-10, 10)
    till = Till(offset, rng, lag=1.0)
    for _ in range(400):  # ~1 h 10 min: the window's buckets come and go
        till.answer(rng.expovariate(1 / 0.05), rng.expovariate(1 / 0.05))
        found = till.watch.offset()
        assert found is not None and found.low <= offset <= found.high, (offset, found)
        assert found.high - found.low < 2.6
        till.wait(rng.uniform(0.1, 20))
    assert till.watch.restarts == 0 and len(till.watch._older) <= 10


def test_off_by_more_than_the_margin_either_way_and_not_when_within() -> None:
    for offset, off in ((5.0, True), (-5.0, True), (0.0, False), (0.4, False), (-0.4, False)):
        till = Till(offset, random.Random(1))
        for _ in range(20):
            till.answer(0.01, 0.01)
            till.wait(0.37)
        assert till.watch.off_by_more_than(1.0) is off, offset
        assert till.watch.state is (ClockState.OFF if off else ClockState.OK)


def test_no_date_header_knows_nothing() -> None:
    watch = ClockWatch()
    watch.observe(None, 1.0, 1.1)
    watch.observe("not a date", 1.0, 1.1)
    assert watch.offset() is None and not watch.off_by_more_than(1.0)
    assert watch.state is ClockState.UNKNOWN and watch.samples == 0


def test_cached_and_gateway_answers_are_skipped() -> None:
    till = Till(0.0, random.Random(2))
    till.offset = 50.0  # a cache's or a proxy's own clock
    till.answer(0.01, 0.01, headers={"age": "3"})
    till.answer(0.01, 0.01, status=502)
    till.answer(0.01, 0.01, status=407)
    assert till.watch.samples == 0 and till.watch.offset() is None


def test_a_till_clock_step_moves_the_offset_at_once() -> None:
    till = Till(0.0, random.Random(3))
    for _ in range(10):
        till.answer(0.01, 0.01)
        till.wait(1.3)
    assert till.watch.state is ClockState.OK
    till.wall_minus_mono -= 7.0  # someone set the till's clock 7 s back: Engage − till is +7
    till.offset = 7.0
    found = till.watch.offset()
    assert found is not None and found.low <= 7.0 <= found.high and found.outside(1.0)
    till.answer(0.01, 0.01)  # the next answer agrees: nothing to start over
    assert till.watch.restarts == 0 and till.watch.state is ClockState.OFF


def test_engage_stepping_starts_over_from_the_new_answers(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    caplog.set_level(logging.INFO, "kiosk.engage.clock")
    till = Till(0.0, random.Random(4))
    for _ in range(10):
        till.answer(0.01, 0.01)
        till.wait(1.3)
    till.offset = -30.0  # Engage's clock (or what answers for it) stepped
    for _ in range(5):
        till.answer(0.01, 0.01)
        till.wait(1.3)
    found = till.watch.offset()
    assert found is not None and found.low <= -30.0 <= found.high
    assert till.watch.restarts == 1 and till.watch.state is ClockState.OFF
    assert sum("measuring again" in r.message for r in caplog.records) == 1


def test_old_answers_are_forgotten_and_a_silent_engage_is_unknown() -> None:
    till = Till(3.0, random.Random(5))
    till.answer(0.01, 0.01)
    till.wait(till.watch.window + 1)
    assert till.watch.offset() is None and till.watch.state is ClockState.UNKNOWN
    assert not till.watch.off_by_more_than(1.0)
    till.offset = -3.0  # what was measured long ago doesn't contradict what comes now
    till.answer(0.01, 0.01)
    assert till.watch.restarts == 0 and till.watch.off_by_more_than(1.0)


def test_a_warning_when_the_state_changes_never_per_answer(caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    caplog.set_level(logging.INFO, "kiosk.engage.clock")
    till = Till(0.0, random.Random(6))
    for offset in (0.0, 5.0, 0.0):
        till.wall_minus_mono += till.offset - offset  # NTP broke, then was fixed (a step)
        till.offset = offset
        for _ in range(20):
            till.answer(0.01, 0.01)
            till.wait(3.5)  # 70 s a phase: each change told at once
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert "OFF, till 5" in warnings[0] and "behind Engage" in warnings[0]
    assert "ok again" in warnings[1]


def test_a_flapping_clock_is_told_once_a_minute_at_most(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    caplog.set_level(logging.INFO, "kiosk.engage.clock")
    till = Till(0.0, random.Random(7))
    for step in range(40):  # the till's clock stepped 5 s back and forth every 3 s
        offset = 5.0 if step % 2 else 0.0
        till.wall_minus_mono += till.offset - offset
        till.offset = offset
        till.answer(0.01, 0.01)
        till.wait(3.0)
    till.offset = 0.0
    told = [r for r in caplog.records if r.name == "kiosk.engage.clock" and "margin" in
            r.getMessage()]
    assert 2 <= len(told) <= 3, [r.getMessage() for r in told]  # 120 s: one a minute


def test_parse_http_date() -> None:
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777.0
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777.0  # RFC 850
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777.0  # asctime
    for bad in ("", "Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 36 Nov 1994 08:49:37 GMT",
                "Sun, 06 Nov 1994 28:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT", "yesterday"):
        assert parse_http_date(bad) is None, bad


def test_offset_words_for_it() -> None:
    assert Offset(5.04, 6.1).describe() == "till 5.0-6.1 s behind Engage"
    assert Offset(-6.1, -5.04).describe() == "till 5.0-6.1 s ahead of Engage"
    assert Offset(-0.2, 0.8).describe() == "Engage - till -0.2 to +0.8 s"
    assert Offset(-0.2, 0.8).distance() == 0.0 and Offset(2, 3).distance() == 2


def test_date_and_age_from_raw_headers() -> None:
    raw = [(b"Content-Type", b"application/json"), (b"DATE", b"Sun, 06 Nov 1994 08:49:37 GMT"),
           (b"Age", b"12"), (b"x-cache", b"HIT")]
    assert date_and_age(raw) == (b"Sun, 06 Nov 1994 08:49:37 GMT", b"12")
    assert date_and_age([(b"date2", b"x"), (b"ages", b"1")]) == (None, None)
    assert parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT") == 784111777.0
