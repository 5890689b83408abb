"""The visit strip wraps between items, never inside one ("50 kr" must not become "50" and
"kr" on the next line: staff key these into the till)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static

from kiosk.offers import Member, Offer
from kiosk.ui.screens.offers import visit_strip
from kiosk.ui.widgets.visit_strip import VisitStrip
from kiosk.visit import Visit

ANNA = Member(contact_id="c1", first_name="Anna", card="2004173000100", masked_card="•••• 0100")
ITEMS = ["Gratis kaffe", "100\u00a0kr", "20\u00a0%", "Code TILL-3FOR2", "50\u00a0kr", "100\u00a0kr"]


def a_visit() -> Visit:
    visit = Visit(ANNA)
    for i, text in enumerate(ITEMS):
        visit.add(Offer(id=f"o{i}", promotion_id=None, name=f"o{i}", value_type="MONEY",
                        value_text=text, till_instruction=text))
    return visit


class StripApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(visit_strip(a_visit()), id="strip")


async def test_a_long_strip_wraps_between_items_on_screen() -> None:
    app = StripApp()
    async with app.run_test(size=(70, 6)) as pilot:
        await pilot.pause()
        lines = [line.rstrip() for line in app.screen._compositor.render_strips()
                 for line in [line.text] if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].endswith("Code TILL-3FOR2 ·") and lines[1] == "50\u00a0kr · 100\u00a0kr"


def test_lines_fit_the_width_and_keep_every_item_whole() -> None:
    strip = VisitStrip("This visit, apply:", ITEMS)
    for width in range(20, 90):
        lines = [line.plain for line in strip.lines(width)]
        assert all(len(line) <= width for line in lines), (width, lines)
        assert " ".join(lines) == "This visit, apply: " + " · ".join(ITEMS), (width, lines)
        assert all(any(item in line for line in lines) for item in ITEMS), (width, lines)


def test_centred_strip_centres_every_line() -> None:
    """On the result the strip is centred like the lines around it, its second line too."""
    console = Console(width=70, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(VisitStrip("This visit, apply:", ITEMS, justify="center"))
    lines = [line for line in capture.get().splitlines() if line.strip()]
    assert len(lines) == 2
    for line in lines:
        left, right = len(line) - len(line.lstrip()), 70 - len(line.rstrip())
        assert abs(left - right) <= 1, lines
