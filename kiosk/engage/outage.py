"""The one outage rule: which failures say Engage is missing, and the state staff are shown.

``is_outage`` feeds the circuit breaker (an answer of any kind, even a refusal, proves Engage
is there); ``state_after`` turns the last call's result into the one ``EngageState`` the scan
screen and diagnostics show.
"""

from __future__ import annotations

from enum import StrEnum

# Engage's errors are imported by each rule when it first runs: the scan screen's first frame
# shows an ``EngageState`` but needs none of the 45 error classes (~6 M instructions to make).


class EngageState(StrEnum):
    """Whether Engage can be used, as staff and IT see it."""

    UNKNOWN = "unknown"  # not asked yet
    OK = "ok"  # answered (even if it said "no member")
    UNAVAILABLE = "unavailable"  # unreachable, failing, or the breaker is open
    UNAUTHORIZED = "unauthorized"  # answered, but refuses this kiosk's API key
    TLS = "tls"  # the TLS handshake failed: certificates or the address, a problem for IT


def is_outage(exc: BaseException) -> bool:
    """A failure that says Engage is missing (no answer, or a 5xx), not that it said no.

    ``CircuitOpen`` is not one: no call was made, so it must not count again. Nor is a
    ``TlsError``: a configuration problem that fails in milliseconds and won't pass by itself,
    and an open breaker would hide its reason from staff behind "Engage unavailable".
    """
    from kiosk.engage.errors import EngageUnreachable, ServerError, TlsError

    return isinstance(exc, EngageUnreachable | ServerError | TimeoutError) and not isinstance(
        exc, TlsError)


def is_answer(exc: BaseException) -> bool:
    """An HTTP answer from Engage (even a refusal): proof that Engage is there.

    Neither an outage, nor ``CircuitOpen`` (no call), nor a ``TlsError`` (no answer) is one.
    """
    from kiosk.engage.errors import CircuitOpen, TlsError

    return not is_outage(exc) and not isinstance(exc, CircuitOpen | TlsError)


def state_after(error: BaseException | None) -> EngageState:
    """The state a call's result shows: ``None`` (success) or a refusal is ``OK``."""
    if error is None:
        return EngageState.OK
    from kiosk.engage.errors import CircuitOpen, TlsError, Unauthorized

    if isinstance(error, TlsError):
        return EngageState.TLS
    if isinstance(error, Unauthorized):
        return EngageState.UNAUTHORIZED
    if isinstance(error, CircuitOpen) or is_outage(error):
        return EngageState.UNAVAILABLE
    return EngageState.OK
