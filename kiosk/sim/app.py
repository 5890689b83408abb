"""The simulator's ASGI app: Engage's /api routes and the simulator's /sim admin.

Every request is answered in this order, the way Engage fails: API key (401), rate (429),
route (404, or 405 for a known path with another method), content type (Engage's 500 for a
body call without JSON), body size (413), body JSON (400), then any matching fault around the
handler. The body is read only after the key was accepted, and at most :data:`MAX_BODY` bytes
of it. Handlers are plain functions over :class:`SimState`; they return JSON-able data or
raise :class:`SimError`. Every answer the simulator makes itself is JSON.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.utils import formatdate
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from kiosk.sim.delay import delay
from kiosk.sim.faults import Fault, Faults, RecordedRequest, RequestLog
from kiosk.sim.rules import SimError
from kiosk.sim.state import SimState

JSON_TYPE = "application/json; charset=utf-8"
#: Largest request body read (bytes); a longer one is answered 413 without being kept.
MAX_BODY = 1024 * 1024
#: Deepest JSON nesting accepted in a request body (Engage's bodies are 3-4 levels deep).
MAX_JSON_DEPTH = 32
DropConnection = Callable[[Scope], Awaitable[bool]]
Handler = Callable[[Request, Any], Any]
_NO_BODY = object()  # a handler's "200 with an empty body" (delete)
_BAD_JSON = object()  # a request body that isn't JSON: handlers treat it as a wrong body
_BODY_METHODS = ("POST", "PUT", "PATCH")
#: Largest clock offset ``POST /sim/clock`` takes (seconds, either way): a year.
MAX_CLOCK_OFFSET = 366 * 86400.0
# Engage's answer to a body call without Content-Type: application/json (ASP.NET's default)
_ASPNET_500 = {"Message": "An error has occurred."}

_log = logging.getLogger("kiosk.sim")


def _dumps(data: Any) -> bytes:
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate from a request's JSON: escape it instead
        return json.dumps(data, separators=(",", ":")).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if data is _NO_BODY:
        return Response(b"", status, headers=headers)
    return Response(_dumps(data), status, headers=headers, media_type=JSON_TYPE)


def error_response(err: SimError, headers: dict[str, str] | None = None) -> Response:
    return json_response(err.body(), err.status, headers)


class RateLimiter:
    """A token bucket per API key: bursts up to ``rate`` requests, refilled at ``rate`` per s."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, key: str) -> int | None:
        """None if the request may pass, else the seconds to wait (for ``Retry-After``)."""
        if self.rate is None:
            return None
        capacity = max(1.0, self.rate)
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


class _DropResponse(Response):
    """Closes the connection instead of answering (the request was fully read)."""

    def __init__(self, drop: DropConnection | None) -> None:
        super().__init__()
        self._drop = drop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._drop is not None and await self._drop(scope):
            return
        # No transport at hand (e.g. an in-memory ASGI client): start a response and abort it.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionAbortedError("simulated dropped connection")


class _TooLarge(Exception):
    """The request body is longer than :data:`MAX_BODY`."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, or :class:`_TooLarge` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """A request body as JSON: None if empty, ``_BAD_JSON`` if it isn't JSON, 400 if it nests
    deeper than :data:`MAX_JSON_DEPTH`."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise SimError(400, "BadRequest", "The JSON body is nested too deeply") from None
    except ValueError:  # also bytes that aren't UTF-8 and integers of over 4,300 digits
        return _BAD_JSON
    if _depth_exceeds(data, MAX_JSON_DEPTH):
        raise SimError(400, "BadRequest", "The JSON body is nested too deeply")
    return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether lists/objects nest deeper than ``limit`` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _no_route(scope: Scope, allowed: set[str]) -> Response:
    """404 for an unknown path; 405 naming the allowed methods for a known one."""
    method, path = scope["method"], scope["path"][:200]
    if allowed:
        return error_response(
            SimError(405, "MethodNotAllowed", f"The requested resource does not support "
                     f"http method '{method[:20]}'."), {"Allow": ", ".join(sorted(allowed))})
    return error_response(SimError(404, "ResourceNotFound", f"No such endpoint: {path}"))


