"""The simulator's ASGI app (Starlette): Engage's /api routes and the simulator's /sim admin.

Each /api request is recorded, then checked in Engage's order (API key, rate, content type),
then any matching fault is applied around the handler. Handlers are plain functions over
:class:`SimState`; they return JSON-able data or raise :class:`SimError`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kiosk.sim.faults import Fault, Faults, RecordedRequest, RequestLog
from kiosk.sim.rules import SimError
from kiosk.sim.state import SimState

JSON_TYPE = "application/json; charset=utf-8"
DropConnection = Callable[[Scope], Awaitable[bool]]
Handler = Callable[[Request, Any], Any]
_NO_BODY = object()  # a handler's "200 with an empty body" (delete)
_BAD_JSON = object()  # a request body that isn't JSON: handlers treat it as a wrong body


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if data is _NO_BODY:
        return Response(b"", status, headers=headers)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers=headers, media_type=JSON_TYPE)


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
        self._app = Starlette(routes=self._api_routes() + self._sim_routes())

    def __repr__(self) -> str:
        return f"EngageApp(rate_limit={self.limiter.rate})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    # --- the /api wrapper -------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        key = request.headers.get("apikey", "").encode()
        return hmac.compare_digest(key, self._api_key)

    def _api(self, handler: Handler, methods: list[str], path: str) -> Route:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            self.log.append(RecordedRequest(
                request.method, request.url.path, request.scope["query_string"].decode("latin-1"),
                dict(request.headers.items()), raw, time.time()))
            if not self._authorized(request):
                return error_response(SimError(401, "Unauthorized", "Missing or wrong apikey"))
            wait = self.limiter.retry_after(request.headers["apikey"])
            if wait is not None:
                return error_response(SimError(429, "TooManyRequests", "Rate limit exceeded"),
                                      {"Retry-After": str(wait)})
            if request.method in ("POST", "PUT", "PATCH") and not request.headers.get(
                    "content-type", "").lower().startswith("application/json"):
                # Engage's answer without Content-Type: an ASP.NET 500, not JSON
                return Response("An error has occurred.", 500, media_type="text/plain")
            fault = self.faults.take(request.method, request.url.path,
                                     request.path_params.get("instance_id"))
            if fault is None:
                return self._run(handler, request, raw)
            return await self._faulty(fault, handler, request, raw)

        return Route(path, endpoint, methods=methods)

    def _run(self, handler: Handler, request: Request, raw: bytes) -> Response:
        try:
            body: Any = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = _BAD_JSON
            return json_response(handler(request, body))
        except SimError as err:
            return error_response(err)

    async def _faulty(self, fault: Fault, handler: Handler, request: Request,
                      raw: bytes) -> Response:
        kind = fault.kind
        if kind == "latency":
            await asyncio.sleep(fault.latency)
            return self._run(handler, request, raw)
        if kind == "status":
            await asyncio.sleep(fault.latency)
            if fault.body is not None:
                return Response(fault.body, fault.status, headers=dict(fault.headers or {}),
                                media_type=JSON_TYPE)
            err = SimError(fault.status, "SimulatedFault", f"Injected status {fault.status}")
            return error_response(err, dict(fault.headers or {}))
        if kind == "drop_after_read":
            if fault.commit:
                self._run(handler, request, raw)
            await asyncio.sleep(fault.latency)
            return _DropResponse(self._drop)
        response = self._run(handler, request, raw)
        if kind == "commit_then_504":
            await asyncio.sleep(fault.latency)
            return error_response(SimError(504, "GatewayTimeout", "The gateway timed out"))
        # malformed_json: the handler's answer, cut in half, as a 200
        body = bytes(response.body)
        return Response(body[: max(1, len(body) // 2)], 200, media_type=JSON_TYPE)

    # --- Engage routes ----------------------------------------------------------------------

    def _api_routes(self) -> list[Route]:
        s = self.state
        q = _query

        def redeem(r: Request, body: Any) -> Any:
            return s.redeem(r.path_params["instance_id"], body, r.path_params.get("contact_id"))

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
        a = routes.append
        for v in ("v2", "v3"):
            a(self._api(lambda r, b: s.contact_count(), ["GET"], f"/api/{v}/contacts/count"))
            a(self._api(lambda r, b: s.find_contact_id(q(r)), ["GET"], f"/api/{v}/contacts/id"))
            a(self._api(lambda r, b: s.get_contact(r.path_params["contact_id"]), ["GET"],
                        f"/api/{v}/contacts/{{contact_id}}"))
        a(self._api(lambda r, b: s.list_promotions(r.path_params["contact_id"],
                                                   q(r).get("redemptionChannelType")),
                    ["GET"], "/api/v2/contacts/{contact_id}/promotions"))
        a(self._api(promotions_v3, ["GET"], "/api/v3/promotion-assignments"))
        for path in ("/api/v2/promotions/codes/{instance_id:path}/redeem",
                     "/api/v2/contacts/{contact_id}/promotions/{instance_id:path}/redeem",
                     "/api/v3/promotion-assignments/{instance_id:path}/redeem",
                     "/api/v3/promotions/codes/{instance_id:path}/redeem"):
            a(self._api(redeem, ["POST"], path))
        a(self._api(assign_v3, ["POST"], "/api/v3/promotion-assignments"))
        # Reward vouchers and points (kiosk.sim.rewards). The voucher is {instance_id} so
        # that faults naming an instance apply to voucher redeems too.
        rw = s.rewards
        def vouchers(which: str) -> Handler:
            return lambda r, b: rw.list_vouchers(q(r).get("contactId", ""), which)

        for which, path in (("available", "/available"), ("all", ""), ("redeemed", "/redeemed")):
            a(self._api(vouchers(which), ["GET"], f"/api/v3/reward-vouchers{path}"))
        a(self._api(lambda r, b: rw.redeem(r.path_params["instance_id"]), ["POST"],
                    "/api/v3/reward-vouchers/{instance_id}/redeem"))
        a(self._api(lambda r, b: rw.reactivate(r.path_params["instance_id"]), ["POST"],
                    "/api/v3/reward-vouchers/{instance_id}/reactivate"))
        a(self._api(lambda r, b: rw.point_accounts(q(r).get("contactId", "")), ["GET"],
                    "/api/v3/point-accounts"))
        a(self._api(lambda r, b: rw.point_transactions(q(r)), ["GET"],
                    "/api/v3/point-transactions"))
        a(self._api(lambda r, b: s.assign(r.path_params["contact_id"],
                                          r.path_params["promotion_id"]),
                    ["POST"], "/api/v2/contacts/{contact_id}/promotions/{promotion_id}/assign"))
        for v in ("v2", "v3"):
            base = f"/api/{v}/promotions/multichannels"
            a(self._api(lambda r, b: s.create_template(b), ["POST"], base))
            a(self._api(lambda r, b: s.get_template(external_id=q(r).get("externalId")),
                        ["GET"], base))
            a(self._api(delete_by_external_id, ["DELETE"], base))
            a(self._api(lambda r, b: s.get_validity(external_id=q(r).get("externalId")),
                        ["GET"], f"{base}/validity"))
            one = f"{base}/{{promotion_id}}"
            a(self._api(lambda r, b: s.get_template(r.path_params["promotion_id"]), ["GET"], one))
            a(self._api(lambda r, b: s.update_template(r.path_params["promotion_id"], b),
                        ["PUT"], one))
            a(self._api(delete_by_id, ["DELETE"], one))
            a(self._api(lambda r, b: s.get_validity(r.path_params["promotion_id"]), ["GET"],
                        f"{one}/validity"))
            a(self._api(lambda r, b: s.update_validity(r.path_params["promotion_id"], b),
                        ["PUT"], f"{one}/validity"))
        a(self._api(_no_route, ["GET", "POST", "PUT", "DELETE", "PATCH"], "/api/{rest:path}"))
        return routes

    # --- simulator admin (/sim) -------------------------------------------------------------

    def _admin(self, handler: Handler, method: str, path: str) -> Route:
        async def endpoint(request: Request) -> Response:
            if not self._authorized(request):
                return error_response(SimError(401, "Unauthorized", "Missing or wrong apikey"))
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else None
                return json_response(handler(request, body))
            except SimError as err:
                return error_response(err)
            except (ValueError, KeyError, TypeError) as exc:
                return error_response(SimError(400, "BadRequest", str(exc)))

        return Route(path, endpoint, methods=[method])

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

        def reset(r: Request, body: Any) -> Any:
            s.reset()
            self.faults.clear()
            self.log.clear()
            return {"reset": True}

        def add_contact(r: Request, body: Any) -> Any:
            return {"id": s.add_contact(
                first_name=body.get("firstName"), last_name=body.get("lastName"),
                card=body.get("card"), email=body.get("email"),
                mobile_phone=body.get("mobilePhone"))}

        def add_offer(r: Request, body: Any) -> Any:
            cid = r.path_params["contact_id"]
            s.get_contact(cid)  # 400/404 for a bad or unknown contact id
            return {"id": s.add_offer(cid, name=body["name"], value_type=body["valueType"],
                               value=body["value"], channels=body.get("channels", ["POS"]),
                               instruction=body.get("instruction"),
                               redeemed=bool(body.get("redeemed", False)))}

        def add_voucher(r: Request, body: Any) -> Any:
            cid = r.path_params["contact_id"]
            days = body.get("expiresInDays")
            expires = s.clock() + timedelta(days=float(days)) if days is not None else None
            return {"id": s.rewards.add_voucher(
                cid, name=body["name"], amount=body["amount"], currency=s.currency,
                expires_on=expires, points=int(body.get("points", 0)),
                local_values=body.get("localValues", []))}

        def add_points(r: Request, body: Any) -> Any:
            days = body.get("validInDays")
            s.rewards.add_points(r.path_params["contact_id"], body["amount"],
                                 valid_from=s.clock() + timedelta(days=float(days))
                                 if days is not None else None)
            return s.rewards.point_accounts(r.path_params["contact_id"])

        a = self._admin
        return [
            a(lambda r, b: s.activate(r.path_params["promotion_id"]), "POST",
              "/sim/promotions/{promotion_id}/activate"),
            a(lambda r, b: [f.to_wire() for f in self.faults.active()], "GET", "/sim/faults"),
            a(add_fault, "POST", "/sim/faults"),
            a(clear_faults, "DELETE", "/sim/faults"),
            a(lambda r, b: [x.to_wire() for x in self.log.all()], "GET", "/sim/requests"),
            a(clear_requests, "DELETE", "/sim/requests"),
            a(reset, "POST", "/sim/reset"),
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


def _no_route(request: Request, body: Any) -> Any:
    raise SimError(404, "ResourceNotFound",
                   f"No such endpoint: {request.method} {request.url.path}")
