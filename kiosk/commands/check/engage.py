"""``kiosk check``'s Engage lines: reachable, the key accepted, the lookup key, one card.

Only reads: the reachability call the kiosk's scan screen and F9 use
(``GET /api/v2/contacts/count``), and with ``--card`` the lookup a scan makes (the contact id,
the contact, its offers, vouchers and points); nothing is redeemed. A connection that fails is
said plainly (DNS, refused, no answer, TLS) by trying the name and the TCP connection first,
each within the check's time limit; the API key goes only in the request's header.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk.commands.check import FAIL, OK, SKIP, WARN, Context, Result
from kiosk.config import env_name
from kiosk.config_checks import mask_url_credentials

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.engage.client import EngageClient


#: The clock line when Engage gave no answer to compare with.
_NO_CLOCK = Result("clock", SKIP, "no answer from Engage to compare the till's clock with")


class _Unreachable(Exception):
    """The address can't be reached; the message says why in plain words."""


def _resolve(host: str, port: int, timeout: float) -> list[Any]:
    """``getaddrinfo`` in a daemon thread, given up after ``timeout`` (a hung resolver must not
    hold the command, nor its exit: an executor's threads are joined when the loop closes)."""
    answer: list[Any] = []
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failure.append(exc)

    thread = threading.Thread(target=ask, name="kiosk check dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _Unreachable(f"the name {host} didn't resolve within {timeout:g} s (DNS): check "
                           "the till's DNS server")
    if failure:
        exc = failure[0]
        reason = getattr(exc, "strerror", None) or str(exc)
        raise _Unreachable(f"the name {host} doesn't resolve (DNS: {reason}): check "
                           f"{env_name('engage_url')} and the till's DNS")
    return answer


async def _connect(host: str, port: int, deadline: float) -> None:
    """The name, then a TCP connection to one of its addresses (closed at once), within
    ``deadline``; the addresses are tried in turn, as the client would."""
    loop = asyncio.get_running_loop()
    failure: OSError | None = None
    for family, _type, proto, _name, address in _resolve(
            host, port, max(0.1, deadline - loop.time())):
        sock = socket.socket(family, socket.SOCK_STREAM, proto)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(max(0.1, deadline - loop.time())):
                await loop.sock_connect(sock, address)
            return
        except TimeoutError:
            raise _Unreachable(f"no TCP connection to {host}:{port} within the time limit "
                               "(a firewall dropping it, or the host is down)") from None
        except OSError as exc:
            failure = exc
        finally:
            sock.close()
    # asyncio's own text quotes the address: the errno's is plainer
    reason = (os.strerror(failure.errno) if failure is not None and failure.errno
              else type(failure).__name__)
    raise _Unreachable(f"TCP connection to {host}:{port} failed ({reason}): is the address "
                       "right, and may this till reach it?")


def _client(settings: Settings, timeout: float) -> EngageClient:
    """The kiosk's own client (headers, TLS, proxy) with this check's short time limits."""
    from kiosk.engage.client import ClientTimeouts, EngageClient

    timeouts = ClientTimeouts(connect=timeout, read=timeout, write=timeout, pool=timeout,
                              lookup_deadline=timeout)
    verify: Any = settings.ssl_context() if settings.engage_url.startswith("https") else True
    return EngageClient(settings.engage_url, settings.api_key(), timeouts=timeouts,
                        verify=verify, proxy=settings.engage_proxy, get_retries=0,
                        promotion_redeem_api=settings.promotion_redeem_api)


def _error_text(exc: BaseException, timeout: float) -> str:
    """What a failed Engage call means for IT, and what to do."""
    from kiosk.engage import errors

    key = f"{env_name('engage_api_key')}/{env_name('engage_api_key_file')}"
    if isinstance(exc, errors.TlsError):
        advice = ("the till's clock may be wrong, or the certificate expired"
                  if isinstance(exc, errors.CertificateExpired) else
                  f"a TLS-inspecting proxy needs {env_name('engage_ca_bundle')}"
                  if isinstance(exc, errors.CertificateUntrusted) else
                  f"check {env_name('engage_url')}")
        return f"TLS failed ({exc.reason}): {advice}"
    if isinstance(exc, errors.EngageTimeout | TimeoutError):
        return f"no answer within {timeout:g} s: Engage or the network is slow or down"
    if isinstance(exc, errors.EngageUnreachable):
        return (f"no connection ({exc}): check {env_name('engage_url')} and "
                f"{env_name('engage_proxy')}")
    if isinstance(exc, errors.Unauthorized):
        if exc.status == 403:
            return (f"the API key is not allowed this call (HTTP 403): the key's permissions, "
                    f"or an IP allow-list in Engage ({key})")
        return f"the API key was refused (HTTP {exc.status or 401}): put this tenant's key in {key}"
    if isinstance(exc, errors.RateLimited):
        return "Engage says too many requests (HTTP 429): try again in a minute"
    if isinstance(exc, errors.EngageError):
        return f"Engage answered {exc}: try again; if it stays, ask Voyado"
    return f"{type(exc).__name__}"


def _lookup_key(settings: Settings) -> Result:
    typed = ", ".join(sorted(settings.typed_kinds)) or "nothing (typing is refused)"
    detail = (f"scans are looked up by {settings.lookup_key}; staff may type: {typed}")
    if settings.lookup_key == "any":
        return Result("lookup-key", WARN, f"{detail}: `any` may match several contacts; set "
                                          f"{env_name('lookup_key')} to the member card's key")
    return Result("lookup-key", OK, detail)


