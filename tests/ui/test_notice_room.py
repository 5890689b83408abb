"""At a small terminal the scan screen's notices never cover the card box or the field: the
settled answers of earlier redemptions give way (a "+N more" line), the most important and
newest first; the start-up warnings and the steady "not confirmed" lines always show (a warning
that doesn't fit wrapped is cut to one row)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Static

from kiosk import i18n
from kiosk.i18n import _, ngettext
from kiosk.journal import Journal, JournalState
from kiosk.sim import Fault, Simulator
from kiosk.ui import notice_fit
from kiosk.ui.notice_fit import Fitted
from kiosk.ui.services import KioskServices
from tests.ui.kiosk_pilot import Kiosk, Members, seed_open, steady_lines

BOX_TOP = re.compile(r"^╭─+╮$")
BOX_BOTTOM = re.compile(r"^╰─+╯$")


# --- which notices fit (no terminal) --------------------------------------------------------

def one_row_each(line: str) -> int:
    return 1


def by_length(line: str) -> int:
    return -(-len(line) // 10)  # 10 columns a row


@pytest.mark.parametrize(("steady", "settled", "rows", "room", "wanted"), [
    # not laid out yet: every one
    (["w"], ["a", "b"], one_row_each, None, Fitted([("w", False)], ["a", "b"], 0)),
    # room for all
    (["w"], ["a", "b"], one_row_each, 3, Fitted([("w", False)], ["a", "b"], 0)),
    # one row short: the last settled answer and the one before give way to "+2 more"
    (["w"], ["a", "b"], one_row_each, 2, Fitted([("w", False)], [], 2)),
    (["w"], ["a", "b", "c"], one_row_each, 3, Fitted([("w", False)], ["a"], 2)),
    # no settled answers: the steady lines may use every row
    (["w" * 25, "x"], [], by_length, 4, Fitted([("w" * 25, False), ("x", False)], [], 0)),
    # the steady lines don't fit wrapped: the tallest goes to one row, then the next
    (["w" * 25, "x" * 15, "y"], [], by_length, 4,
     Fitted([("w" * 25, True), ("x" * 15, False), ("y", False)], [], 0)),
    (["w" * 25, "x" * 15, "y"], [], by_length, 3,
     Fitted([("w" * 25, True), ("x" * 15, True), ("y", False)], [], 0)),
    # ... and with settled answers, until the first and a "+N more" line fit
    (["w" * 25, "y"], ["a"], by_length, 5, Fitted([("w" * 25, False), ("y", False)],
                                                   ["a"], 0)),
    (["w" * 25, "y"], ["a", "b"], by_length, 5, Fitted([("w" * 25, True), ("y", False)],
                                                        ["a", "b"], 0)),
    (["w" * 25, "y"], ["a", "b", "c"], by_length, 4,
     Fitted([("w" * 25, True), ("y", False)], ["a"], 2)),
    (["w" * 25, "y"], ["a", "b"], by_length, 3, Fitted([("w" * 25, True), ("y", False)],
                                                        [], 2)),
    # a settled answer two rows tall that doesn't fit: it and the ones after give way
    (["w"], ["a" * 15, "b"], by_length, 3, Fitted([("w", False)], [], 2)),
    # the steady lines fill every row even cut: they still show, and nothing else does
    (["w", "x", "y"], ["a"], one_row_each, 2,
     Fitted([("w", False), ("x", False), ("y", False)], [], 0)),
])
def test_what_fits(steady: list[str], settled: list[str], rows, room: int | None,
                   wanted: Fitted) -> None:
    assert notice_fit.fit(steady, settled, rows, room) == wanted


# --- on screen ---------------------------------------------------------------------------------

def notices(k: Kiosk) -> str:
    return str(k.app.screen_stack[0].query_one("#notices", Static).render())


def box_around(rows: list[str], i: int) -> tuple[str, str]:
    """The top and bottom border rows of the box holding row ``i``."""
    top, bottom = i - 1, i + 1
    while rows[top].strip().startswith("│"):
        top -= 1
    while rows[bottom].strip().startswith("│"):
        bottom += 1
    return rows[top].strip(), rows[bottom].strip()


def row_with(rows: list[str], text: str) -> int:
    found = [i for i, row in enumerate(rows) if text in row]
    assert found, f"{text!r} not on screen"
    return found[0]


async def crowd(k: Kiosk) -> list[str]:
    """Five settled answers on top of what the kiosk started with; their lines, newest first."""
    answers = [f"•••• 00{n}5, Offer {n}: " + _("Give {value} off").format(value="10 %")
               for n in range(5)]
    for answer in answers:
        k.app.add_notice(answer)
    await k.pilot.pause()
    return answers[::-1]


def check_whole(k: Kiosk, steady: list[str], warnings: list[str], answers: list[str],
                where: str, *, engage_away: bool = True) -> None:
    """The card box and the field whole, every steady line whole on one row, every warning's
    start on screen, then the newest answers and (when some gave way) a "+N more" line."""
    text = k.text()
    rows = text.splitlines()
    glyph = k.app.glyphs.warn
    prompt = row_with(rows, _("Scan the member's card"))
    top, bottom = box_around(rows, prompt)
    assert BOX_TOP.match(top) and BOX_BOTTOM.match(bottom), f"{where}: card box\n{text}"
    field = row_with(rows, "› " + _("card number"))
    top, bottom = box_around(rows, field)
    assert BOX_TOP.match(top) and BOX_BOTTOM.match(bottom), f"{where}: field\n{text}"
    status = row_with(rows, _("Scanner: keyboard"))
    below_field = [row.strip() for row in rows[field + 2:status]]
    for line in steady:
        assert f"{glyph} {line}" in below_field, f"{where}: {line!r}\n{text}"
    for warning in warnings:
        assert any(row.startswith(f"{glyph} {warning[:30]}") for row in below_field), \
            f"{where}: {warning!r}\n{text}"
    shown = [a for a in answers if any(row.endswith(a) for row in below_field)]
    assert shown == answers[:len(shown)], f"{where}: newest first\n{text}"
    more = len(answers) - len(shown)
    if not more:
        assert not any("+" in row for row in below_field), f"{where}: all shown\n{text}"
        return
    line = ngettext("+{n} more notice", "+{n} more notices", more).format(n=more)
    # ... the last row above the status lines: the notices use the room, no more and no less
    assert rows[status - 1].strip() == line, f"{where}: {line!r} last\n{text}"
    if engage_away:
        assert _("Engage: unavailable, continue sales without offers") in " ".join(
            rows[status:]), f"{where}: status\n{text}"


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_card_box_and_field_stay_whole_in_every_language(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        journal: Journal, size: tuple[int, int]) -> None:
    """Two start-up warnings, both steady lines, five settled answers and Engage away (the
    status on two rows at 60 columns): the box and the field stay whole and take input."""
    seed_open(journal, services.clock(), today=2, earlier=3)
    sim.faults.add(Fault("status", status=503, times=None))
    for language in i18n.LANGUAGES:
        services.settings = settings.with_changes(language=language, staff_pin="123456",
                                                  lookup_key="any")
        i18n.set_language(language)
        warnings = services.settings.warnings()
        assert len(warnings) == 2
        services.notices = list(warnings)
        async with start_kiosk(size=size) as k:
            steady = steady_lines(2, 3)
            await k.wait_for(lambda s=steady: all(x in notices(k) for x in s),
                             f"{language}: the steady lines")
            answers = await crowd(k)
            await k.wait_for(lambda: "Offer 4" in notices(k),
                             f"{language}: the newest answer\n{k.text()}")
            check_whole(k, steady, warnings, answers, f"{language} {size}")
            assert "more notice" in notices(k) or language != "en", "a crowded screen"
            await k.pilot.press("1", "2", "3")  # the field takes input, visibly
            await k.wait_for(lambda: "› 123" in k.text(), f"{language}: typed")


async def test_linux_console_without_colour_at_60x20(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        journal: Journal, linux_console_no_color: None) -> None:
    """TERM=linux with NO_COLOR at 60x20: the same, in the console's glyph ("!")."""
    seed_open(journal, services.clock(), today=1, earlier=2)
    sim.faults.add(Fault("status", status=503, times=None))
    services.settings = settings.with_changes(staff_pin="123456", lookup_key="any")
    warnings = services.settings.warnings()
    services.notices = list(warnings)
    async with start_kiosk(size=(60, 20)) as k:
        assert k.app.console_mode and k.app.no_color
        steady = steady_lines(1, 2)
        await k.wait_for(lambda: all(x in notices(k) for x in steady), "the steady lines")
        answers = await crowd(k)
        check_whole(k, steady, warnings, answers, "console")
        assert "⚠" not in k.text()