class EngageApp:
    """The ASGI app. ``drop`` closes the connection a request arrived on (given by the server)."""

    def __init__(self, state: SimState, *, api_key: str, faults: Faults | None = None,
                 log: RequestLog | None = None, rate_limit: float | None = 200.0,
                 drop: DropConnection | None = None,
                 stats: Callable[[], dict[str, Any]] | None = None) -> None:
        self.state = state
        self.faults = faults or Faults()
        self.log = log or RequestLog()
        self.limiter = RateLimiter(rate_limit)
        self._api_key = api_key.encode()
        self._drop = drop
        self._stats = stats or (lambda: {})
        self._api = self._api_routes()
        self._admin = self._sim_routes()
        self._date_second, self._date_value = -1, b""

    def __repr__(self) -> str:
        return f"EngageApp(rate_limit={self.limiter.rate})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no websockets; lifespan is off
        request = Request(scope, receive)
        send = self._dated(send)
        try:
            response = await self._answer(request)
            await response(scope, receive, send)
        except ClientDisconnect:
            return  # the client left mid-body: nobody to answer
        except ConnectionAbortedError:
            raise  # drop_after_read without a transport: the abort is the answer
        except Exception as exc:  # a simulator bug: a JSON 500 and one log line, no traceback
            _log.error("simulator error on %s %r: %s", scope["method"], scope["path"][:200],
                       type(exc).__name__)
            _log.debug("simulator error", exc_info=True)
            body = {"errorCode": "SimulatorError", "message": type(exc).__name__}
            # if the response had already started there is nothing more to say
            with contextlib.suppress(Exception):
                await json_response(body, 500)(scope, receive, send)

    def _dated(self, send: Send) -> Send:
        """``send`` that adds a ``Date`` header to the answer, on this Engage's clock
        (``state.clock_offset``), taken when the answer starts (uvicorn's own is turned off: it
        is refreshed once a second and knows nothing of the offset)."""
        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start" and self.state.date_header:
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"date" for name, _ in headers):  # a fault's own
                    message = {**message, "headers": [*headers, (b"date", self._date())]}
            await send(message)
        return dated

    def _date(self) -> bytes:
        """Now on this Engage's clock as an HTTP date (the same second's is reused)."""
        second = math.floor(time.time() + self.state.clock_offset)
        if second != self._date_second:
            self._date_second, self._date_value = second, formatdate(second, usegmt=True).encode()
        return self._date_value

    async def _answer(self, request: Request) -> Response:
        path = request.scope["path"]
        if path == "/api" or path.startswith("/api/"):
            return await self._api_request(request)
        if path == "/sim" or path.startswith("/sim/"):
            return await self._admin_request(request)
        return _no_route(request.scope, set())

    @staticmethod
    def _match(routes: list[Route], scope: Scope) -> tuple[Route | None, set[str]]:
        """The route for this method and path (its params put in ``scope``), else the methods
        the path allows."""
        allowed: set[str] = set()
        for route in routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                scope.update(child)
                return route, allowed
            if match is Match.PARTIAL:
                allowed |= route.methods or set()
        return None, allowed

    def _authorized(self, request: Request) -> bool:
        key = request.headers.get("apikey", "").encode("utf-8", "replace")
        return hmac.compare_digest(key, self._api_key)

    def _record(self, request: Request, body: bytes, note: str = "") -> None:
        self.log.append(RecordedRequest(
            request.method, request.scope["path"], request.scope["query_string"].decode("latin-1"),
            dict(request.headers.items()), body, time.time(), note))

    # --- /api --------------------------------------------------------------------------------

    async def _api_request(self, request: Request) -> Response:
        if not self._authorized(request):
            self._record(request, b"", "not read")
            return error_response(SimError(401, "Unauthorized", "Missing or wrong apikey"))
        wait = self.limiter.retry_after(request.headers["apikey"])
        if wait is not None:
            self._record(request, b"", "not read")
            return error_response(SimError(429, "TooManyRequests", "Rate limit exceeded"),
                                  {"Retry-After": str(wait)})
        route, allowed = self._match(self._api, request.scope)
        if route is None:
            self._record(request, b"", "not read")
            return _no_route(request.scope, allowed)
        if request.method in _BODY_METHODS and not request.headers.get(
                "content-type", "").lower().startswith("application/json"):
            self._record(request, b"", "not read")
            return json_response(_ASPNET_500, 500)  # Engage's documented answer
        try:
            raw = await read_body(request)
        except _TooLarge:
            self._record(request, b"", "not read")
            return error_response(SimError(413, "RequestEntityTooLarge",
                                           f"The body is larger than {MAX_BODY} bytes"))
        self._record(request, raw)
        handler: Handler = route.endpoint  # type: ignore[assignment]
        fault = self.faults.take(request.method, request.scope["path"],
                                 request.path_params.get("instance_id"))
        if fault is None:
            return self._run(handler, request, raw)
        return await self._faulty(fault, handler, request, raw)

    def _run(self, handler: Handler, request: Request, raw: bytes) -> Response:
        try:
            return json_response(handler(request, parse_json(raw)))
        except SimError as err:
            return error_response(err)

    async def _faulty(self, fault: Fault, handler: Handler, request: Request,
                      raw: bytes) -> Response:
        kind = fault.kind
        if kind == "latency":
            await delay(fault.latency)
            return self._run(handler, request, raw)
        if kind == "status":
            await delay(fault.latency)
            headers = dict(fault.headers or {})
            if fault.status in (204, 304):  # these can't carry a body
                return Response(b"", fault.status, headers=headers)
            if fault.body is not None:
                return Response(fault.body, fault.status, headers=headers, media_type=JSON_TYPE)
            err = SimError(fault.status, "SimulatedFault", f"Injected status {fault.status}")
            return error_response(err, headers)
        if kind == "drop_after_read":
            if fault.commit:
                self._run(handler, request, raw)
            await delay(fault.latency)
            return _DropResponse(self._drop)
        response = self._run(handler, request, raw)
        if kind == "commit_then_504":
            await delay(fault.latency)
            return error_response(SimError(504, "GatewayTimeout", "The gateway timed out"))
        # malformed_json: the handler's answer (its status kept: a 409 stays a 409), with its
        # JSON body cut in half; an empty body becomes a lone "{"
        body = bytes(response.body)
        garbled = body[: len(body) // 2] if len(body) > 1 else b"{"
        return Response(garbled, response.status_code, media_type=JSON_TYPE)

    # --- Engage routes ----------------------------------------------------------------------

    def _api_routes(self) -> list[Route]:
        s = self.state
        q = _query

        def redeem(r: Request, body: Any) -> Any:
            return s.redeem(r.path_params["instance_id"], body, r.path_params.get("contact_id"),
                            client=r.headers.get("user-agent"))

        def assign_v3(r: Request, body: Any) -> Any:
            b = body if isinstance(body, dict) else {}
            return s.assign(b.get("contactId"), b.get("promotionId"))

        def promotions_v3(r: Request, body: Any) -> Any:
            return s.list_promotions(q(r).get("contactId", ""), q(r).get("redemptionChannelType"))

        def delete_by_id(r: Request, body: Any) -> Any:
            s.delete_template(r.path_params["promotion_id"])
            return _NO_BODY

        def delete_by_external_id(r: Request, body: Any) -> Any:
            s.delete_template(external_id=q(r).get("externalId"))
            return _NO_BODY

        routes: list[Route] = []

        def a(handler: Handler, methods: list[str], path: str) -> None:
            routes.append(Route(path, handler, methods=methods))  # type: ignore[arg-type]

        for v in ("v2", "v3"):
            a(lambda r, b: s.contact_count(), ["GET"], f"/api/{v}/contacts/count")
            a(lambda r, b: s.find_contact_id(q(r)), ["GET"], f"/api/{v}/contacts/id")
            a(lambda r, b: s.get_contact(r.path_params["contact_id"]), ["GET"],
              f"/api/{v}/contacts/{{contact_id}}")
        a(lambda r, b: s.list_promotions(r.path_params["contact_id"],
                                         q(r).get("redemptionChannelType")),
          ["GET"], "/api/v2/contacts/{contact_id}/promotions")
        a(promotions_v3, ["GET"], "/api/v3/promotion-assignments")
        for path in ("/api/v2/promotions/codes/{instance_id:path}/redeem",
                     "/api/v2/contacts/{contact_id}/promotions/{instance_id:path}/redeem",
                     "/api/v3/promotion-assignments/{instance_id:path}/redeem",
                     "/api/v3/promotions/codes/{instance_id:path}/redeem"):
            a(redeem, ["POST"], path)
        a(assign_v3, ["POST"], "/api/v3/promotion-assignments")
        a(lambda r, b: s.assign(r.path_params["contact_id"], r.path_params["promotion_id"]),
          ["POST"], "/api/v2/contacts/{contact_id}/promotions/{promotion_id}/assign")
        # Reward vouchers and points (kiosk.sim.rewards). The voucher is {instance_id} so
        # that faults naming an instance apply to voucher redeems too.
        rw = s.rewards

        def vouchers(which: str) -> Handler:
            return lambda r, b: rw.list_vouchers(q(r).get("contactId", ""), which)

        for which, path in (("available", "/available"), ("all", ""), ("redeemed", "/redeemed")):
            a(vouchers(which), ["GET"], f"/api/v3/reward-vouchers{path}")
        a(lambda r, b: rw.redeem(r.path_params["instance_id"]), ["POST"],
          "/api/v3/reward-vouchers/{instance_id}/redeem")
        a(lambda r, b: rw.reactivate(r.path_params["instance_id"]), ["POST"],
          "/api/v3/reward-vouchers/{instance_id}/reactivate")
        a(lambda r, b: rw.point_accounts(q(r).get("contactId", "")), ["GET"],
          "/api/v3/point-accounts")
        a(lambda r, b: rw.point_transactions(q(r)), ["GET"], "/api/v3/point-transactions")
        for v in ("v2", "v3"):
            base = f"/api/{v}/promotions/multichannels"
            a(lambda r, b: s.create_template(b), ["POST"], base)
            a(lambda r, b: s.get_template(external_id=q(r).get("externalId")), ["GET"], base)
            a(delete_by_external_id, ["DELETE"], base)
            a(lambda r, b: s.get_validity(external_id=q(r).get("externalId")),
              ["GET"], f"{base}/validity")
            one = f"{base}/{{promotion_id}}"
            a(lambda r, b: s.get_template(r.path_params["promotion_id"]), ["GET"], one)
            a(lambda r, b: s.update_template(r.path_params["promotion_id"], b), ["PUT"], one)
            a(delete_by_id, ["DELETE"], one)
            a(lambda r, b: s.get_validity(r.path_params["promotion_id"]), ["GET"],
              f"{one}/validity")
            a(lambda r, b: s.update_validity(r.path_params["promotion_id"], b),
              ["PUT"], f"{one}/validity")
        return routes

    # --- simulator admin (/sim) -------------------------------------------------------------

    async def _admin_request(self, request: Request) -> Response:
        if not self._authorized(request):
            return error_response(SimError(401, "Unauthorized", "Missing or wrong apikey"))
        route, allowed = self._match(self._admin, request.scope)
        if route is None:
            return _no_route(request.scope, allowed)
        handler: Handler = route.endpoint  # type: ignore[assignment]
        try:
            body = parse_json(await read_body(request))
            if body is _BAD_JSON:
                raise SimError(400, "BadRequest", "The body is not JSON")
            return json_response(handler(request, body))
        except _TooLarge:
            return error_response(SimError(413, "RequestEntityTooLarge",
                                           f"The body is larger than {MAX_BODY} bytes"))
        except SimError as err:
            return error_response(err)
        except (ValueError, KeyError, TypeError) as exc:
            return error_response(SimError(400, "BadRequest", str(exc)[:300]))

    def _sim_routes(self) -> list[Route]:
        s = self.state

        def add_fault(r: Request, body: Any) -> Any:
            return self.faults.add(Fault.from_wire(body)).to_wire()

        def clear_faults(r: Request, body: Any) -> Any:
            self.faults.clear()
            return _NO_BODY

        def clear_requests(r: Request, body: Any) -> Any:
            self.log.clear()
            return _NO_BODY

        def set_clock(r: Request, body: Any) -> Any:
            offset = _object(body, "the clock: {offset: seconds}").get("offset")
            if not isinstance(offset, int | float) or isinstance(offset, bool) \
                    or not math.isfinite(offset) or abs(offset) > MAX_CLOCK_OFFSET:
                raise SimError(400, "BadRequest", "offset must be a number of seconds, at most "
                               f"{MAX_CLOCK_OFFSET:g} either way")
            s.clock_offset = float(offset)
            return {"offset": s.clock_offset}

        def reset(r: Request, body: Any) -> Any:
            s.reset()
            self.faults.clear()
            self.log.clear()
            return {"reset": True}

        def add_contact(r: Request, body: Any) -> Any:
            b = _object(body, "a contact: {firstName, lastName, card, email, mobilePhone}")
            return {"id": s.add_contact(
                first_name=_text(b, "firstName"), last_name=_text(b, "lastName"),
                card=_text(b, "card"), email=_text(b, "email"),
                mobile_phone=_text(b, "mobilePhone"))}

        def add_offer(r: Request, body: Any) -> Any:
            cid = r.path_params["contact_id"]
            s.get_contact(cid)  # 400/404 for a bad or unknown contact id
            b = _object(body, "an offer: {name, valueType, value, channels, instruction}")
            name, value_type = _text(b, "name", required=True), _text(b, "valueType",
                                                                       required=True)
            channels = b.get("channels", ["POS"])
            if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
                raise SimError(400, "BadRequest", "channels must be a list of channel names")
            value = b.get("value")
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise SimError(400, "BadRequest", "value must be a string or a number")
            redeemed = b.get("redeemed", False)
            if not isinstance(redeemed, bool):
                raise SimError(400, "BadRequest", "redeemed must be true or false")
            return {"id": s.add_offer(cid, name=str(name), value_type=str(value_type),
                                      value=value, channels=channels,
                                      instruction=_text(b, "instruction"), redeemed=redeemed)}

        def a(handler: Handler, method: str, path: str) -> Route:
            return Route(path, handler, methods=[method])  # type: ignore[arg-type]

        def add_voucher(r: Request, body: Any) -> Any:
            cid = r.path_params["contact_id"]
            b = _object(body, "a voucher: {name, amount, expiresInDays, points, localValues}")
            amount, days, points = b.get("amount"), b.get("expiresInDays"), b.get("points", 0)
            if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
                raise SimError(400, "BadRequest", "amount must be a number >= 0")
            if days is not None and (not isinstance(days, int | float) or isinstance(days, bool)
                                     or abs(days) > 36_500):
                raise SimError(400, "BadRequest", "expiresInDays must be a number of days")
            if not isinstance(points, int) or isinstance(points, bool):
                raise SimError(400, "BadRequest", "points must be a whole number")
            expires = s.clock() + timedelta(days=float(days)) if days is not None else None
            return {"id": s.rewards.add_voucher(
                cid, name=str(_text(b, "name", required=True)), amount=amount,
                currency=s.currency, expires_on=expires, points=points)}

        def add_points(r: Request, body: Any) -> Any:
            b = _object(body, "points: {amount, validInDays}")
            amount, days = b.get("amount"), b.get("validInDays")
            if not isinstance(amount, int | float) or isinstance(amount, bool):
                raise SimError(400, "BadRequest", "amount must be a number")
            if days is not None and (not isinstance(days, int | float) or isinstance(days, bool)
                                     or abs(days) > 36_500):
                raise SimError(400, "BadRequest", "validInDays must be a number of days")
            s.rewards.add_points(r.path_params["contact_id"], amount,
                                 valid_from=s.clock() + timedelta(days=float(days))
                                 if days is not None else None)
            return s.rewards.point_accounts(r.path_params["contact_id"])

        return [
            a(lambda r, b: s.activate(r.path_params["promotion_id"]), "POST",
              "/sim/promotions/{promotion_id}/activate"),
            a(lambda r, b: [f.to_wire() for f in self.faults.active()], "GET", "/sim/faults"),
            a(add_fault, "POST", "/sim/faults"),
            a(clear_faults, "DELETE", "/sim/faults"),
            a(lambda r, b: [x.to_wire() for x in self.log.all()], "GET", "/sim/requests"),
            a(clear_requests, "DELETE", "/sim/requests"),
            a(reset, "POST", "/sim/reset"),
            a(lambda r, b: {"offset": s.clock_offset}, "GET", "/sim/clock"),
            a(set_clock, "POST", "/sim/clock"),
            a(lambda r, b: {**self._stats(), "requests": len(self.log.all()),
                            "contacts": s.contact_count()}, "GET", "/sim/stats"),
            a(lambda r, b: [{"card": d.card, "firstName": d.first_name, "note": d.note}
                            for d in s.demo_cards()], "GET", "/sim/demo-cards"),
            a(add_contact, "POST", "/sim/contacts"),
            a(add_offer, "POST", "/sim/contacts/{contact_id}/offers"),
            a(add_voucher, "POST", "/sim/contacts/{contact_id}/vouchers"),
            a(add_points, "POST", "/sim/contacts/{contact_id}/points"),
        ]


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SimError(400, "BadRequest", f"The body must be a JSON object describing {what}")
    return body


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise SimError(400, "BadRequest", f"{key} must be a string"
                       + ("" if required else " or null"))
    return value
