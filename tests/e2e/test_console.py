"""The Linux console: ``kiosk demo`` with ``TERM=linux`` in tmux, read back with its attributes.

What tty1 can show: the 8 base colours (SGR 30-37/40-47), bold, reverse; no bright colours
(90-97, 100-107: a VT folds bright backgrounds onto the base ones, so a "slightly lighter"
selection vanishes), no 256-colour or RGB colours. And only the characters of its font:
every character on every main screen is checked against the Unicode table of Debian's
Lat15-Terminus16 (tests/data, with where it came from). ``NO_COLOR`` selects in reverse video.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.test_tmux import ANNA, SESSION, Terminal
from tests.support import console_font, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None,
                       reason="tmux is not installed (.ci/run installs it)"),
]

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def sgr_params(pane: str) -> list[list[int]]:
    """Every SGR sequence on the pane as its list of numbers ("" counts as 0)."""
    return [[int(p or 0) for p in m.split(";")] for m in SGR.findall(pane)]


def vt_unsafe(params: list[int]) -> list[str]:
    """What in one SGR sequence a Linux VT can't show (empty: all fine)."""
    bad, i = [], 0
    while i < len(params):
        p = params[i]
        if p in (38, 48):  # 38;5;n / 48;5;n (256 colours) or 38;2;r;g;b / 48;2;r;g;b (RGB)
            bad.append(";".join(map(str, params[i:i + 3])))
            i += 3 if params[i + 1:i + 2] == [5] else 5
            continue
        if 90 <= p <= 97 or 100 <= p <= 107:
            bad.append(str(p))
        i += 1
    return bad


def selected_rows(pane: str) -> list[str]:
    """Plain text of the rows that have reverse video (SGR 7) on some text of the list.

    Reverse video on the two columns before the list's right padding is the console theme's
    scrollbar thumb (a list longer than the screen), not a selection.
    """
    rows = []
    for line in pane.splitlines():
        plain = SGR.sub("", line)
        edge = plain.rfind("│") - 3  # the 2-column scrollbar, then a space, then the border
        col, pos = 0, 0
        for match in SGR.finditer(line):
            col += match.start() - pos  # visible characters before this escape
            pos = match.end()
            numbers = [int(p or 0) for p in match.group(1).split(";")]
            if 7 in numbers and (edge < 0 or col < edge):
                rows.append(plain)
                break
    return rows


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Terminal]]:
    """``start(TERM=..., NO_COLOR=...)``: ``kiosk demo`` in an 80x24 tmux pane."""
    servers: list[Terminal] = []

    def launch(**env: str) -> Terminal:
        home = tmp_path / f"home{len(servers)}"
        home.mkdir()
        term = Terminal(socket=tmp_path / f"tmux{len(servers)}.sock",
                        exit_file=tmp_path / f"exit{len(servers)}")
        servers.append(term)
        # tmux sets TERM for its panes: the kiosk's own is set on its command line.
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = (f"env {assignments} {shlex.quote(sys.executable)} -m kiosk demo; "
                   f"echo $? > {shlex.quote(str(term.exit_file))}")
        server_env = {k: v for k, v in os.environ.items()
                      if not k.startswith(("KIOSK_", "TMUX", "NO_COLOR", "COLORTERM"))}
        server_env |= {"HOME": str(home), "LANG": "C.UTF-8", "TERM": "xterm-256color"}
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            server_env[var] = str(home / var.lower())
        subprocess.run(["tmux", "-u", "-S", str(term.socket), "-f", os.devnull, "new-session",
                        "-d", "-s", SESSION, "-x", "80", "-y", "24", command],
                       env=server_env, cwd=tmp_path, check=True, timeout=10)
        return term

    yield launch
    for term in servers:
        term.tmux("kill-server")


def styled(term: Terminal) -> str:
    return term.tmux("capture-pane", "-e", "-p", "-t", SESSION).stdout


def wait_selected(term: Terminal, text: str, bottom: str = "") -> str:
    """The styled pane once a row in reverse video shows ``text`` (and its last row shows
    ``bottom``: a whole new screen, not a capture tmux answered in the middle of drawing it,
    see ``Terminal.wait_for``)."""
    def pane_if_selected() -> str:
        pane = styled(term)
        rows = SGR.sub("", pane).rstrip().splitlines()
        whole = not bottom or bool(rows) and bottom in rows[-1]
        return pane if whole and any(text in row for row in selected_rows(pane)) else ""

    return wait_until(pane_if_selected, timeout=5, interval=0.05,
                      what=f"{text!r} selected (reverse video)")


def test_console_attributes_and_characters(start: Callable[..., Terminal]) -> None:
    """Scan (and a toast), offers, confirm and result under TERM=linux: base colours only, a
    visible reverse-video selection that follows the arrow keys, every character in the font."""
    font = console_font()
    term = start(TERM="linux")
    screens = {"scan": term.wait_for("Scan the member's card", "Engage: connected", timeout=12)}
    screens["scan"] = styled(term)
    term.type("4006381333931")  # a product's barcode: refused, with a toast
    term.keys("Enter")
    term.wait_for("Not a member card")
    screens["toast"] = styled(term)
    term.type(ANNA)
    term.keys("Enter")
    term.wait_for("4 to use · 4 not usable here")
    offers = wait_selected(term, "Gratis kaffe", bottom="Esc Done")
    screens["offers"] = offers
    assert [row.split("│")[1].strip()[:20] for row in selected_rows(offers)] == [
        "Gratis kaffe", "Ge medlemmen en kopp"]  # both lines of the first offer, nothing else

    term.keys("Down")
    moved = wait_selected(term, "100 kr rabatt")
    assert not any("Gratis kaffe" in row for row in selected_rows(moved))

    term.keys("Down", "Enter")
    term.wait_for("Redeem this offer?")
    screens["confirm"] = styled(term)
    term.press_until("Enter", "Redeemed. Apply at the till", bottom="Continue")
    screens["result"] = styled(term)
    assert "█" in screens["result"]  # "20 %" in large type, drawn with the font's full block
    assert "OK Redeemed. Apply at the till" in SGR.sub("", screens["result"]).replace("\xa0", " ")

    for name, pane in screens.items():
        unsafe = sorted({b for params in sgr_params(pane) for b in vt_unsafe(params)})
        assert unsafe == [], f"{name}: SGR a Linux VT can't show: {unsafe}"
        missing = sorted({ch for ch in SGR.sub("", pane) if ch not in font and ch != "\n"})
        assert missing == [], f"{name}: not in Lat15-Terminus16: {missing}"


def test_no_color_selects_in_reverse_video(start: Callable[..., Terminal]) -> None:
    term = start(TERM="xterm-256color", NO_COLOR="1")
    term.wait_for("Scan the member's card", "Engage: connected", timeout=12)
    term.type(ANNA)
    term.keys("Enter")
    term.wait_for("4 to use · 4 not usable here")
    rows = selected_rows(wait_selected(term, "Gratis kaffe", bottom="Esc Done"))
    assert not any("100 kr rabatt" in row for row in rows), rows
