"""Snapshots of the main screens, from the demo frozen in time (``kiosk.ui.showcase``).

No blinking cursor, no clock, no host name, fixed dates: the same keys paint the same SVG.
A mismatch fails the test and writes ``snapshot_report.html`` (side by side, with a diff
toggle). After a deliberate UI change: ``.venv/bin/pytest tests/ui/test_snapshots.py
--snapshot-update``, look at the new SVGs, commit them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import pytest

from kiosk.ui import showcase
from kiosk.ui.app import KioskApp

SMALL = (80, 24)
LARGE = (120, 40)


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], KioskApp]]:
    monkeypatch.delenv("NO_COLOR", raising=False)  # a developer's NO_COLOR would grey them all
    with showcase.frozen_demo() as factory:
        yield factory


def test_scan_screen_lists_demo_cards(snap_compare, make_app) -> None:
    """Idle: the prompt, the demo cards, scanner and Engage state, the staff keys."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.scan_screen)


def test_offers_screen_all_value_types(snap_compare, make_app) -> None:
    """Anna's four POS offers: manual instruction, amount, percent, till code; with dates; the
    count line and the highlighted offer's conditions under the list."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.offers_screen)


def test_offers_screen_120x40(snap_compare, make_app) -> None:
    """The same list in a roomy terminal."""
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=showcase.offers_screen)


def test_confirm_modal(snap_compare, make_app) -> None:
    """The till-code offer chosen: what will be redeemed and what to key in."""
    assert snap_compare(make_app(), terminal_size=SMALL,
                        run_before=partial(showcase.confirm_screen, down=3))


def test_result_success(snap_compare, make_app) -> None:
    """Redeemed: what to apply (20 % off), large, in green, with a tick and words."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.result_screen)


def test_result_voucher_with_undo(snap_compare, make_app) -> None:
    """A reward voucher redeemed: what to take off, and the F3 undo in words and footer."""
    assert snap_compare(make_app(), terminal_size=SMALL,
                        run_before=showcase.voucher_result_screen)


def test_result_card_not_found(snap_compare, make_app) -> None:
    """A failure: red, a cross, "Nothing to apply", and what to do next."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.not_found_screen)


def test_offers_not_usable_here(snap_compare, make_app) -> None:
    """The end of Anna's list: used (with the date), online only, not valid yet, expired;
    dimmed, each with its reason, and the highlighted one's reason under the list."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.not_usable_offers)


def test_offers_not_usable_here_120x40(snap_compare, make_app) -> None:
    """The whole list in a roomy terminal: usable offers, then the section below."""
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=showcase.not_usable_offers)


def test_second_result_in_a_visit(snap_compare, make_app) -> None:
    """A second offer redeemed in one visit: what to apply, its conditions, and "This visit"
    listing both; Enter/Esc say what comes next."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.visit_result_screen)


def test_second_result_in_a_visit_120x40(snap_compare, make_app) -> None:
    """The same in a roomy terminal."""
    assert snap_compare(make_app(), terminal_size=LARGE, run_before=showcase.visit_result_screen)


def test_shared_card_chooser(snap_compare, make_app) -> None:
    """The family card: first names only, Up/Down + Enter, Esc gives up."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=showcase.chooser_screen)
