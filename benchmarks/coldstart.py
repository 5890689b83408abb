"""Figure 1: cold start to a painted scan screen.

- ``kiosk run`` headless: a fresh interpreter runs ``coldstart_child.py`` (the CLI's own
  path: settings, logging, journal, client, app), timed from this process's spawn call to the
  line the child prints at the scan screen's first frame.
- ``kiosk demo`` in a real terminal: a tmux window running ``kiosk demo`` (which also starts
  its in-process simulator), timed from the spawn to the moment ``tmux capture-pane`` shows
  the scan prompt, polled as fast as tmux answers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from time import perf_counter
from typing import Any

from .simproc import SimProcess
from .stats import summary

CHILD = Path(__file__).with_name("coldstart_child.py")
PROMPT = "Scan the member's card"


def _compile_bytecode() -> None:
    """Write kiosk's .pyc files first, as installing a wheel does. With an editable install and
    PYTHONDONTWRITEBYTECODE set (as on this workplace's machines) every start would otherwise
    recompile each edited module: ~100 ms that no till pays."""
    import compileall

    import kiosk

    compileall.compile_dir(str(Path(kiosk.__file__).parent), quiet=1)


def _clean_env(tmp: Path) -> dict[str, str]:
    """No KIOSK_* from the developer's shell; config, data and logs in a throwaway dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
               XDG_STATE_HOME=str(tmp / "state"), XDG_CACHE_HOME=str(tmp / "cache"))
    return env


def kiosk_run_headless(sim: SimProcess, runs: int, warmup: int) -> dict[str, Any]:
    """Spawn -> scan screen painted, for ``kiosk run`` headless."""
    _compile_bytecode()
    totals: list[float] = []
    phases: dict[str, list[float]] = {"interpreter": [], "imports_settings_services": [],
                                      "app_run_to_painted": []}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-cold-") as tmpdir:
        tmp = Path(tmpdir)
        env = _clean_env(tmp)
        env.update(KIOSK_ENGAGE_URL=sim.url, KIOSK_ENGAGE_API_KEY=sim.api_key,
                   KIOSK_JOURNAL_PATH=str(tmp / "journal.sqlite3"),
                   KIOSK_LOG_DIR=str(tmp / "log"), KIOSK_TERMINAL_NAME="Till 1")
        for i in range(warmup + runs):
            t0 = perf_counter()
            proc = subprocess.Popen([sys.executable, str(CHILD)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            line = proc.stdout.readline()
            t1 = perf_counter()
            _, err = proc.communicate(timeout=30)
            if not line.startswith("READY"):
                raise RuntimeError(f"kiosk run did not reach the scan screen: {err.strip()[-500:]}")
            fields = dict(f.split("=") for f in line.split()[2:])
            painted, started, run = float(line.split()[1]), float(fields["started"]), float(
                fields["run"])
            if i >= warmup:
                totals.append((t1 - t0) * 1000)
                phases["interpreter"].append((started - t0) * 1000)
                phases["imports_settings_services"].append((run - started) * 1000)
                phases["app_run_to_painted"].append((painted - run) * 1000)
    return {"total_ms": summary(totals),
            **{f"{k}_ms": summary(v) for k, v in phases.items()}}


def _tmux(sock: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True,
                          check=False)


def kiosk_demo_tmux(runs: int, warmup: int) -> dict[str, Any]:
    """Spawn -> the scan prompt visible in a 120x40 tmux pane, for ``kiosk demo``."""
    if shutil.which("tmux") is None:
        return {"skipped": "tmux is not installed"}
    kiosk_bin = Path(sys.executable).with_name("kiosk")
    sock = f"kiosk-bench-{os.getpid()}"
    totals: list[float] = []
    polls: list[int] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-tmux-") as tmpdir:
        env = _clean_env(Path(tmpdir))
        env.pop("TMUX", None)
        try:
            started = subprocess.run(
                ["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "bench",
                 "-x", "120", "-y", "40", "cat"], env=env, capture_output=True, text=True)
            if started.returncode:
                return {"skipped": f"tmux failed: {started.stderr.strip()}"}
            for i in range(warmup + runs):
                window = f"bench:run{i}"
                t0 = perf_counter()
                _tmux(sock, "new-window", "-d", "-t", "bench:", "-n", f"run{i}",
                      f"exec {kiosk_bin} demo")
                n = 0
                deadline = time.monotonic() + 30
                while True:
                    n += 1
                    if PROMPT in _tmux(sock, "capture-pane", "-p", "-t", window).stdout:
                        t1 = perf_counter()
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("kiosk demo did not show the scan screen in tmux")
                _close_window(sock, window)
                if i >= warmup:
                    totals.append((t1 - t0) * 1000)
                    polls.append(n)
        finally:
            _tmux(sock, "kill-server")
    return {"total_ms": summary(totals), "polls_median": sorted(polls)[len(polls) // 2]}


def _close_window(sock: str, window: str) -> None:
    """Leave through the staff key (no PIN in the demo); kill the window if it won't go."""
    _tmux(sock, "send-keys", "-t", window, "F10")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _tmux(sock, "list-windows", "-t", window).returncode:
            return
    _tmux(sock, "kill-window", "-t", window)
