"""The Engage simulator: a real HTTP server on loopback that behaves like Voyado Engage.

Used by every test, by ``kiosk demo`` (in-process, on a background thread) and by POS
integrators (``kiosk sim``). No Textual imports here.

Engage's documented behaviour (see shared/reference/engage-api.md) that the simulator follows:

- ``apikey`` header on every call; 429 above a request rate per API key (default 200/s).
- ``GET /api/v{2,3}/contacts/id?<key>=<value>`` with customKey / email / mobilePhone /
  socialSecurityNumber / any: 200 with the contact id as a JSON string; 400 InvalidEmailAddress,
  InvalidPhoneNumber, InvalidSocialSecurityNumber, InvalidContactType, InvalidSearchQuery;
  404 ContactNotFound; 409 MultipleMatches (body has ``multipleMatchesFound: [ids]``).
  ``any`` tries email -> socialSecurityNumber -> mobilePhone -> customKey and stops at the first
  attribute the value *validates* as, even if nothing matches there (so a 13-digit card number,
  which validates as a phone number, is never tried as customKey: 404).
- ``GET /api/v{2,3}/contacts/{id}``;
  ``GET /api/v2/contacts/{id}/promotions[?redemptionChannelType=]`` listing instances (``id``)
  of templates (``promotionId``); PERCENT values are numbers, MONEY values
  ``{amount, currency}``, others strings.
- Redeem by instance id: ``POST /api/v2/promotions/codes/{id}/redeem``,
  ``/api/v2/contacts/{contactId}/promotions/{id}/redeem``,
  ``/api/v3/promotion-assignments/{id}/redeem`` (and ``/api/v3/promotions/codes/{id}/redeem``)
  with ``{"redemptionChannel": "POS"|"ECOM"|"OTHER"}``:
  400 NotAValidRedemptionChannel, InvalidPromotionIdNoData; 404 PromotionNotFound (also for a
  template id), PromotionNotAssociatedWithContact; 409 PromotionNotValidForRedemptionChannel,
  PromotionAlreadyRedeemed. Redeemed once: ``redeemed``/``redeemedOn`` flip.
- Templates: create (v2/v3 ``/promotions/multichannels``) always Draft, dates YYYY-MM-DD only
  (400 BadRequest otherwise, or for a missing name); get/update/validity/delete by id and by
  externalId; only Draft templates can be updated, only unassigned ones deleted.
- Assign (``POST /api/v3/promotion-assignments``,
  ``POST /api/v2/contacts/{c}/promotions/{p}/assign``):
  400 InvalidContactId/InvalidPromotionId, 404 ContactNotFound/PromotionNotFound, 409
  PromotionExpired; the instance expires at the end of assignedValidity (Days/Months from the
  assignment day) or at endDate, whichever is first.
- ``GET /api/v2/contacts/count`` -> an integer (the kiosk's cheap authenticated ping).
- Reward vouchers and points (``kiosk.sim.rewards``, sources in docs/engage-vouchers-points.md):
  ``GET /api/v3/reward-vouchers[/available|/redeemed]?contactId=`` as pages
  ``{count, offset, totalCount, items}``; ``POST /api/v3/reward-vouchers/{id}/redeem`` (400
  InvalidRewardVoucherId, 404 RewardVoucherNotFound, 409 RewardVoucherAlreadyRedeemed /
  RewardVoucherExpired; ``redeemedOn`` recorded on every redeem);
  ``POST /api/v3/reward-vouchers/{id}/reactivate`` (409 RewardVoucherAlreadyActivated /
  RewardVoucherExpired / ReactivationLimitExceeded after 3; value and expiry unchanged);
  ``GET /api/v3/point-accounts?contactId=`` (balance; pending = transactions whose validFrom is
  ahead) and ``GET /api/v3/point-transactions`` (by accountId, or contactId + definitionId;
  filter All/Active/Pending; offset/count).
- A body call (POST/PUT/PATCH) without ``Content-Type: application/json``: 500 with ASP.NET's
  body ``{"Message": "An error has occurred."}``.

Our assumptions (Engage doesn't document these):

- Error body: ``{"errorCode": "<CodeName>", "message": "..."}`` (+ ``multipleMatchesFound``).
- 401 ``Unauthorized`` for a missing or wrong key; 429 ``TooManyRequests`` with ``Retry-After``
  (whole seconds); token bucket per key, bursts up to the rate.
- The content-type rule applies to body calls only (Engage says "all requests").
- A contact's promotion list includes redeemed instances (``redeemed: true``) until they expire,
  and omits expired ones (``SimState.include_expired = True`` lists them too). The channel filter
  keeps promotions having that channel and lists all their channels.
- Redeeming an expired instance: 409 PromotionExpired. Checks run in this order: channel name,
  instance id, (contact), channel present on the promotion, already redeemed, expired.
- Redeem answers 200 with the redeemed instance; assign answers 200 with the new instance
  (as listed for the contact); delete answers 200 with an empty body.
- ``redemptionChannel`` values are case-sensitive (``pos`` is 400).
- Assigning a template that isn't Active: 409 ``PromotionNotActive``. Updating a non-Draft
  template (whole or validity): 409 ``PromotionNotDraft``. Deleting an assigned one:
  409 ``PromotionAssigned``. A second template with the same externalId:
  409 ``ExternalIdAlreadyExists``.
- ``customKey`` matches ``memberNumber`` or ``externalId`` (Engage picks one per tenant).
  National phone numbers (07x...) are read as Swedish (+46).
- Template dates are echoed as local midnight with offset (``2026-03-18T00:00:00+01:00``);
  ``expiresOn`` is 23:59:59 local on the last day. The tenant zone is Europe/Stockholm.
- ``GET /api/v3/promotion-assignments?contactId=`` lists like the v2 path (the v3 docs are unclear).
- An unknown path: 404 ``ResourceNotFound``; a known path with another method: 405
  ``MethodNotAllowed`` with ``Allow``; a body over 1 MiB: 413 ``RequestEntityTooLarge`` (the
  API key is checked first, before any of the body is read); JSON nested deeper than 32 levels
  or with NaN/Infinity: 400. Every answer the simulator makes itself is JSON.
- Ids are GUIDs in the documented 8-4-4-4-12 form only (braces, ``urn:uuid:`` and the 32-digit
  form are malformed ids). MONEY values are plain decimals, PERCENT values ASCII digits.

Faults (``sim.faults.add(Fault(kind, method=, path=, instance_id=, times=, latency=, ...))`` or
``POST /sim/faults``) apply to /api calls whose key was accepted; a fault matches when all its
given keys match: ``method`` exactly, ``path`` as a regex searched in the URL path,
``instance_id`` as the instance (or reward voucher) a redeem or reactivate path names. The
first matching fault is used and counts one of its ``times`` (None: until cleared). Kinds:
``latency`` (wait, then handle: the commit happens late), ``commit_then_504`` (handle, wait
``latency``, 504 GatewayTimeout), ``drop_after_read`` (read the whole request, handle it if
``commit``, wait, close the connection without a response: httpx raises
``RemoteProtocolError("Server disconnected without sending a response.")``), ``status`` (wait,
answer ``status`` with ``body``/``headers``, or an Engage error body with code
``SimulatedFault``; nothing committed), ``malformed_json`` (handle, then the handler's answer
with its status kept and its JSON body cut in half). A fault with a wrong field is refused
(ValueError; 400 over HTTP) and never stored. Waits are ``kiosk.sim.delay.delay``: other
requests are served meanwhile, and the wait ends on its deadline (the server's loop keeps
timers to the microsecond), not up to a millisecond or more after it as ``asyncio.sleep`` would.

The clock: every answer carries a ``Date`` header taken when the answer starts (uvicorn's own,
refreshed once a second, is turned off). ``SimState.clock_offset`` (seconds; ``kiosk sim
--clock-offset``, ``GET|POST /sim/clock``) runs this Engage's clock ahead (or, negative, behind)
the real time: its own ``redeemedOn`` stamps and the ``Date`` headers, for a till whose clock is
off; ``SimState.date_header = False`` leaves the header out. ``reset()`` keeps both.

The server: uvicorn (h11) on its own event loop in a daemon thread; keep-alive 600 s;
TCP_NODELAY on every accepted socket (without it each call waits ~40 ms for a delayed ACK);
no access log (it would print card numbers); ``start()`` returns once the socket listens
(about 2 ms), ``stop()`` closes idle connections at once and cuts busy ones after 0.5 s.
Benchmarks doing more than 200 calls/s need ``Simulator(rate_limit=None)``.

Simulator-only admin (same ``apikey`` header; not recorded, no faults, no rate limit):
``POST /sim/promotions/{id}/activate``, ``GET|POST|DELETE /sim/faults`` (body as
``Fault.to_wire``), ``GET|DELETE /sim/requests`` (key masked), ``POST /sim/reset`` (data, faults
and request log), ``GET /sim/stats`` (``connectionsOpened``, ``requests``, ``contacts``),
``GET /sim/demo-cards``, ``GET|POST /sim/clock``, ``POST /sim/contacts``,
``POST /sim/contacts/{id}/offers``,
``POST /sim/contacts/{id}/vouchers`` and ``POST /sim/contacts/{id}/points``.
"""

from kiosk.sim.demo import DEMO_API_KEY, load_demo_data
from kiosk.sim.faults import Fault, RecordedRequest
from kiosk.sim.rules import SimError
from kiosk.sim.server import Simulator
from kiosk.sim.state import DemoCard, SimState

__all__ = [
    "DEMO_API_KEY", "DemoCard", "Fault", "RecordedRequest", "SimError", "SimState", "Simulator",
    "load_demo_data",
]
