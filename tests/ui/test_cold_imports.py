"""``kiosk run`` paints its scan screen before importing what only a customer needs: pydantic
(Engage's models; the settings don't use it), httpx, and the screens after the scan screen; a
scan that comes before the warm-up after the first frame has imported them is still answered.

Both run ``kiosk run`` in a fresh interpreter (``benchmarks/coldstart_child.py`` and
``firstscan_child.py``: the CLI's own start, headless), since in this process every module is
long imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kiosk.sim.server import Simulator
from kiosk.ui import warm
from tests.ui.kiosk_pilot import ANNA, Members

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

#: Never imported before the first frame (the deferred client keeps httpx away).
NOT_BEFORE_FIRST_FRAME = {
    "kiosk.engage.models", "kiosk.engage.client", "httpx", "httpcore", "kiosk.visit",
    "kiosk.engage.clock",  # the clock watch: with the client (launch.ClientClock until then)
    "kiosk.ui.screens.offers", "kiosk.ui.screens.confirm", "kiosk.ui.screens.result",
    "kiosk.ui.screens.chooser", "kiosk.ui.screens.pin", "kiosk.ui.screens.undo",
    "kiosk.ui.screens.recall", "kiosk.ui.screens.diagnostics",
    "textual.widgets._data_table",  # F2's table
    "email.utils",  # an error's Retry-After date only
    "kiosk.redeem", "kiosk.attribution",  # the redeemer: built when the journal is reconciled
    "kiosk.lookup", "kiosk.rewards",  # the lookup: built on first use (warmed up after)
    "kiosk.offers", "kiosk.engage.codes",  # a member's offers: with the lookup
    "statistics",  # the wedge buffer's one median is computed in place
    "kiosk.commands.push",  # `kiosk run` builds only its own subcommand's parser
    "kiosk.commands.check",  # `kiosk check` only: not even its parser in `kiosk run`
    "argparse",  # and with no options, none: `kiosk.cli.PARSED`
    "kiosk.engage.errors", "kiosk.ui.messages_text",  # at the first error or outcome shown
    "kiosk.ui.widgets.idle_warning",  # the idle countdown: with the first idle check
    "gettext",  # English needs no catalog (kiosk.i18n.Msgids)
    "textual.widgets._footer",  # the kiosk's footer is one line of text (kiosk.ui.widgets.footer)
    "kiosk.ui.key_guard",  # the key guard: screens after the scan screen only
}
PYDANTIC = ("pydantic", "pydantic_core", "pydantic_settings")


def _env(tmp_path: Path, url: str, api_key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_ENGAGE_URL=url, KIOSK_ENGAGE_API_KEY=api_key,
               KIOSK_JOURNAL_PATH=str(tmp_path / "data" / "journal.sqlite3"),
               KIOSK_LOG_DIR=str(tmp_path / "log"), KIOSK_TERMINAL_NAME="Till 1",
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def test_the_first_frame_imports_no_pydantic_httpx_or_later_screens(tmp_path: Path) -> None:
    modules_file = tmp_path / "modules.txt"
    env = _env(tmp_path, "http://127.0.0.1:9", "k-" + "1" * 30)
    env.update(BENCH_EXIT_AT_READY="1", BENCH_MODULES_OUT=str(modules_file))
    done = subprocess.run([sys.executable, str(BENCHMARKS / "coldstart_child.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("READY"), done.stderr[-2000:]
    modules = set(modules_file.read_text().split())
    assert "kiosk.ui.screens.scan" in modules  # the list is the first frame's
    assert NOT_BEFORE_FIRST_FRAME & modules == set()
    assert {m for m in modules if m.partition(".")[0] in PYDANTIC} == set()
    # No config file and no staff PIN here: neither TOML's parser nor the PIN's hashing
    assert {"tomllib", "hashlib", "hmac", "secrets", "json"} & modules == set()
    # The warm-up imports every screen the app can push after the first frame.
    later = {m for m in NOT_BEFORE_FIRST_FRAME if m.startswith("kiosk.ui.screens.")}
    assert later <= set(warm.MODULES)


def test_a_scan_in_the_first_frame_is_answered(
        sim: Simulator, members: Members, tmp_path: Path) -> None:
    env = _env(tmp_path, sim.url, sim.api_key)
    env.update(BENCH_SCAN_DELAY="0", BENCH_SCAN_CARD=ANNA)
    done = subprocess.run([sys.executable, str(BENCHMARKS / "firstscan_child.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("FIRSTSCAN")), "")
    assert line, done.stderr[-2000:]
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    assert fields["models_at_scan"] == "0"  # the scan came before the warm-up imported them
    assert fields["member"] == "Anna"
    assert set(fields["offers"].split("|")) == {"Autumn_20", "Hundred_off", "Coffee",
                                                "Till_code"}


def test_the_warm_up_runs_one_step_per_loop_callback_and_waits_while_busy() -> None:
    """A key queued behind the warm-up waits for one step at most; while a customer is being
    served (not idle) no step runs, and the steps go on once the till is quiet."""
    done: list[str] = []
    later: list[tuple[Any, ...]] = []
    timers: list[tuple[float, Any]] = []
    idle = [True]

    class Host:
        def call_later(self, callback: Any, *args: Any) -> None:
            later.append((callback, *args))

        def set_timer(self, delay: float, callback: Any) -> None:
            timers.append((delay, callback))

    steps = tuple(lambda n=n: done.append(n) for n in "abc")
    warm.warm_up(Host(), lambda: idle[0], steps)
    assert done == ["a"] and len(later) == 1
    callback, *args = later.pop()
    callback(*args)
    assert done == ["a", "b"]
    idle[0] = False  # a scan came
    callback, *args = later.pop()
    callback(*args)
    assert done == ["a", "b"] and not later and timers[0][0] == warm.BUSY_RETRY
    timers.pop()[1]()  # still busy: look again later
    assert done == ["a", "b"] and len(timers) == 1
    idle[0] = True
    timers.pop()[1]()
    assert done == ["a", "b", "c"] and not later
    assert "kiosk.engage.models" in warm.STEPS[:5] and warm.formats in warm.FIRST_CUSTOMER
