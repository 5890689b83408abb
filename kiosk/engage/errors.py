"""Typed Engage errors.

Engage documents each failure as an HTTP status plus a code name (``404 ContactNotFound``,
``409 PromotionAlreadyRedeemed``); the body's shape is not documented. We key on the status,
read the code name loosely from the body, and map it to one class here. Messages never carry
URLs, card numbers or the API key: they are safe to log and to show to IT.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from kiosk.text import one_line

_MAX_DETAIL = 200
_MAX_CODE = 64


class EngageError(Exception):
    """Anything that went wrong talking to Engage."""

    status: int | None = None
    #: The Engage code name this class stands for (``None`` for generic classes).
    code_name: ClassVar[str | None] = None

    def __init__(self, message: str = "", *, status: int | None = None, code: str | None = None,
                 detail: str | None = None) -> None:
        self.status = status if status is not None else type(self).status
        self.code = code or type(self).code_name
        self.detail = detail
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [type(self).__name__]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.code and self.code != type(self).__name__:
            parts.append(f"code {self.code}")
        return " ".join(parts)

    #: True when Engage may have acted on the request although we got no answer saying so.
    #: The redemption flow verifies these instead of trusting them either way.
    outcome_unknown: ClassVar[bool] = False


# --- transport -------------------------------------------------------------------------------

class EngageUnreachable(EngageError):
    """No HTTP answer: DNS, refused connection, TLS failure, timeout, connection lost."""

    #: False when the request certainly never left this machine (connect failed).
    request_sent: bool = False

    def __init__(self, message: str = "", *, request_sent: bool = False, **kw: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kw)

    @property
    def outcome_unknown(self) -> bool:  # type: ignore[override]
        return self.request_sent


class EngageTimeout(EngageUnreachable):
    """Engage did not answer within the deadline."""


class ConnectionLost(EngageUnreachable):
    """The connection broke after the request was (at least partly) sent."""


class CircuitOpen(EngageError):
    """Engage failed repeatedly, so the call was not made (fail fast until the cool-down has
    passed). A sibling of ``EngageUnreachable``, not one: nothing was sent, nothing failed."""


class TlsError(EngageUnreachable):
    """The TLS handshake with Engage (or whatever answers at its address) failed.

    A configuration problem for IT (certificates, CA bundle, proxy, address), not an outage:
    retrying doesn't help and it doesn't count towards the circuit breaker. Nothing was sent.
    ``reason`` is OpenSSL's reason in a few words (safe to show IT: no URL query, no key).
    """

    def __init__(self, message: str = "", *, reason: str = "", **kw: Any) -> None:
        self.reason = reason
        kw["request_sent"] = False
        super().__init__(message, **kw)


class CertificateUntrusted(TlsError):
    """The certificate chain doesn't lead to a CA this till trusts (self-signed, private CA)."""


class CertificateNameMismatch(TlsError):
    """The certificate is valid, but for another host name or IP address."""


class CertificateExpired(TlsError):
    """The certificate has expired or is not valid yet (or the till's clock is wrong)."""


class NotTls(TlsError):
    """The address doesn't speak TLS at all (e.g. https:// to a plain-http port)."""


class BadResponse(EngageError):
    """A 2xx answer whose body is not what Engage sends (malformed JSON, wrong field types)."""


# --- by HTTP status --------------------------------------------------------------------------

class BadRequest(EngageError):
    status = 400
    code_name = "BadRequest"


class Unauthorized(EngageError):
    """401/403: the API key is missing, wrong, or not allowed from this address."""

    status = 401


class NotFound(EngageError):
    status = 404


class Conflict(EngageError):
    status = 409


class RateLimited(EngageError):
    """429: too many requests for this API key."""

    status = 429

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(EngageError):
    """5xx: Engage failed while handling the request; a state change may or may not have
    happened."""

    status = 500
    outcome_unknown = True


class GatewayTimeout(ServerError):
    status = 504
    code_name = "GatewayTimeout"


class InvalidSystemConfiguration(ServerError):
    code_name = "InvalidSystemConfiguration"


# 400s
class InvalidEmailAddress(BadRequest):
    code_name = "InvalidEmailAddress"


class InvalidPhoneNumber(BadRequest):
    code_name = "InvalidPhoneNumber"


class InvalidSocialSecurityNumber(BadRequest):
    code_name = "InvalidSocialSecurityNumber"


class InvalidContactType(BadRequest):
    code_name = "InvalidContactType"


class InvalidSearchQuery(BadRequest):
    code_name = "InvalidSearchQuery"


class NotAValidRedemptionChannel(BadRequest):
    code_name = "NotAValidRedemptionChannel"


class InvalidPromotionIdNoData(BadRequest):
    code_name = "InvalidPromotionIdNoData"


class InvalidContactId(BadRequest):
    code_name = "InvalidContactId"


class InvalidPromotionId(BadRequest):
    code_name = "InvalidPromotionId"


# 404s
class ContactNotFound(NotFound):
    code_name = "ContactNotFound"


class PromotionNotFound(NotFound):
    code_name = "PromotionNotFound"


class PromotionNotAssociatedWithContact(NotFound):
    code_name = "PromotionNotAssociatedWithContact"


# 409s
class MultipleMatches(Conflict):
    code_name = "MultipleMatches"

    def __init__(self, message: str = "", *, matches: list[str] | None = None, **kw: Any) -> None:
        self.matches = matches or []
        super().__init__(message, **kw)


class PromotionNotValidForRedemptionChannel(Conflict):
    code_name = "PromotionNotValidForRedemptionChannel"


class PromotionAlreadyRedeemed(Conflict):
    code_name = "PromotionAlreadyRedeemed"


class PromotionExpired(Conflict):
    code_name = "PromotionExpired"


