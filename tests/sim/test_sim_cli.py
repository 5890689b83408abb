"""``kiosk sim``: a real process serving in the foreground, stopped with Ctrl+C."""

from __future__ import annotations

import contextlib
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from kiosk.sim import DEMO_API_KEY, Simulator
from kiosk.sim.cli import _is_loopback, _print_banner
from tests.sim.simtools import ANNA


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    # stderr joins stdout, so both are drained: an unread stderr pipe that fills up would
    # block the server on a write and it would never exit (seen once as a timeout)
    # -X faulthandler: a SIGABRT (see stops) prints every thread's stack before it dies.
    # SIGINT back to its default in the child: a test run started in the background by a shell
    # without job control (``nohup pytest &``, a CI step's ``... &``) ignores SIGINT, Python
    # keeps an ignored SIGINT ignored, and the server inherited that and never saw the Ctrl+C.
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "kiosk", "sim", *args],
                            preexec_fn=_default_sigint, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")  # the end of its output

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def stops(proc: subprocess.Popen[str], lines: queue.Queue[str], timeout: float = 60) -> None:
    """Wait for the process to exit (generous: a loaded CI machine); a hang still fails, with
    the stacks of its threads."""
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out: list[str] = []
        with contextlib.suppress(queue.Empty):
            while line := lines.get(timeout=10):
                out.append(line)
        proc.kill()
        here = (f"this process: SIGINT handler {signal.getsignal(signal.SIGINT)!r}, blocked "
                f"{sorted(signal.pthread_sigmask(signal.SIG_BLOCK, []))}")
        raise AssertionError(f"kiosk sim still running {timeout:g} s after the signal ({here}); "
                             "its output and threads:\n" + "".join(out)) from None


def read_until(lines: queue.Queue[str], pattern: str, timeout: float = 30.0) -> list[str]:
    seen: list[str] = []
    while not any(re.search(pattern, s) for s in seen):
        line = lines.get(timeout=timeout)
        assert line, f"the output ended before {pattern!r}:\n{''.join(seen)}"
        seen.append(line)
    return seen


def test_kiosk_sim_serves_prints_key_and_cards_and_exits_0_on_ctrl_c() -> None:
    proc, lines = start("--port", "0")
    try:
        banner = read_until(lines, r"^Admin:")
        url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner[0]).group(1)  # type: ignore[union-attr]
        text = "".join(banner)
        assert DEMO_API_KEY in text and ANNA in text and "Anna" in text
        assert "MultipleMatches" in text  # each card says what it demonstrates
        r = httpx.get(f"{url}/api/v3/contacts/id", params={"customKey": ANNA},
                      headers={"apikey": DEMO_API_KEY})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        stops(proc, lines)
    assert proc.returncode == 0
    assert "stopped" in "".join(read_until(lines, "stopped"))


def test_kiosk_sim_with_its_own_key_does_not_echo_it_and_stops_on_sigterm() -> None:
    proc, lines = start("--port", "0", "--api-key", "s3cret-integrator-key",
                        "--rate-limit", "0")
    try:
        text = "".join(read_until(lines, r"^Admin:"))
        assert "s3cret-integrator-key" not in text and "Rate limit: off" in text
    finally:
        proc.terminate()
        stops(proc, lines)
    assert proc.returncode == 0


@pytest.mark.parametrize("content", [
    "{not json",
    '{"members": [{"firstName": "X", "offers": [{"name": "n", "channels": [{"type": "SHOP"}]}]}]}',
])
def test_kiosk_sim_with_unusable_data_is_one_line_and_exit_2(tmp_path: Path,
                                                             content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    done = subprocess.run([sys.executable, "-m", "kiosk", "sim", "--port", "0", "--data",
                           str(bad)], capture_output=True, text=True, timeout=20)
    assert done.returncode == 2
    assert done.stderr.startswith("kiosk: --data") and done.stderr.count("\n") == 1


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with Simulator() as sim:
        port = sim.url.rsplit(":", 1)[1]
        done = subprocess.run([sys.executable, "-m", "kiosk", "sim", "--port", port],
                              capture_output=True, text=True, timeout=20)
    assert done.returncode == 2 and done.stderr.startswith("kiosk: --host 127.0.0.1 --port")


def test_a_port_out_of_range_is_one_line_and_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk", "sim", "--port", "99999"],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("kiosk: --host 127.0.0.1 --port 99999: ")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False),
                                                ("192.168.1.20", False), ("till.lan", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


def test_a_non_loopback_host_gets_a_no_tls_warning(capsys: pytest.CaptureFixture[str]) -> None:
    _print_banner(Simulator(host="0.0.0.0"), "http://0.0.0.0:8080", custom_key=False, rate=200)
    out = capsys.readouterr().out
    assert "WARNING" in out and "without TLS" in out
