"""The Engage client: one pooled ``httpx.AsyncClient``, typed answers, typed errors.

Lookups (GETs) run under one overall deadline and retry connection failures, 5xx and 429 with
capped exponential backoff and full jitter. A caller that is cancelled (a new scan cancels the
lookup in flight) never cancels httpx itself: cancelled requests can leave httpcore's pool
holding slots for ever (encode/httpcore#1093), until every request fails with PoolTimeout.
Each exchange waits for one of our own ``MAX_CONNECTIONS`` slots (safe to cancel), then runs
as its own task that the caller only awaits through ``asyncio.shield``; a cancelled caller
leaves at once and the exchange finishes (or times out) by itself, returning its connection.

Anything that changes state (POST/PUT/DELETE, above
all the redeem) is sent once, and a second time only when the connection failed before a byte
left. Nothing this module raises or logs carries a URL query, a looked-up value or the API key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import ConfigDict, TypeAdapter, ValidationError

import kiosk
from kiosk.engage.clock import ClockWatch, date_and_age
from kiosk.engage.errors import (
    BadResponse,
    CertificateExpired,
    CertificateNameMismatch,
    CertificateUntrusted,
    ConnectionLost,
    EngageError,
    EngageTimeout,
    EngageUnreachable,
    NotTls,
    RateLimited,
    ServerError,
    TlsError,
    error_from_response,
)
from kiosk.engage.models import (
    LOOKUP_KEYS,
    Channel,
    Contact,
    LookupKey,
    Page,
    PointAccount,
    PointFilter,
    PointTransaction,
    Promotion,
    PromotionDraft,
    PromotionTemplate,
    RewardVoucher,
    Validity,
    VoucherList,
)
from kiosk.engage.redact import install_log_redaction

__all__ = ["ClientTimeouts", "EngageClient"]

_log = logging.getLogger("kiosk.engage")
T = TypeVar("T")

# Engage ids are GUIDs ("2e40b702-2767-4abe-ae99-aa510108e22b").
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# A list adapter parses with its own settings, not its items' model_config (see EngageModel).
_KEYS_ONLY = ConfigDict(cache_strings="keys")
_CONTACT = TypeAdapter(Contact)
_PROMOTIONS = TypeAdapter(list[Promotion], config=_KEYS_ONLY)
_PROMOTION = TypeAdapter(Promotion)
_TEMPLATE = TypeAdapter(PromotionTemplate)
_VALIDITY = TypeAdapter(Validity)
_PAGE = TypeAdapter(Page)
_VOUCHERS = TypeAdapter(list[RewardVoucher], config=_KEYS_ONLY)
_POINT_ACCOUNTS = TypeAdapter(list[PointAccount], config=_KEYS_ONLY)
_POINT_TRANSACTIONS = TypeAdapter(list[PointTransaction], config=_KEYS_ONLY)

#: The voucher list paths by which vouchers they list.
_VOUCHER_LISTS: dict[str, str] = {
    "available": "/api/v3/reward-vouchers/available",
    "all": "/api/v3/reward-vouchers",
    "redeemed": "/api/v3/reward-vouchers/redeemed",
}
#: Promotion redeem paths: v2 (the seed's, documented with the instance id) and v3.
PROMOTION_REDEEM_APIS: tuple[str, ...] = ("v2", "v3")

_MULTICHANNELS = "/api/v2/promotions/multichannels"
#: Requests in flight at once (our slots) = httpx's pool size: httpx never queues for one.
MAX_CONNECTIONS = 8


@dataclass(frozen=True)
class ClientTimeouts:
    """Seconds. ``connect``/``read``/``write``/``pool`` are httpx's per-operation timeouts;
    ``lookup_deadline`` bounds one GET including its retries; ``redeem_read`` is the redeem's
    read timeout (long: a redeem that times out leaves its outcome unknown)."""

    connect: float = 3.0
    read: float = 5.0
    write: float = 5.0
    pool: float = 3.0
    lookup_deadline: float = 5.0
    redeem_read: float = 60.0  # Voyado: at least 60 s (Engage may finish a redeem late)

    def for_httpx(self, read: float | None = None) -> httpx.Timeout:
        """The httpx timeout, optionally with another read timeout."""
        return httpx.Timeout(connect=self.connect, read=self.read if read is None else read,
                             write=self.write, pool=self.pool)


def _segment(value: str) -> str:
    """An id as one URL path segment."""
    return quote(value, safe="")


def _safe_base(url: str) -> str:
    """``url`` without user info, query or fragment: the only form we print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


