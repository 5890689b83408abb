"""Figure 1: cold start to a painted scan screen.

- ``kiosk run`` headless: a fresh interpreter runs ``coldstart_child.py`` (the CLI's own
  path: settings, logging, journal, client, app), timed from this process's spawn call to the
  line the child prints at the scan screen's first frame.
- In a real terminal: tmux windows running ``kiosk run``, ``kiosk demo`` (which also starts
  its in-process simulator) and an empty Textual app, each timed from the spawn to the
  moment ``tmux capture-pane`` shows the scan prompt, polled as fast as tmux answers.

Each figure comes with its floor measured in the same run, interleaved run by run: the bare
interpreter, and an empty Textual app (one ``Static``) to its first frame
(``floor_child.py``); and with the child's CPU time, which the machine's load barely moves.
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
from .stats import ratio_summary, summary

CHILD = Path(__file__).with_name("coldstart_child.py")
FLOOR_CHILD = Path(__file__).with_name("floor_child.py")
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


def _spawn_ready(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """One fresh interpreter until it prints its READY line: wall times (ms) from the spawn
    call, and the CPU time (user + system, ms) the child had used by then (its own
    ``process_time`` at the frame; which other processes' load moves far less)."""
    t0 = perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    t1 = perf_counter()
    _, err = proc.communicate(timeout=30)
    if not line.startswith("READY"):
        raise RuntimeError(f"{argv[-1]} did not reach its first frame: {err.strip()[-500:]}")
    fields = dict(f.split("=") for f in line.split()[2:])
    painted, started, run = float(line.split()[1]), float(fields["started"]), float(
        fields["run"])
    cpu = float(fields["cpu"])
    return {"total": (t1 - t0) * 1000, "interpreter": (started - t0) * 1000,
            "imports_settings_services": (run - started) * 1000,
            "app_run_to_painted": (painted - run) * 1000, "cpu": cpu}


def kiosk_run_headless(sim: SimProcess, runs: int, warmup: int, *,
                       python: str = sys.executable) -> dict[str, Any]:
    """Spawn -> scan screen painted, for ``kiosk run`` headless, interleaved with its floors
    (the bare interpreter, and an empty Textual app to its first frame) so that all three
    see the same load."""
    if python == sys.executable:
        _compile_bytecode()  # this checkout; another interpreter's install compiled its own
    kiosk: list[dict[str, float]] = []
    empty: list[dict[str, float]] = []
    bare: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-cold-") as tmpdir:
        tmp = Path(tmpdir)
        env = _clean_env(tmp)
        env.update(KIOSK_ENGAGE_URL=sim.url, KIOSK_ENGAGE_API_KEY=sim.api_key,
                   KIOSK_JOURNAL_PATH=str(tmp / "journal.sqlite3"),
                   KIOSK_LOG_DIR=str(tmp / "log"), KIOSK_TERMINAL_NAME="Till 1")
        for i in range(warmup + runs):
            k = _spawn_ready([python, str(CHILD)], env)
            e = _spawn_ready([python, str(FLOOR_CHILD)], env)
            b = _spawn_ready([python, str(FLOOR_CHILD), "--bare"], env)
            if i >= warmup:
                kiosk.append(k)
                empty.append(e)
                bare.append(b)
    out: dict[str, Any] = {
        f"{key}_ms": summary([r[key] for r in kiosk])
        for key in ("total", "interpreter", "imports_settings_services", "app_run_to_painted",
                    "cpu")}
    out["floor_empty_textual_ms"] = summary([r["total"] for r in empty])
    out["floor_empty_textual_cpu_ms"] = summary([r["cpu"] for r in empty])
    out["floor_python_ms"] = summary([r["total"] for r in bare])
    # Per run, kiosk / empty app, so a load spike that hit one pair doesn't skew the others.
    out["ratio_to_empty_textual"] = ratio_summary(
        [k["total"] / e["total"] for k, e in zip(kiosk, empty, strict=True)])
    out["cpu_ratio_to_empty_textual"] = ratio_summary(
        [k["cpu"] / e["cpu"] for k, e in zip(kiosk, empty, strict=True) if e["cpu"]])
    return out


def _tmux(sock: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True,
                          check=False)


def terminal_tmux(sim: SimProcess, runs: int, warmup: int, *,
                  python: str = sys.executable) -> dict[str, Any]:
    """Spawn -> the scan prompt visible in a 120x40 tmux pane (a real terminal), for
    ``kiosk run`` (against the simulator process), ``kiosk demo`` (which starts its own
    simulator in-process) and the floor, an empty Textual app showing the same words;
    interleaved, so all three see the same load."""
    if shutil.which("tmux") is None:
        return {"skipped": "tmux is not installed"}
    kiosk_bin = Path(python).with_name("kiosk")
    sock = f"kiosk-bench-{os.getpid()}"
    commands = {"kiosk_run": f"exec {kiosk_bin} run", "kiosk_demo": f"exec {kiosk_bin} demo",
                "floor_empty_textual": f"exec {python} {FLOOR_CHILD} --terminal"}
    if subprocess.run([python, "-c", "import starlette, uvicorn"], capture_output=True,
                      check=False).returncode:
        del commands["kiosk_demo"]  # a till's install: no [sim] extra, no demo
    totals: dict[str, list[float]] = {name: [] for name in commands}
    polls: list[int] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-tmux-") as tmpdir:
        tmp = Path(tmpdir)
        env = _clean_env(tmp)
        env.pop("TMUX", None)
        env.update(KIOSK_ENGAGE_URL=sim.url, KIOSK_ENGAGE_API_KEY=sim.api_key,
                   KIOSK_JOURNAL_PATH=str(tmp / "journal.sqlite3"),
                   KIOSK_LOG_DIR=str(tmp / "log"), KIOSK_TERMINAL_NAME="Till 1")
        try:
            started = subprocess.run(
                ["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-s", "bench",
                 "-x", "120", "-y", "40", "cat"], env=env, capture_output=True, text=True)
            if started.returncode:
                return {"skipped": f"tmux failed: {started.stderr.strip()}"}
            for i in range(warmup + runs):
                for name, command in commands.items():
                    window = f"bench:{name}{i}"
                    t0 = perf_counter()
                    _tmux(sock, "new-window", "-d", "-t", "bench:", "-n", f"{name}{i}", command)
                    n = 0
                    deadline = time.monotonic() + 30
                    while True:
                        n += 1
                        if PROMPT in _tmux(sock, "capture-pane", "-p", "-t", window).stdout:
                            t1 = perf_counter()
                            break
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"{name} did not show its prompt in tmux")
                    _close_window(sock, window)
                    if i >= warmup:
                        totals[name].append((t1 - t0) * 1000)
                        polls.append(n)
        finally:
            _tmux(sock, "kill-server")
    out: dict[str, Any] = {f"{name}_ms": summary(v) for name, v in totals.items()}
    if "kiosk_demo" not in commands:
        out["kiosk_demo_skipped"] = "this interpreter has no [sim] extra (a till's install)"
    out["kiosk_run_ratio_to_empty_textual"] = ratio_summary(
        [k / e for k, e in zip(totals["kiosk_run"], totals["floor_empty_textual"], strict=True)])
    out["polls_median"] = sorted(polls)[len(polls) // 2] if polls else None
    return out


def _close_window(sock: str, window: str) -> None:
    """Leave through the staff key (no PIN in the demo); kill the window if it won't go."""
    _tmux(sock, "send-keys", "-t", window, "F10")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _tmux(sock, "list-windows", "-t", window).returncode:
            return
    _tmux(sock, "kill-window", "-t", window)