async def test_an_unresolved_answer_goes_before_newer_settled_ones(
        start_kiosk, members: Members, services: KioskServices) -> None:
    """At 60x20, an answer still unresolved ("Not confirmed — don't apply": F4 can't hide
    it) shows before newer settled ones; F4 hides those, and the rest show again."""
    services.notices = ["KIOSK_STAFF_PIN is a plain PIN: use `kiosk pin`"]
    async with start_kiosk(size=(60, 20)) as k:
        k.app.add_notice("•••• 0015, Autumn 20: Not confirmed — don't apply", hideable=False)
        for n in range(8):
            k.app.add_notice(f"•••• 00{n}2, Offer {n}: Give 10 % off", keep=10)
        await k.wait_for(lambda: "more notices" in notices(k), "crowded")
        lines = notices(k).splitlines()
        assert lines[0] == "⚠ KIOSK_STAFF_PIN is a plain PIN: use `kiosk pin`"
        assert lines[1].endswith("•••• 0015, Autumn 20: Not confirmed — don't apply")
        assert lines[2].endswith("Offer 7: Give 10 % off")  # then the newest
        assert re.fullmatch(r"\+\d more notices", lines[-1])
        await k.pilot.press("f4")
        await k.wait_for(lambda: "Offer" not in notices(k), "the settled answers hidden")
        assert "more" not in notices(k)
        assert "Autumn 20: Not confirmed — don't apply" in notices(k)


