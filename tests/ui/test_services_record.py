"""``KioskServices`` is built like a dataclass without ``dataclass`` (kiosk.ui.services.record):
the same arguments, defaults and errors."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.ui.services import KioskServices


def test_services_take_dataclass_arguments_and_defaults() -> None:
    lookup: Any = object()
    redeemer: Any = object()
    a = KioskServices(lookup, redeemer, notices=["x"])
    b = KioskServices(lookup=lookup, redeemer=redeemer)
    assert (a.lookup, a.redeemer, a.notices, a.journal, a.demo_cards) == (
        lookup, redeemer, ["x"], None, ())
    assert b.notices == [] and b.notices is not KioskServices(lookup, redeemer).notices
    b.notices.append("y")  # a mutable record, as tests use it
    b.pin_guard = None
    assert "notices=['y']" in repr(b) and repr(b).startswith("KioskServices(lookup=")


@pytest.mark.parametrize("args, kwargs", [
    ((), {"redeemer": 1}),  # lookup missing
    ((1, 2), {"lookup": 3}),  # lookup twice
    ((1, 2), {"bogus": 3}),
    (tuple(range(len(KioskServices.__annotations__) + 1)), {}),  # more than its fields
])
def test_services_refuse_what_a_dataclass_refuses(args: tuple[Any, ...],
                                                 kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        KioskServices(*args, **kwargs)
