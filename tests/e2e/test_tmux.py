"""End to end in a real terminal: ``kiosk demo`` under tmux, keys typed with ``send-keys``.

What only a real terminal shows: the tty in raw mode (ctrl+c and ctrl+q arrive as keys, not
signals), Enter as CR, function keys as escape sequences, and the process's exit status.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.ui.app import KEY_GUARD
from tests.support import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None,
                       reason="tmux is not installed (.ci/run installs it)"),
]

ANNA = "2004173000100"  # demo member: 100 kr, 20 %, free coffee, till code, and more
SESSION = "kiosk"


@dataclass
class Terminal:
    """One tmux server of our own (its socket in tmp_path) running one session."""

    socket: Path
    exit_file: Path

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, timeout=5, check=False)

    def screen(self) -> str:
        """The pane as plain text ("" once the session has ended)."""
        out = self.tmux("capture-pane", "-p", "-t", SESSION)
        return out.stdout.replace("\xa0", " ") if out.returncode == 0 else ""

    def type(self, text: str) -> None:
        """Characters as typed (``-l``: literally, no key names)."""
        self.tmux("send-keys", "-t", SESSION, "-l", text)

    def type_by_hand(self, text: str, gap: float = 0.12) -> None:
        """Characters at a person's pace: the kiosk tells typing from a wedge scanner's burst
        by the time between keys (``kiosk.scanner.wedge``), and typed text is routed by shape.
        The pause is the input being simulated, not a wait for readiness."""
        for ch in text:
            self.type(ch)
            time.sleep(gap)

    def after_guard(self, key: str) -> None:
        """Press ``key`` once the screen just seen has stopped ignoring keys (``KEY_GUARD``
        from when it appeared, which is before the test saw it): a person reading it first."""
        time.sleep(KEY_GUARD + 0.1)
        self.keys(key)

    def keys(self, *names: str) -> None:
        """Named keys: Enter, Down, C-c, F10..."""
        self.tmux("send-keys", "-t", SESSION, *names)

    def wait_for(self, *texts: str, bottom: str = "", timeout: float = 8.0) -> str:
        """Poll the pane until every one of ``texts`` is on it and its last row shows
        ``bottom`` (a screen's footer); the pane on failure.

        ``bottom`` is for asserting on the whole screen: a capture can land while tmux is
        still drawing a frame (it reads the kiosk's output in chunks, and under load answers a
        capture between them). Textual draws a frame top to bottom, so once the new screen's
        footer is on the last row no row above it still shows the screen before (an F2 capture
        under load once still had the scan screen's demo card list, with Anna's name, below
        the recall list)."""
        last = [""]

        def shown() -> bool:
            last[0] = self.screen()
            rows = last[0].rstrip().splitlines()
            return all(t in last[0] for t in texts) and (
                not bottom or bool(rows) and bottom in rows[-1])

        try:
            wait_until(shown, timeout=timeout, interval=0.05, what=" and ".join(texts))
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the pane showed:\n{last[0]}") from None
        return last[0]

    def press_until(self, key: str, *texts: str, bottom: str = "", every: float = 1.0,
                    tries: int = 8) -> str:
        """Press ``key`` until ``texts`` show (and ``bottom`` on the last row, as for
        :meth:`wait_for`): a screen that has just appeared ignores keys for half a second
        (``KEY_GUARD``), as a person reading it first would never notice."""
        for _ in range(tries - 1):
            self.keys(key)
            try:
                return self.wait_for(*texts, bottom=bottom, timeout=every)
            except AssertionError:
                continue
        self.keys(key)
        return self.wait_for(*texts, bottom=bottom, timeout=every)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """``kiosk demo`` in a 100x30 tmux pane, with a throwaway HOME and XDG dirs."""
    home = tmp_path / "home"
    env = {"HOME": str(home), "LANG": "C.UTF-8", "TERM": "xterm-256color"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    for path in env.values():
        if path.startswith(str(home)):
            Path(path).mkdir(parents=True, exist_ok=True)
    term = Terminal(socket=tmp_path / "tmux.sock", exit_file=tmp_path / "exit-status")
    # The wrapper records the kiosk's exit status: the pane closes with the process.
    command = (f"{shlex.quote(sys.executable)} -m kiosk demo; "
               f"echo $? > {shlex.quote(str(term.exit_file))}")
    # Our own server even when pytest itself runs inside tmux (no TMUX: no nesting refusal).
    server_env = {k: v for k, v in os.environ.items()
                  if not k.startswith(("KIOSK_", "TMUX"))} | env
    subprocess.run(["tmux", "-u", "-S", str(term.socket), "-f", os.devnull, "new-session",
                    "-d", "-s", SESSION, "-x", "100", "-y", "30",
                    *[f"-e{k}={v}" for k, v in env.items()], command],
                   env=server_env, cwd=tmp_path, check=True, timeout=10)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_demo_visit_in_a_real_terminal(terminal: Terminal) -> None:
    """Scan screen -> card typed with spaces -> offers with conditions -> three offers redeemed
    in one visit (Enter after each result goes back to the member's offers) -> Escape ends the
    visit -> F2 recalls them -> Escape. The lock keys don't end the kiosk; F10 (no PIN in the
    demo) leaves it with exit status 0."""
    terminal.wait_for("Scan the member's card", "Engage: connected", timeout=12)

    terminal.keys("C-c")
    terminal.keys("C-q")
    terminal.type_by_hand("2004 1730 0010 0")  # as printed on the card; had C-c/C-q quit,
    terminal.keys("Enter")                      # nothing would answer
    offers = terminal.wait_for("4 to use · 4 not usable here", "Conditions: Fika på oss",
                               bottom="Esc Done (new customer)")
    assert "Anna" in offers and "0100" in offers and ANNA not in offers  # masked card only
    assert "Conditions: Fika på oss" in offers  # the highlighted offer's conditions
    assert not terminal.exit_file.exists()

    terminal.keys("Down", "Down", "Enter")  # by expiry: coffee, 100 kr, 20 %, till code
    confirm = terminal.wait_for("Redeem this offer?")
    assert "20 % på hela köpet" in confirm and "Give 20 % off" in confirm
    assert "Gäller ordinarie priser." in confirm

    result = terminal.press_until("Enter", "Redeemed. Apply at the till", bottom="Continue")
    assert "Give 20 % off" in result and "This visit, apply: 20 %" in result
    assert "Nothing to apply" not in result

    # Enter: Anna's offers again, read from Engage (the 20 % now listed as used). A result, a
    # list reached by Enter and a confirmation each ignore keys for KEY_GUARD after they
    # appear: after_guard() presses once when that is over (a repeated Enter could land on the
    # next screen and open the wrong offer).
    terminal.after_guard("Enter")
    terminal.wait_for("3 to use · 5 not usable here", "Conditions: Fika på oss")
    terminal.keys("Down")  # coffee, 100 kr, till code
    terminal.wait_for("Conditions: 100 kr att handla för")  # the cursor has moved
    terminal.after_guard("Enter")
    confirm = terminal.wait_for("Redeem this offer?")
    assert "100 kr rabatt" in confirm and "Vid köp över 500 kr." in confirm, confirm
    terminal.after_guard("Enter")
    terminal.wait_for("This visit, apply: 20 % · 100 kr")

    terminal.after_guard("Enter")
    terminal.wait_for("2 to use · 6 not usable here", "Conditions: Fika på oss")
    terminal.keys("Down")  # coffee, till code
    terminal.wait_for("Conditions: Billigaste paret ingår.")
    terminal.after_guard("Enter")
    terminal.wait_for("Redeem this offer?", "Slå in kampanjkod TILL-3FOR2 i kassan.")
    terminal.after_guard("Enter")
    result = terminal.wait_for("This visit, apply: 20 % · 100 kr · Code TILL-3FOR2")
    assert "Slå in kampanjkod TILL-3FOR2 i kassan." in result

    terminal.after_guard("Escape")
    terminal.wait_for("Scan the member's card")  # the visit ends
    terminal.keys("F2")
    recall = terminal.wait_for("Today at this till", "3 redemptions", "20 % på hela köpet",
                               bottom="Esc Close")
    for shown in ("20 % på hela köpet", "100 kr rabatt", "Code TILL-3FOR2", "•••• 0100"):
        assert shown in recall
    assert ANNA not in recall and "Anna" not in recall
    terminal.press_until("Escape", "Scan the member's card")

    terminal.keys("F10")
    wait_until(terminal.exit_file.exists, timeout=8, interval=0.05, what="the kiosk to exit")
    assert terminal.exit_file.read_text().strip() == "0"
