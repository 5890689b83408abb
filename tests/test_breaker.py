"""CircuitBreaker: a pure state machine driven by a fake clock."""

from __future__ import annotations

import pytest

from kiosk.breaker import CircuitBreaker
from tests.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_starts_closed_and_allows(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=3, cooldown=10, clock=clock)
    assert b.state == "closed"
    assert b.allow()
    assert b.retry_in() == 0.0


def test_opens_after_threshold_consecutive_failures(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=3, cooldown=10, clock=clock)
    b.record_failure()
    b.record_failure()
    assert b.state == "closed" and b.allow()
    b.record_failure()
    assert b.state == "open"
    assert not b.allow()
    assert b.retry_in() == pytest.approx(10.0)
    clock.advance(4)
    assert b.retry_in() == pytest.approx(6.0)


def test_success_resets_the_count(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=3, cooldown=10, clock=clock)
    b.record_failure()
    b.record_failure()
    b.record_success()
    b.record_failure()
    b.record_failure()
    assert b.state == "closed"
    assert b.failures == 2


def test_half_open_allows_exactly_one_probe(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=1, cooldown=10, clock=clock)
    b.record_failure()
    clock.advance(9.99)
    assert not b.allow()
    clock.advance(0.01)
    assert b.state == "half-open"
    assert b.allow()          # the probe
    assert not b.allow()      # everyone else waits for its result
    assert b.retry_in() == pytest.approx(10.0)


def test_probe_success_closes(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=2, cooldown=5, clock=clock)
    b.record_failure()
    b.record_failure()
    clock.advance(5)
    assert b.allow()
    b.record_success()
    assert b.state == "closed"
    assert b.allow() and b.allow()
    # Closed again means the full threshold applies afresh.
    b.record_failure()
    assert b.state == "closed"


def test_probe_failure_reopens_for_a_full_cooldown(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=2, cooldown=5, clock=clock)
    b.record_failure()
    b.record_failure()
    clock.advance(6)
    assert b.allow()
    b.record_failure()
    assert b.state == "open"
    assert not b.allow()
    assert b.retry_in() == pytest.approx(5.0)
    clock.advance(5)
    assert b.allow()


def test_a_lost_probe_does_not_block_forever(clock: FakeClock) -> None:
    b = CircuitBreaker(failure_threshold=1, cooldown=5, clock=clock)
    b.record_failure()
    clock.advance(5)
    assert b.allow()   # probe started, its result never recorded (e.g. cancelled)
    clock.advance(4)
    assert not b.allow()
    clock.advance(1)
    assert b.allow()


@pytest.mark.parametrize("kwargs", [{"failure_threshold": 0}, {"cooldown": -1}])
def test_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_record_applies_the_one_outage_rule(clock: FakeClock) -> None:
    from kiosk.engage.errors import (
        CircuitOpen,
        ContactNotFound,
        EngageTimeout,
        ServerError,
        Unauthorized,
    )

    b = CircuitBreaker(failure_threshold=2, cooldown=10.0, clock=clock)
    b.record(EngageTimeout("no answer"))
    b.record(CircuitOpen("refused by us"))  # nothing was sent: not counted either way
    assert b.failures == 1
    b.record(ContactNotFound())  # Engage answered "no": it is there
    assert b.failures == 0
    b.record(ServerError())
    b.record(TimeoutError())
    assert b.state == "open"
    with pytest.raises(CircuitOpen, match="next try in 10 s"):
        b.check()
    clock.advance(10)
    b.check()  # the probe
    b.record(Unauthorized())  # an answer, even a refusal, closes it
    assert b.state == "closed"