async def _card(client: EngageClient, settings: Settings, card: str, timeout: float) -> Result:
    """One card looked up as a scan is: found or not, how many offers and vouchers (no name)."""
    from kiosk.engage.errors import ContactNotFound, EngageError
    from kiosk.lookup import MemberLookup, SharedCard
    from kiosk.scanner.barcode import CardRules, Rejected, mask_value, parse_scan

    raw = "".join(card.split()).replace("-", "")  # as typed: spaces and dashes ignored
    shown = mask_value(raw, settings.lookup_key)
    scanned = parse_scan(raw, CardRules.from_settings(settings))
    if isinstance(scanned, Rejected):
        return Result("card", FAIL, f"{shown}: the till refuses it ({scanned.reason}): check "
                                    "the number, or the KIOSK_SCANNER_* card rules")
    lookup = MemberLookup(client, key=settings.lookup_key, rewards=settings.rewards,
                          currency=settings.currency)
    by = f"by {settings.lookup_key}"
    try:
        async with asyncio.timeout(timeout):  # both round trips: the command stays short
            member, offers = await lookup.lookup(scanned.card)
    except SharedCard as exc:
        return Result("card", WARN, f"{shown}: {len(exc.candidates)} members share it (found "
                                    f"{by}); the till asks staff which")
    except ContactNotFound:
        return Result("card", FAIL, f"{shown}: no member found {by}: check the number, or "
                                    f"{env_name('lookup_key')}")
    except (EngageError, TimeoutError) as exc:
        return Result("card", FAIL, f"{shown}: lookup failed: {_error_text(exc, timeout)}")
    parts = [f"{len(offers.usable)} POS offer{'s' if len(offers.usable) != 1 else ''} to use"]
    if offers.not_usable:
        parts.append(f"{len(offers.not_usable)} not usable here")
    rewards = member.rewards
    if rewards is not None and rewards.vouchers is not None:
        n = len(rewards.vouchers)
        parts.append(f"{n} reward voucher{'s' if n != 1 else ''}")
    elif rewards is not None:
        parts.append("reward vouchers couldn't be loaded")
    return Result("card", OK, f"{member.masked_card}: member found {by}; " + ", ".join(parts))


async def _engage(ctx: Context) -> list[Result]:
    settings, timeout = ctx.settings, ctx.timeout
    url = settings.engage_url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    start = loop.time()
    results: list[Result] = []
    try:
        if not settings.engage_proxy:  # through a proxy the till may not reach Engage itself
            await _connect(host, port, start + timeout)
    except _Unreachable as exc:
        return _failed(ctx, f"{url}: {exc}", "Engage can't be reached")
    client = _client(settings, max(0.5, timeout - (loop.time() - start)))
    try:
        try:
            async with asyncio.timeout(timeout + 0.5):
                seconds = await client.ping()
        except Exception as exc:
            return _failed(ctx, f"{url}: {_error_text(exc, timeout)}",
                           "Engage didn't answer the first call")
        via = (f" via {mask_url_credentials(settings.engage_proxy)}" if settings.engage_proxy
               else "")
        results.append(Result("engage", OK, f"{url}{via} answered in {seconds * 1000:.0f} ms; "
                                            "the API key is accepted"))
        if ctx.card:
            results.append(await _card(client, settings, ctx.card, timeout))
        results.append(_clock(client))
    finally:
        await client.aclose()
    return results


def _failed(ctx: Context, why: str, card_why: str) -> list[Result]:
    """The lines when Engage gave no answer: ``engage`` FAIL, the card and the clock skipped."""
    results = [Result("engage", FAIL, why)]
    if ctx.card:
        results.append(Result("card", SKIP, card_why))
    return [*results, _NO_CLOCK]


def _clock(client: EngageClient) -> Result:
    """The till's clock against Engage's, from the answers' ``Date`` headers so far
    (:mod:`kiosk.engage.clock`). One answer bounds the difference to about two seconds, so
    this catches a clock off by more than a few: what breaks a lost answer's check."""
    watch = client.clock
    found = watch.offset()
    if found is None:
        return Result("clock", SKIP, "Engage's answers carry no Date header: nothing to "
                                     "compare the till's clock with")
    if watch.off_by_more_than():
        return Result("clock", FAIL, f"{found.describe()}, more than the {watch.margin:g} s "
                                     "margin: a redemption whose answer is lost would be left "
                                     "to IT; turn on time sync (timedatectl set-ntp true) "
                                     "and check NTP reaches its servers")
    return Result("clock", OK, f"agrees with Engage's within the {watch.margin:g} s margin "
                               f"as far as the answers show ({found.describe()})")


def check(ctx: Context, *, key_ok: bool) -> list[Result]:
    """The ``engage`` line, the ``lookup-key`` line and (with ``--card``) the ``card`` line."""
    results: list[Result]
    if not key_ok:
        results = [Result("engage", SKIP, "no usable API key to try (see api-key-file)")]
        if ctx.card:
            results.append(Result("card", SKIP, "no usable API key"))
        results.append(_NO_CLOCK)
    else:
        results = asyncio.run(_engage(ctx))
    return [*results[:1], _lookup_key(ctx.settings), *results[1:]]
