"""What staff typed: a card number, an e-mail or a mobile number? (pure functions, no I/O)

Scans always go by ``KIOSK_LOOKUP_KEY``; only *typed* text is routed here, by its shape:

- contains ``@`` → an e-mail address (``something@domain.tld``) → Engage key ``email``;
- starts with ``+`` and has 7–15 digits (E.164; spaces, dashes and brackets ignored), or is a
  Swedish national mobile number (``07`` + 8 digits, 070/072/073/076/079; sent as ``+467…``)
  → ``mobilePhone``;
- anything else is a card number: spaces and dashes (as printed on cards) are removed and it
  goes through the barcode rules like a scan.

Each kind is looked up by its own key, never by ``any``: Engage's ``any`` stops at the first
format a value passes, so a member number shaped like a phone number would not be found.
Which kinds a till accepts is ``KIOSK_TYPED_LOOKUP``.
"""

# No ``from __future__ import annotations`` here: with it a NamedTuple's field types are strings,
# which ``typing`` compiles one by one when the class is made (~45 k instructions a field, ~2.7 M
# for these modules' NamedTuples in ``kiosk run``'s start, before its first frame).

import re
from typing import Literal, NamedTuple

from kiosk.scanner.barcode import strip_controls

TypedKind = Literal["card", "email", "phone"]
TYPED_KINDS: tuple[TypedKind, ...] = ("card", "email", "phone")

# Staff-facing reasons (short, shown as they are).
EMAIL_OFF = "e-mail lookup is off at this till"
PHONE_OFF = "phone lookup is off at this till"
CARD_OFF = "typed card numbers are off at this till"
NOT_AN_EMAIL = "not a complete e-mail address"

# Patterns as text: ``re`` compiles each when staff first type something (not at import, before
# ``kiosk run``'s first frame) and keeps it.
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}"
_PHONE_JUNK = r"[\s\-()]"
_E164 = r"\+[0-9]{7,15}"
_SE_MOBILE = r"07[02369][0-9]{7}"
_CARD_SEPARATORS = r"[ \-]"


class Typed(NamedTuple):
    """A typed value routed to an Engage key: ``key`` None means "a card: use the scan rules"."""

    kind: TypedKind
    value: str
    key: Literal["email", "mobilePhone"] | None = None


class TypedRefused(NamedTuple):
    """Typed text this till won't look up; ``reason`` is shown to staff as is."""

    reason: str


def route_typed(raw: str, allowed: frozenset[str] | set[str] | tuple[str, ...] = TYPED_KINDS
                ) -> Typed | TypedRefused:
    """Which Engage key typed text goes to (see the module docstring for the rules)."""
    text = strip_controls(raw).strip()
    if "@" in text:
        if "email" not in allowed:
            return TypedRefused(EMAIL_OFF)
        if not re.fullmatch(_EMAIL, text):
            return TypedRefused(NOT_AN_EMAIL)
        return Typed("email", text, "email")
    phone = re.sub(_PHONE_JUNK, "", text)
    if re.fullmatch(_E164, phone) or re.fullmatch(_SE_MOBILE, phone):
        if "phone" not in allowed:
            return TypedRefused(PHONE_OFF)
        return Typed("phone", phone if phone.startswith("+") else "+46" + phone[1:],
                     "mobilePhone")
    if "card" not in allowed:
        return TypedRefused(CARD_OFF)
    return Typed("card", re.sub(_CARD_SEPARATORS, "", text))


def parse_typed_kinds(value: str) -> tuple[TypedKind, ...]:
    """``"card, email"`` → ``("card", "email")`` (in canonical order); ValueError if unknown."""
    wanted = {p.strip().lower() for p in value.split(",") if p.strip()}
    unknown = wanted - set(TYPED_KINDS)
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(sorted(unknown))}; use a comma-separated "
                         f"list of {', '.join(TYPED_KINDS)}")
    return tuple(k for k in TYPED_KINDS if k in wanted)