# OpenSSL's X509_V_ERR_* codes that name a problem more precise than "not trusted"
_NAME_MISMATCH = frozenset({62, 64})  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH
_EXPIRED = frozenset({9, 10})  # CERT_NOT_YET_VALID, CERT_HAS_EXPIRED
# what OpenSSL says when the other end answered in plain text (an http:// port)
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG",
                      "RECORD_LAYER_FAILURE", "UNKNOWN_PROTOCOL"})


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl.SSLError`` an httpx error was raised from (httpx -> httpcore -> ssl)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def _tls_error(exc: BaseException, message: str) -> TlsError | None:
    """The precise TLS error behind a failed connection, or None if TLS wasn't the problem."""
    cause = _ssl_cause(exc)
    if cause is None:
        return None
    if isinstance(cause, ssl.SSLCertVerificationError):
        code = cause.verify_code
        reason = _one_line(cause.verify_message or "certificate verify failed")
        cls: type[TlsError] = (CertificateNameMismatch if code in _NAME_MISMATCH
                               else CertificateExpired if code in _EXPIRED
                               else CertificateUntrusted)
    else:
        reason = _one_line(cause.reason or type(cause).__name__)
        cls = NotTls if cause.reason in _NOT_TLS else TlsError
    return cls(f"{message} (TLS: {reason})", reason=reason)


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())[:160]


def _transport_error(exc: httpx.TransportError, message: str) -> EngageUnreachable:
    """Our error for an httpx transport failure, with whether the request may have left."""
    tls = _tls_error(exc, message)
    if tls is not None:
        return tls
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return EngageUnreachable(message, request_sent=False)
    if isinstance(exc, httpx.PoolTimeout):  # never got a connection from our own pool
        return EngageTimeout(message, request_sent=False)
    if isinstance(exc, httpx.TimeoutException):  # read/write timeout: the request may be out
        return EngageTimeout(message, request_sent=True)
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.ProxyError, httpx.LocalProtocolError)):
        return EngageUnreachable(message, request_sent=False)
    # RemoteProtocolError, ReadError, WriteError...: the connection broke mid-exchange.
    return ConnectionLost(message, request_sent=True)


class _Progress:
    """Whether a request may have left this machine during one call (for ``request_sent``)."""

    def __init__(self) -> None:
        self.sent = False
        self.in_flight = False

    @property
    def maybe_sent(self) -> bool:
        return self.sent or self.in_flight


