"""The scan screen is styled before the first frame from ``kiosk.tcss`` alone; the other
screens' rules (``screens.tcss``) come after it, without a second parse of the stylesheet,
and split that way they style every screen as the one file did (kiosk.ui.styles)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.css.stylesheet import Stylesheet
from textual.screen import Screen

from kiosk.ui import styles
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.scan import ScanScreen
from tests.ui.kiosk_pilot import ANNA, Members

#: Every module of ``kiosk.ui.screens`` with a screen class.
SCREEN_MODULES = ("scan", "offers", "confirm", "result", "chooser", "pin", "undo", "recall",
                  "diagnostics")
KIOSK_CSS = Path(inspect.getfile(KioskApp)).with_name(KioskApp.CSS_PATH)  # type: ignore[arg-type]


def _screen_classes() -> list[type[Screen[Any]]]:
    found = []
    for name in SCREEN_MODULES:
        module = importlib.import_module(f"kiosk.ui.screens.{name}")
        found += [obj for obj in vars(module).values() if inspect.isclass(obj)
                  and issubclass(obj, Screen) and obj.__module__ == module.__name__]
    return found


def test_every_screen_but_the_scan_screen_names_the_screens_stylesheet() -> None:
    classes = _screen_classes()
    assert ScanScreen in classes and len(classes) == len(SCREEN_MODULES)
    for cls in classes:
        expected = None if cls is ScanScreen else styles.SCREENS_CSS
        assert expected == cls.CSS_PATH, cls.__name__
    assert styles.SCREENS_CSS.is_file()


def _rules(path: Path, variables: dict[str, str]) -> list[Any]:
    sheet = Stylesheet(variables=variables)
    sheet.read(path)
    sheet.parse()
    return sheet.rules


def _matching(rules: list[Any], node: Any) -> list[str]:
    return [rule.css.partition("{")[0].strip() for rule in rules
            if any(True for _ in Stylesheet._check_rule(rule, node.css_path_nodes))]


@pytest.mark.parametrize("console", [False, True])
@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_no_rule_of_the_later_screens_touches_the_scan_screen(
        start_kiosk: Callable[..., Any], console: bool, size: tuple[int, int]) -> None:
    """What makes the split safe: the rules moved after the first frame match no node of the
    scan screen, in any of its looks (short, console, notices, a toast), so its first frame is
    styled exactly as with the whole stylesheet."""
    async with start_kiosk(size=size, console=console, notifications=True) as kiosk:
        app = kiosk.app
        app.add_notice("Journal: 2 redemptions not confirmed")
        app.notify("Engage is back", severity="information")
        await kiosk.wait_for(lambda: app.screen.query("Toast"), "a toast")
        later = _rules(styles.SCREENS_CSS, app.get_css_variables())
        first = _rules(KIOSK_CSS, app.get_css_variables())
        nodes = list(app.screen.walk_children(with_self=True))
        assert any(type(n).__name__ == "Toast" for n in nodes)
        assert {n.id for n in nodes} >= {"store", "prompt", "scan-input", "notices", "status"}
        for node in nodes:
            assert _matching(later, node) == [], node
        # ... and the first file styles it (the test can see a match)
        assert _matching(first, app.screen.query_one("#prompt"))


async def test_the_later_rules_come_after_the_first_frame_without_a_second_parse(
        start_kiosk: Callable[..., Any], members: Members, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources_at_first_style: list[set[str]] = []
    apply = Stylesheet.apply

    def probe(self: Stylesheet, node: Any, **kwargs: Any) -> None:  # changes nothing it does
        if node.id == "prompt" and not sources_at_first_style:  # the scan screen being styled
            sources_at_first_style.append({path for path, _ in self.source})
        apply(self, node, **kwargs)

    monkeypatch.setattr(Stylesheet, "apply", probe)
    reparsed: list[int] = []
    reparse = Stylesheet.reparse

    def counted(self: Stylesheet) -> None:
        reparsed.append(1)
        reparse(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    async with start_kiosk(size=(80, 24)) as kiosk:
        app = kiosk.app
        assert sources_at_first_style and str(KIOSK_CSS) in sources_at_first_style[0]
        assert str(styles.SCREENS_CSS) not in sources_at_first_style[0]
        await kiosk.wait_for(lambda: app.stylesheet.has_source(str(styles.SCREENS_CSS), ""),
                             "the later screens' rules")
        await kiosk.scan(ANNA)
        await kiosk.screen_is("OffersScreen")
        # styled by screens.tcss: the offers list's round border in the primary colour
        assert app.screen.query_one("#offers").styles.border.top[0] == "round"
        await kiosk.pilot.press("enter")
        await kiosk.screen_is("ConfirmScreen")
        assert app.screen.query_one("#confirm-box").styles.border.top[0] == "heavy"
        assert reparsed == []  # Textual's load at a first push parses all sources again
