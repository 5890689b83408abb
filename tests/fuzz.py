"""Hypothesis strategies for hostile input, shared by the simulator's and the settings' property
tests: text with controls, escapes and odd Unicode, numbers spelled every way, JSON of any
shape (deep, wide, huge numbers), GUIDs in every form."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

# Values that broke something once, or are famous for it.
NASTY_TEXT = [
    "", " ", "\t", "\x01", "\x7f", "\x1b[2J", "\u202e", "\u2028", "²", "٣", "1e999999",
    "1e5000", "Infinity", "-Infinity", "NaN", "nan", "inf", "1e308", "-0", "0", "-1",
    "99999", "4294967296", "9" * 50, "0x10", "1_000", " 5 ", "true", "null", "{}", "[]",
    "%00", "%", "../../etc/passwd", "a" * 300, "é", "🙂", "𝟘",
]
NUMBER_TEXT = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "1e308", "1e-320", "-0", "0", "1", "60", "5.5",
                     "1e5000", "9" * 30, "0x1F", "1_0", " 7 ", "+3", "²"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def hostile_text(max_size: int = 40, *, env_safe: bool = False) -> st.SearchStrategy[str]:
    """Short text that a careless person or an attacker types: controls, escapes, Unicode.

    ``env_safe``: no NUL and no surrogates (an environment variable can hold neither).
    """
    alphabet = st.characters(blacklist_categories=("Cs",) if env_safe else (),
                             blacklist_characters="\x00" if env_safe else "")
    return st.one_of(st.sampled_from(NASTY_TEXT), NUMBER_TEXT,
                     st.text(alphabet=alphabet, max_size=max_size),
                     st.text(alphabet=string.printable, max_size=max_size))


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON of any shape: scalars (huge and tiny numbers, hostile text), lists and objects."""
    scalars = st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(20),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(hostile_text(10), st.sampled_from(KNOWN_KEYS)), children,
                            max_size=4)),
        max_leaves=max_leaves)


#: Field names Engage's and the simulator's bodies use: random objects hit real code paths.
KNOWN_KEYS = [
    "redemptionChannel", "contactId", "promotionId", "name", "externalId", "validity",
    "startDate", "endDate", "assignedValidity", "unit", "amount", "presentation",
    "redemptionChannels", "type", "valueType", "value", "localValues", "instruction", "id",
    "kind", "method", "path", "instanceId", "times", "latency", "status", "commit", "body",
    "headers", "firstName", "lastName", "card", "email", "mobilePhone", "channels", "redeemed",
]


def guid_forms(guid: str) -> st.SearchStrategy[str]:
    """A GUID as Engage documents it, and in the forms it doesn't."""
    return st.sampled_from([guid, guid.upper(), "{" + guid + "}", "urn:uuid:" + guid,
                            guid.replace("-", ""), "(" + guid + ")", guid[:-1], guid + "0",
                            " " + guid + " "])