# Reward vouchers (``/api/v3/reward-vouchers/{id}/redeem|reactivate``)
class InvalidRewardVoucherId(BadRequest):
    code_name = "InvalidRewardVoucherId"


class RewardVoucherNotFound(NotFound):
    code_name = "RewardVoucherNotFound"


class RewardVoucherAlreadyRedeemed(Conflict):
    code_name = "RewardVoucherAlreadyRedeemed"


class RewardVoucherExpired(Conflict):
    code_name = "RewardVoucherExpired"


class RewardVoucherAlreadyActivated(Conflict):
    """Reactivate: the voucher is not redeemed (already usable)."""

    code_name = "RewardVoucherAlreadyActivated"


class ReactivationLimitExceeded(Conflict):
    """Reactivate: the voucher was reactivated as often as the tenant allows (default 3)."""

    code_name = "ReactivationLimitExceeded"


# The v2 ("bonus check") names of the same answers, for a tenant that still sends them.
class InvalidBonusCheckId(InvalidRewardVoucherId):
    code_name = "InvalidBonusCheckId"


class BonusCheckNotFound(RewardVoucherNotFound):
    code_name = "BonusCheckNotFound"


class BonusCheckExpired(RewardVoucherExpired):
    code_name = "BonusCheckExpired"


def _all_subclasses(cls: type[EngageError]) -> list[type[EngageError]]:
    out: list[type[EngageError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


#: code name -> class, for every class that names one.
ERRORS_BY_CODE: dict[str, type[EngageError]] = {
    c.code_name: c for c in _all_subclasses(EngageError) if c.code_name
}

_BY_STATUS: dict[int, type[EngageError]] = {
    400: BadRequest, 401: Unauthorized, 403: Unauthorized, 404: NotFound, 409: Conflict,
    429: RateLimited, 504: GatewayTimeout,
    406: Conflict,  # the v2 reactivate page answers its conflicts with 406
}

_CODE_KEYS = ("errorCode", "code", "error", "title")
_MESSAGE_KEYS = ("message", "Message", "detail", "error_description")


def _clean(text: str) -> str:
    """One line of safe text, capped: bodies are diagnostics, never trusted."""
    return one_line(text, _MAX_DETAIL)


def _as_code(value: Any) -> str | None:
    """``value`` when it looks like a code name (one identifier word), else None.

    A free-text "code" could echo a card number or e-mail; only identifiers reach ``str(error)``.
    """
    if not isinstance(value, str):
        return None
    value = value.strip().rstrip(":")
    return value if value.isidentifier() and len(value) <= _MAX_CODE else None


def parse_error_body(
    body: bytes, content_type: str | None = None
) -> tuple[str | None, str | None, Any]:
    """Read ``(code, message, json)`` from an error body of unknown shape; never raises.

    JSON objects are searched for ``errorCode``/``code``/``error``/``title``; a plain-text body
    whose first word is an identifier (``PromotionAlreadyRedeemed`` or ``ContactNotFound: ...``)
    gives the code. HTML and empty bodies give no code.
    """
    text = body.decode("utf-8", "replace").strip() if body else ""
    if not text:
        return None, None, None
    data: Any = None
    if text[:1] in "{[\"":
        import json  # here: only an error body needs it (the scan screen comes up without)

        try:
            data = json.loads(text)
        except ValueError:
            data = None
    if isinstance(data, Mapping):
        code = next((c for k in _CODE_KEYS if (c := _as_code(data.get(k)))), None)
        msg = next((data[k] for k in _MESSAGE_KEYS if isinstance(data.get(k), str) and data[k]),
                   None)
        return code, (_clean(msg) if msg else None), data
    if isinstance(data, str):
        text = data.strip()
    if text.startswith("<"):  # an HTML error page from a proxy
        return None, None, None
    words = text.split()
    code = _as_code(words[0]) if words else None
    if code is not None and len(words) > 1 and code not in ERRORS_BY_CODE:
        code = None  # "Service Unavailable" is prose, not a code name
    return code, _clean(text), None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    from email.utils import parsedate_to_datetime  # ~5 ms of email.* for a rare header

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _family(status: int) -> type[EngageError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return BadRequest
    if status >= 500:
        return ServerError
    return BadResponse  # 1xx/3xx: something between us and Engage answered oddly


def error_from_response(
    status: int, body: bytes, headers: Mapping[str, str] | None = None, *,
    default_codes: Mapping[int, str] | None = None,
) -> EngageError:
    """The typed error for an HTTP error answer. The status decides the family; a code name in
    the body picks the precise class when it belongs to that family.

    ``default_codes`` names the code an endpoint documents for a status (``{404:
    "ContactNotFound"}`` for the contact lookup), used when the body names none.
    """
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    code, message, data = parse_error_body(body, lower.get("content-type"))
    if code is None and default_codes:
        code = default_codes.get(status)
    family = _family(status)
    cls: type[EngageError] = family
    candidate = ERRORS_BY_CODE.get(code) if code else None
    # Trust the code only when it agrees with the status family (a 500 saying
    # "PromotionAlreadyRedeemed" is still a server error).
    if candidate is not None and issubclass(candidate, family):
        cls = candidate
    elif family is Conflict and isinstance(data, Mapping) and "multipleMatchesFound" in data:
        cls = MultipleMatches  # the shape one integration saw, without a code name
    kw: dict[str, Any] = {"status": status, "code": code, "detail": message}
    if cls is MultipleMatches and isinstance(data, Mapping):
        found = data.get("multipleMatchesFound")
        if isinstance(found, list):
            kw["matches"] = [str(x) for x in found]
    if issubclass(cls, RateLimited):
        kw["retry_after"] = parse_retry_after(lower.get("retry-after"))
    return cls(**kw)