async def test_a_resize_refits_the_notices(
        start_kiosk, members: Members, sim: Simulator, services: KioskServices, settings,
        journal: Journal) -> None:
    """Roomy at 80x30 (every answer shows); down to 60x20 they give way; back up, they
    return."""
    seed_open(journal, services.clock(), today=1, earlier=0)
    warning = services.settings.with_changes(staff_pin="123456").warnings()[0]
    services.notices = [warning]
    async with start_kiosk(size=(80, 30)) as k:
        await k.wait_for(lambda: "not confirmed" in notices(k), "the steady line")
        answers = await crowd(k)
        assert all(a in notices(k) for a in answers) and "more" not in notices(k)
        await k.pilot.resize_terminal(60, 20)
        await k.wait_for(lambda: "more notice" in notices(k), "fitted to 60x20")
        check_whole(k, ["1 redemption not confirmed — F2 to see it"], [warning], answers,
                    "60x20",
                    engage_away=False)
        await k.pilot.resize_terminal(80, 30)
        await k.wait_for(lambda: "more" not in notices(k), "every answer again")
        assert all(a in notices(k) for a in answers)
        # 60x20 (no padding in the card box) -> 80x24 (padding again): measured after it
        await k.pilot.resize_terminal(60, 20)
        await k.wait_for(lambda: "more notice" in notices(k), "fitted to 60x20 again")
        await k.pilot.resize_terminal(80, 24)
        await k.wait_for(lambda: "more" not in notices(k), "every answer at 80x24")
        check_whole(k, ["1 redemption not confirmed — F2 to see it"], [warning], answers,
                    "80x24", engage_away=False)


async def test_warnings_at_start_at_60x20_use_the_whole_room(
        start_kiosk, members: Members, services: KioskServices, settings) -> None:
    """Started at 60x20 (the card box loses its padding a layout after the first): the
    start-up warnings are measured against the box as it is then, so three that fit wrapped
    are shown whole (not cut to one row each)."""
    services.settings = settings.with_changes(staff_pin="123456", lookup_key="any")
    extra = "config file /etc/kiosk/kiosk.toml is writable by group or others (mode 0664)"
    services.notices = [*services.settings.warnings(), extra]
    async with start_kiosk(size=(60, 20)) as k:
        await k.wait_for(lambda: extra in notices(k), "the warnings")
        await k.pilot.pause()
        check_whole(k, [], services.notices, [], "60x20", engage_away=False)
        text = k.text()
        assert "…" not in text, text
        assert text.count("⚠") == 3, text
        rows = text.splitlines()
        status = row_with(rows, _("Scanner: keyboard"))
        assert rows[status - 1].strip(), f"the room used to the last row\n{text}"


async def test_kiosk_demos_cards_make_room_for_the_notices_at_60x20(
        start_kiosk, members: Members, services: KioskServices, journal: Journal) -> None:
    """``kiosk demo`` lists its cards under the field (7 rows for 5 cards): with a warning,
    both steady lines and an answer at 60x20 the list shows fewer cards so the box and the
    field stay whole, and all five again once F4 and the journal leave no notice."""
    from kiosk.sim.state import DemoCard

    seed_open(journal, services.clock(), today=2, earlier=3)
    services.demo_cards = [DemoCard(card=f"200417300010{n}", first_name=f"Name{n}", note="")
                           for n in range(5)]
    warnings = ["KIOSK_STAFF_PIN is a plain PIN: use `kiosk pin` to store a hash"]
    services.notices = list(warnings)
    async with start_kiosk(size=(60, 20)) as k:
        await k.wait_for(lambda: "earlier" in notices(k), "the steady lines")
        assert "Name4" not in k.text()  # the list yielded
        answers = await crowd(k)
        steady = steady_lines(2, 3)
        check_whole(k, steady, warnings, answers, "demo", engage_away=False)
        assert "Name0" in k.text() and "Demo cards: type one and press Enter" in k.text()
        # IT sorts the attempts out and staff hide the answers: the steady lines go (the
        # warning stays), and the list shows every card again
        for row in journal.rows():
            journal.set_state(row.id, JournalState.VERIFIED_NOT_REDEEMED)
        k.app._count_open_attempts()
        await k.pilot.press("f4")
        await k.wait_for(lambda: notices(k).startswith(f"⚠ {warnings[0][:30]}")
                         and "\n" not in notices(k), "the warning alone (cut to one row)")
        await k.wait_for(lambda: "Name4" in k.text(), "every demo card again")
        check_whole(k, [], warnings, [], "demo after", engage_away=False)