class EngageClient:
    """Talks to one Engage tenant over one pooled, long-lived ``httpx.AsyncClient``.

    Make one per process and close it with :meth:`aclose` (or ``async with``).
    """

    #: Backoff between GET retries: full jitter over ``min(cap, base * 2**attempt)`` seconds.
    retry_base: float = 0.1
    retry_cap: float = 1.0

    def __init__(self, base_url: str, api_key: str, *, user_agent: str = kiosk.USER_AGENT,
                 timeouts: ClientTimeouts | None = None,
                 verify: ssl.SSLContext | str | bool = True,
                 transport: httpx.AsyncBaseTransport | None = None,
                 get_retries: int = 2, keepalive_expiry: float = 300.0,
                 proxy: str | None = None, promotion_redeem_api: str = "v2",
                 clock: ClockWatch | None = None) -> None:
        if not api_key:
            raise ValueError("an Engage API key is required")
        if promotion_redeem_api not in PROMOTION_REDEEM_APIS:
            raise ValueError(f"promotion_redeem_api must be one of {PROMOTION_REDEEM_APIS}")
        #: "v2": ``/api/v2/promotions/codes/{id}/redeem``; "v3":
        #: ``/api/v3/promotion-assignments/{id}/redeem`` (same body, same instance id).
        self.promotion_redeem_api = promotion_redeem_api
        #: Engage's clock against this till's, from every answer's Date header
        self.clock = clock if clock is not None else ClockWatch()
        install_log_redaction()
        self._base_url = base_url.rstrip("/")
        self._timeouts = timeouts or ClientTimeouts()
        self._get_retries = max(0, get_retries)
        self._rng = random.Random()
        if isinstance(verify, str):  # a CA bundle path; httpx 0.28 wants an SSLContext
            verify = ssl.create_default_context(cafile=verify)
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            headers={"apikey": api_key, "User-Agent": user_agent,
                     "Content-Type": "application/json", "Accept": "application/json"},
            timeout=self._timeouts.for_httpx(),
            # Scans come minutes apart: keep connections long enough not to reconnect each time.
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=4,
                                keepalive_expiry=keepalive_expiry),
            verify=verify,
            transport=transport,
            proxy=proxy,
            # The service's environment must not silently reroute traffic that carries the key.
            trust_env=False,
            follow_redirects=False,
        )
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._exchanges: set[asyncio.Task[httpx.Response]] = set()

    def __repr__(self) -> str:
        return f"EngageClient(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The tenant's base URL (without any user info or query)."""
        return _safe_base(self._base_url)

    async def aclose(self) -> None:
        """Close the pooled connections (exchanges a cancelled caller left running first)."""
        for task in list(self._exchanges):
            task.cancel()
        await asyncio.gather(*self._exchanges, return_exceptions=True)
        await self._http.aclose()

    def pool_stats(self) -> dict[str, int]:
        """Exchanges running (awaited or left by a cancelled caller), free slots, and the
        connections httpcore's pool holds (-1 if this httpx doesn't say)."""
        transport = getattr(self._http, "_transport", None)
        transport = getattr(transport, "inner", transport)  # a benchmark's timing wrapper
        pool = getattr(transport, "_pool", None)
        connections = getattr(pool, "connections", None)
        return {"exchanges": len(self._exchanges), "free_slots": self._slots._value,
                "connections": len(connections) if connections is not None else -1,
                "limit": MAX_CONNECTIONS}

    async def __aenter__(self) -> EngageClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- contacts -------------------------------------------------------------------------

    async def find_contact_id(self, value: str, key: LookupKey = "customKey", *,
                              contact_type: str | None = None,
                              deadline: float | None = None) -> str:
        """The contact id for a card number (``customKey``), e-mail, phone, SSN or ``any``.

        Raises ContactNotFound, MultipleMatches, a BadRequest subclass for a value Engage
        rejects (an empty one: InvalidSearchQuery), or a transport error.
        """
        if key not in LOOKUP_KEYS:
            raise ValueError(f"unknown lookup key {key!r}; use one of {', '.join(LOOKUP_KEYS)}")
        params: dict[str, str] = {key: value}
        if contact_type:
            params["contactType"] = contact_type
        template = "/api/v3/contacts/id"
        response = await self._get(template, template, params=params, deadline=deadline,
                                   sensitive=value,
                                   default_codes={404: "ContactNotFound", 409: "MultipleMatches"})
        return self._contact_id(response, template)

    async def get_contact(self, contact_id: str, *, deadline: float | None = None) -> Contact:
        """The contact (id and tenant-specific attributes such as ``firstName``)."""
        template = "/api/v3/contacts/{id}"
        path = f"/api/v3/contacts/{_segment(contact_id)}"
        response = await self._get(template, path, deadline=deadline)
        return self._parse(response, _CONTACT, template)

    async def get_promotions(self, contact_id: str, channel: Channel | str | None = "POS", *,
                             deadline: float | None = None) -> list[Promotion]:
        """The contact's promotion instances, filtered to one redemption channel (None: all).

        Engage may include redeemed and expired ones; filtering is the caller's job.
        """
        template = "/api/v2/contacts/{id}/promotions"
        path = f"/api/v2/contacts/{_segment(contact_id)}/promotions"
        params = {"redemptionChannelType": str(channel)} if channel else None
        response = await self._get(template, path, params=params, deadline=deadline)
        return self._parse(response, _PROMOTIONS, template)

    # --- redeem ----------------------------------------------------------------------------

    async def redeem(self, promotion_instance_id: str, channel: Channel | str = "POS", *,
                     contact_id: str | None = None) -> None:
        """Redeem one promotion instance (its ``id``, not the template's ``promotionId``).

        Returns when Engage answered 2xx (its body is undocumented and ignored). Sent at most
        twice, the second time only if the first connection failed before anything was sent.
        EngageTimeout/ConnectionLost with ``request_sent=True`` mean the outcome is unknown.
        With ``contact_id`` the contact-scoped path is used, and Engage also checks that the
        promotion belongs to that contact (404 PromotionNotAssociatedWithContact).
        """
        instance = _segment(promotion_instance_id)
        if contact_id is None and self.promotion_redeem_api == "v3":
            template = "/api/v3/promotion-assignments/{id}/redeem"
            path = f"/api/v3/promotion-assignments/{instance}/redeem"
        elif contact_id is None:
            template = "/api/v2/promotions/codes/{id}/redeem"
            path = f"/api/v2/promotions/codes/{instance}/redeem"
        else:
            template = "/api/v2/contacts/{contactId}/promotions/{id}/redeem"
            path = f"/api/v2/contacts/{_segment(contact_id)}/promotions/{instance}/redeem"
        await self._write("POST", template, path, body={"redemptionChannel": str(channel)},
                          timeout=self._timeouts.for_httpx(read=self._timeouts.redeem_read))

    # --- reward vouchers and points --------------------------------------------------------

    async def get_reward_vouchers(self, contact_id: str, which: VoucherList = "available", *,
                                  deadline: float | None = None) -> list[RewardVoucher]:
        """The contact's reward vouchers: ``available`` (active), ``all`` (also redeemed and
        expired: what a verification reads) or ``redeemed``.

        Engage answers a page ``{items, count, offset, totalCount}``; a bare list is accepted
        too. Only the first page is read (Engage's default size; a member has a handful).
        """
        template = _VOUCHER_LISTS[which]
        response = await self._get(template, template, params={"contactId": contact_id},
                                   deadline=deadline)
        return self._parse_items(response, _VOUCHERS, template)

    async def redeem_reward_voucher(self, voucher_id: str) -> None:
        """Redeem one reward voucher by its ``id``; returns when Engage answered 2xx.

        The same rules as :meth:`redeem`: sent at most twice, the second time only if the
        first connection failed before anything left; a timeout or lost connection after
        sending (``request_sent=True``) or a 504 leaves the outcome unknown.
        """
        template = "/api/v3/reward-vouchers/{id}/redeem"
        await self._write("POST", template,
                          f"/api/v3/reward-vouchers/{_segment(voucher_id)}/redeem",
                          timeout=self._timeouts.for_httpx(read=self._timeouts.redeem_read))

    async def reactivate_reward_voucher(self, voucher_id: str) -> None:
        """Make a redeemed voucher usable again (a cancelled sale). Engage refuses with 409
        RewardVoucherAlreadyActivated, RewardVoucherExpired or ReactivationLimitExceeded."""
        template = "/api/v3/reward-vouchers/{id}/reactivate"
        await self._write("POST", template,
                          f"/api/v3/reward-vouchers/{_segment(voucher_id)}/reactivate",
                          timeout=self._timeouts.for_httpx(read=self._timeouts.redeem_read))

    async def get_point_accounts(self, contact_id: str, *,
                                 deadline: float | None = None) -> list[PointAccount]:
        """The contact's point accounts (balance, pending points); paged or bare list."""
        template = "/api/v3/point-accounts"
        response = await self._get(template, template, params={"contactId": contact_id},
                                   deadline=deadline)
        return self._parse_items(response, _POINT_ACCOUNTS, template)

    async def get_point_transactions(self, *, account_id: int | str | None = None,
                                     contact_id: str | None = None,
                                     definition_id: int | str | None = None,
                                     filter: PointFilter | None = None,
                                     offset: int | None = None, count: int | None = None,
                                     deadline: float | None = None) -> list[PointTransaction]:
        """Point transactions of one account: by ``account_id``, or by ``contact_id`` and
        ``definition_id`` together; ``filter`` All/Active/Pending (pending: future validFrom)."""
        if account_id is None and (contact_id is None or definition_id is None):
            raise ValueError("give account_id, or contact_id and definition_id")
        params: dict[str, str] = {}
        for name, value in (("accountId", account_id), ("contactId", contact_id),
                            ("definitionId", definition_id), ("filter", filter),
                            ("offset", offset), ("count", count)):
            if value is not None:
                params[name] = str(value)
        template = "/api/v3/point-transactions"
        response = await self._get(template, template, params=params, deadline=deadline)
        return self._parse_items(response, _POINT_TRANSACTIONS, template)

    # --- promotion templates (admin / seeding) ---------------------------------------------

    async def assign_promotion(self, contact_id: str, promotion_id: str) -> Promotion:
        """Assign an active template to a contact; returns the new promotion instance."""
        template = "/api/v3/promotion-assignments"
        response = await self._write("POST", template, template,
                                     body={"contactId": contact_id, "promotionId": promotion_id})
        return self._parse(response, _PROMOTION, template)

    async def create_promotion(self, draft: PromotionDraft) -> PromotionTemplate:
        """Create a promotion template; Engage creates it as Draft."""
        response = await self._write("POST", _MULTICHANNELS, _MULTICHANNELS, body=draft.to_wire())
        return self._parse(response, _TEMPLATE, _MULTICHANNELS)

    async def get_promotion(self, promotion_id: str) -> PromotionTemplate:
        """A promotion template by id."""
        template = f"{_MULTICHANNELS}/{{id}}"
        response = await self._get(template, f"{_MULTICHANNELS}/{_segment(promotion_id)}")
        return self._parse(response, _TEMPLATE, template)

    async def get_promotion_by_external_id(self, external_id: str) -> PromotionTemplate:
        """A promotion template by its ``externalId``."""
        response = await self._get(_MULTICHANNELS, _MULTICHANNELS,
                                   params={"externalId": external_id})
        return self._parse(response, _TEMPLATE, _MULTICHANNELS)

    async def update_promotion(self, template: PromotionTemplate) -> PromotionTemplate:
        """Replace a Draft template as a whole."""
        where = f"{_MULTICHANNELS}/{{id}}"
        response = await self._write("PUT", where, f"{_MULTICHANNELS}/{_segment(template.id)}",
                                     body=template.to_wire())
        return self._parse(response, _TEMPLATE, where)

    async def get_validity(self, promotion_id: str) -> Validity:
        """A template's validity."""
        template = f"{_MULTICHANNELS}/{{id}}/validity"
        response = await self._get(template,
                                   f"{_MULTICHANNELS}/{_segment(promotion_id)}/validity")
        return self._parse(response, _VALIDITY, template)

    async def get_validity_by_external_id(self, external_id: str) -> Validity:
        """A template's validity, by the template's ``externalId``."""
        template = f"{_MULTICHANNELS}/validity"
        response = await self._get(template, template, params={"externalId": external_id})
        return self._parse(response, _VALIDITY, template)

    async def update_validity(self, promotion_id: str, validity: Validity) -> PromotionTemplate:
        """Replace a Draft template's validity; returns the template."""
        template = f"{_MULTICHANNELS}/{{id}}/validity"
        response = await self._write("PUT", template,
                                     f"{_MULTICHANNELS}/{_segment(promotion_id)}/validity",
                                     body=validity.to_wire())
        return self._parse(response, _TEMPLATE, template)

    async def delete_promotion(self, promotion_id: str) -> None:
        """Delete an unassigned template."""
        await self._write("DELETE", f"{_MULTICHANNELS}/{{id}}",
                          f"{_MULTICHANNELS}/{_segment(promotion_id)}")

    async def delete_promotion_by_external_id(self, external_id: str) -> None:
        """Delete an unassigned template by its ``externalId``."""
        await self._write("DELETE", _MULTICHANNELS, _MULTICHANNELS,
                          params={"externalId": external_id})

    async def ping(self) -> float:
        """Seconds one cheap authenticated GET (``/api/v2/contacts/count``) took."""
        template = "/api/v2/contacts/count"
        start = time.perf_counter()
        await self._get(template, template, retries=0)
        return time.perf_counter() - start

    # --- plumbing --------------------------------------------------------------------------

    async def _send(self, method: str, template: str, path: str, *,
                    params: Mapping[str, str] | None = None, body: Any = None,
                    timeout: httpx.Timeout | None = None) -> httpx.Response:
        """One HTTP exchange. httpx failures become our errors, named by class only: httpx's
        own text can carry the URL with its query."""
        content = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        start = time.perf_counter()
        try:
            response = await self._exchange(
                method, path, params=params, content=content,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.TransportError as exc:
            failure = exc
        else:
            end = time.perf_counter()
            self._observe_clock(response, start, end)
            _log.info("%s %s %d %.0f ms", method, template, response.status_code,
                      (end - start) * 1000)
            return response
        # Raised outside the except block so httpx's exception is not even the context.
        elapsed = (time.perf_counter() - start) * 1000
        name = type(failure).__name__
        error = _transport_error(failure, f"{method} {template}: {name}")
        why = f"{name} (TLS: {error.reason})" if isinstance(error, TlsError) else name
        _log.warning("%s %s failed after %.0f ms: %s", method, template, elapsed, why)
        raise error

    def _observe_clock(self, response: httpx.Response, sent: float, received: float) -> None:
        """Show the clock watch this answer's Date (a few µs; it must never cost an answer)."""
        try:
            date, age = date_and_age(response.headers.raw)
            self.clock.observe(date, sent, received, age=age, status=response.status_code)
        except Exception:  # a bug in the watch: the answer (a redeem's 200!) still counts
            _log.exception("clock vs Engage: could not read an answer's Date")

    async def _exchange(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """``httpx.AsyncClient.request`` out of reach of the caller's cancellation."""
        try:  # cancelling this wait is harmless: nothing has reached httpx yet
            async with asyncio.timeout(self._timeouts.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection slot") from None
        task = asyncio.get_running_loop().create_task(self._http.request(method, path, **kw))
        self._exchanges.add(task)

        def finished(t: asyncio.Task[httpx.Response]) -> None:
            self._exchanges.discard(t)
            self._slots.release()
            if not t.cancelled():
                t.exception()  # retrieved: a caller that left must not cause a warning

        task.add_done_callback(finished)
        return await asyncio.shield(task)

    async def _get(self, template: str, path: str, *, params: Mapping[str, str] | None = None,
                   deadline: float | None = None, retries: int | None = None,
                   sensitive: str | None = None,
                   default_codes: Mapping[int, str] | None = None) -> httpx.Response:
        """A GET under one overall deadline, retried on connection failures, 5xx and 429.

        Returns a 2xx response; raises the typed error otherwise.
        """
        budget = self._timeouts.lookup_deadline if deadline is None else deadline
        progress = _Progress()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(budget):
                return await self._get_retrying(
                    template, path, params, progress, loop.time() + budget,
                    self._get_retries if retries is None else retries, sensitive, default_codes)
        except TimeoutError:
            _log.warning("GET %s: no answer within the %.1f s deadline", template, budget)
            raise EngageTimeout(f"GET {template}: no answer within {budget:g} s",
                                request_sent=progress.maybe_sent) from None

    async def _get_retrying(self, template: str, path: str, params: Mapping[str, str] | None,
                            progress: _Progress, end: float, retries: int,
                            sensitive: str | None,
                            default_codes: Mapping[int, str] | None) -> httpx.Response:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            # Left True if the deadline cancels the attempt: it may have been sent.
            progress.in_flight = True
            try:
                response = await self._send("GET", template, path, params=params)
            except EngageUnreachable as exc:
                progress.in_flight, progress.sent = False, progress.sent or exc.request_sent
                error: EngageError = exc
                # A slow server gets no second request; a refused or broken connection does.
                # A TLS failure won't change on a retry: it needs IT.
                retryable = not isinstance(exc, EngageTimeout | TlsError)
            else:
                progress.in_flight, progress.sent = False, True
                if response.is_success:
                    return response
                error = self._error(response, sensitive, default_codes)
                retryable = isinstance(error, (ServerError, RateLimited))
            if not retryable or attempt >= retries:
                raise error
            remaining = end - loop.time()
            wait = error.retry_after if isinstance(error, RateLimited) else None
            if wait is None:
                wait = self._rng.uniform(0, min(self.retry_cap, self.retry_base * 2 ** attempt))
            if wait >= remaining:  # waiting would only turn a clear answer into a timeout
                raise error
            attempt += 1
            _log.warning("GET %s: %s; retry %d of %d in %.0f ms",
                         template, type(error).__name__, attempt, retries, wait * 1000)
            await asyncio.sleep(wait)

    async def _write(self, method: str, template: str, path: str, *, body: Any = None,
                     params: Mapping[str, str] | None = None,
                     timeout: httpx.Timeout | None = None) -> httpx.Response:
        """A state-changing call: sent once, and once more only if the connection failed
        before anything was sent (Engage has no idempotency key)."""
        for attempt in (1, 2):
            try:
                response = await self._send(method, template, path, params=params, body=body,
                                            timeout=timeout)
            except EngageUnreachable as exc:
                if attempt == 2 or exc.request_sent or isinstance(exc, EngageTimeout | TlsError):
                    raise
                _log.warning("%s %s: connection failed before sending; one more try",
                             method, template)
                await asyncio.sleep(self._rng.uniform(0, self.retry_base))
                continue
            if not response.is_success:
                raise self._error(response)
            return response
        raise AssertionError("unreachable")  # the loop returns or raises

    @staticmethod
    def _error(response: httpx.Response, sensitive: str | None = None,
               default_codes: Mapping[int, str] | None = None) -> EngageError:
        error = error_from_response(response.status_code, response.content, response.headers,
                                    default_codes=default_codes)
        if sensitive and error.detail:
            # Engage's message may echo the looked-up card, e-mail or phone number.
            error.detail = re.sub(re.escape(sensitive), "<redacted>", error.detail,
                                  flags=re.IGNORECASE)
        return error

    @staticmethod
    def _parse(response: httpx.Response, adapter: TypeAdapter[T], template: str) -> T:
        """The 2xx body as a model; BadResponse naming only the fields that were wrong."""
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
            if any(e["type"] == "json_invalid" for e in errors):
                why = "body is not JSON"
            else:
                fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in errors})
                why = "unexpected " + ", ".join(fields[:3])
            raise BadResponse(f"{template}: {why}", status=response.status_code) from None

    @classmethod
    def _parse_items(cls, response: httpx.Response, adapter: TypeAdapter[list[T]],
                     template: str) -> list[T]:
        """A v3 list: the ``items`` of a page, or a bare JSON list."""
        try:
            data: Any = json.loads(response.content)
        except ValueError:
            raise BadResponse(f"{template}: body is not JSON", status=response.status_code
                              ) from None
        if isinstance(data, dict) and "items" not in data:
            raise BadResponse(f"{template}: unexpected body", status=response.status_code)
        try:
            if isinstance(data, dict):
                data = _PAGE.validate_python(data).items
            return adapter.validate_python(data)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
            fields = sorted({".".join(str(p) for p in e["loc"]) or "body" for e in errors})
            raise BadResponse(f"{template}: unexpected {', '.join(fields[:3])}",
                              status=response.status_code) from None

    @staticmethod
    def _contact_id(response: httpx.Response, template: str) -> str:
        """The GUID Engage answers with, as a JSON string or raw text."""
        text = response.content.decode("utf-8", "replace").strip()
        try:
            data: Any = json.loads(text)
        except ValueError:
            data = text
        if isinstance(data, dict):  # tolerate {"contactId": ...} in case Engage wraps it
            data = data.get("contactId") or data.get("id")
        if isinstance(data, str) and _GUID.fullmatch(data.strip()):
            return data.strip()
        raise BadResponse(f"{template}: answer is not a contact id", status=response.status_code)
