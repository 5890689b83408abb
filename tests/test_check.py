"""``kiosk check``: each line against the real part it checks.

The simulator over loopback (a good key, a refused key, a closed port, a slow answer), real
ptys for the scanner's port, real SQLite journals and real folders. The command runs in-process
(``kiosk.cli.main``) as IT would call it; one test runs the real ``kiosk`` executable.
The fleet database's line is tested in ``tests/fleet/test_check_fleet.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from kiosk import journal_lock
from kiosk.cli import main
from kiosk.journal import SCHEMA_VERSION, Journal
from kiosk.sim import SimState, Simulator
from kiosk.sim.faults import Fault
from tests.scanner.conftest import Pty
from tests.tls_front import Certs, TlsFront

KEY = "k-" + "7" * 30
CARD = "2012345678903"  # an in-store EAN-13 with a valid check digit
V1_JOURNAL = Path(__file__).parent / "fixtures" / "journal-v1.sqlite"


@pytest.fixture
def till(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A till's settings in KIOSK_* variables: a key file (0600), a journal path; no scanner."""
    key = tmp_path / "apikey"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key))
    monkeypatch.setenv("KIOSK_JOURNAL_PATH", str(tmp_path / "data" / "journal.sqlite3"))
    monkeypatch.setenv("KIOSK_ENGAGE_URL", "http://127.0.0.1:9")  # a test points it elsewhere
    return tmp_path


@pytest.fixture
def engage(till: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """The simulator, accepting the till's key, with one member holding CARD."""
    state = SimState()
    cid = state.add_contact(first_name="Zelda", last_name="Quist", card=CARD)
    state.add_offer(cid, name="Ten off", value_type="PERCENT", value=10)
    state.add_offer(cid, name="Web only", value_type="PERCENT", value=5, channels=("ECOM",))
    with Simulator(state, api_key=KEY, rate_limit=None) as sim:
        monkeypatch.setenv("KIOSK_ENGAGE_URL", sim.url)
        yield sim


def check(capsys: pytest.CaptureFixture[str], *args: str
          ) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Run ``kiosk check --json ARGS``: exit status, {name: (status, detail)}, all printed."""
    code = main(["check", "--json", *args])
    out = capsys.readouterr()
    lines = {r["name"]: (r["status"], r["detail"]) for r in json.loads(out.out)}
    return code, lines, out.out + out.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Engage --------------------------------------------------------------------------------

def test_a_good_key_and_a_card_are_ok_and_nothing_but_reads_reaches_engage(
        engage: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, printed = check(capsys, "--card", "2012-3456-78903")
    assert code == 0
    assert lines["engage"][0] == "ok" and "the API key is accepted" in lines["engage"][1]
    assert lines["lookup-key"] == ("ok", lines["lookup-key"][1])
    assert "customKey" in lines["lookup-key"][1]
    status, detail = lines["card"]
    assert status == "ok"
    assert detail.startswith("•••• 8903: member found")
    assert "1 POS offer to use" in detail and "1 not usable here" in detail
    # no name, no full card, no key anywhere
    for secret in (CARD, "Zelda", "Quist", KEY, KEY[2:]):
        assert secret not in printed
    assert {r.method for r in engage.requests} == {"GET"}
    assert engage.requests_to("GET", r"/api/v2/contacts/count")
    assert engage.requests_to("GET", r"/api/v3/contacts/id")


def test_the_tills_clock_is_compared_with_engages(
        engage: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = check(capsys)
    assert code == 0
    assert lines["clock"][0] == "ok" and "within the 1 s margin" in lines["clock"][1]
    engage.state.clock_offset = 30  # Engage's clock half a minute ahead: the till's behind
    code, lines, _ = check(capsys)
    assert code == 1
    status, detail = lines["clock"]
    assert status == "fail" and "s behind Engage, more than the 1 s margin" in detail
    assert "timedatectl set-ntp true" in detail
    engage.state.date_header = False
    code, lines, _ = check(capsys)
    assert code == 0 and lines["clock"][0] == "skip" and "no Date header" in lines["clock"][1]


def test_a_refused_key_fails_and_skips_the_card(
        engage: Simulator, till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (till / "apikey").write_text("k-" + "0" * 30)
    code, lines, printed = check(capsys, "--card", CARD)
    assert code == 1
    assert lines["engage"][0] == "fail"
    assert "the API key was refused (HTTP 401)" in lines["engage"][1]
    assert lines["card"][0] == "skip"
    assert "0" * 30 not in printed
    assert not engage.requests_to("GET", r"/api/v3/contacts/id")
    # the rest of the till was still checked
    assert lines["journal"][0] == "ok" and lines["scanner"][0] == "skip"


def test_a_closed_port_is_said_plainly(till: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", f"http://127.0.0.1:{_closed_port()}")
    code, lines, _ = check(capsys)
    assert code == 1
    status, detail = lines["engage"]
    assert status == "fail"
    assert "TCP connection to 127.0.0.1" in detail and "Connection refused" in detail


def test_an_untrusted_certificate_is_named_and_the_ca_bundle_fixes_it(
        engage: Simulator, till: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    certs = Certs.make()
    with TlsFront(engage, certs.good()) as front:
        monkeypatch.setenv("KIOSK_ENGAGE_URL", front.url)
        code, lines, _ = check(capsys)
        assert code == 1
        status, detail = lines["engage"]
        assert status == "fail" and detail.startswith(f"{front.url}: TLS failed (")
        assert "KIOSK_ENGAGE_CA_BUNDLE" in detail
        monkeypatch.setenv("KIOSK_ENGAGE_CA_BUNDLE", str(certs.ca_file(till)))
        code, lines, _ = check(capsys)
        assert code == 0 and lines["engage"][0] == "ok"


def test_an_unknown_card_fails_masked(engage: Simulator,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, printed = check(capsys, "--card", "2099999999998")
    assert code == 1
    assert lines["card"] == ("fail", lines["card"][1])
    assert lines["card"][1].startswith("•••• 9998: no member found by customKey")
    assert "2099999999998" not in printed


# --- the API key file ----------------------------------------------------------------------

def test_a_missing_key_file_fails_its_line_and_engage_is_skipped(
        till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (till / "apikey").unlink()
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines["api-key-file"][0] == "fail"
    assert "No such file or directory" in lines["api-key-file"][1]
    assert lines["engage"][0] == "skip"
    assert lines["journal"][0] == "ok"  # the others still ran


def test_a_key_file_others_can_read_is_a_warning_with_its_mode(
        engage: Simulator, till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (till / "apikey").chmod(0o644)
    code, lines, printed = check(capsys)
    assert code == 0
    assert lines["api-key-file"][0] == "warn"
    assert "mode 0644" in lines["api-key-file"][1] and "chmod 600" in lines["api-key-file"][1]
    assert KEY not in printed


def test_an_empty_key_file_fails(till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (till / "apikey").write_text("\n")
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines["api-key-file"][0] == "fail" and "is empty" in lines["api-key-file"][1]


# --- the scanner ---------------------------------------------------------------------------

def test_keyboard_wedge_has_nothing_to_check(till: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, lines, _ = check(capsys)
    assert lines["scanner"][0] == "skip" and "keyboard-wedge" in lines["scanner"][1]


def test_a_pty_scanner_opens(till: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    pty = Pty()
    try:
        monkeypatch.setenv("KIOSK_SCANNER_PORT", pty.name)
        monkeypatch.setenv("KIOSK_SCANNER_BAUDRATE", "19200")
        _, lines, _ = check(capsys)
        assert lines["scanner"] == ("ok", f"{pty.name} opens at 19200 baud, no other program "
                                          "holds it")
        # closed again: the kiosk can open it exclusively afterwards
        serial.Serial(pty.name, exclusive=True).close()
    finally:
        pty.unplug()


def test_a_missing_or_wrong_device_fails(till: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_SCANNER_PORT", str(till / "ttyACM9"))
    code, lines, _ = check(capsys)
    assert code == 1 and lines["scanner"][0] == "fail"
    assert f"no device at {till / 'ttyACM9'}" in lines["scanner"][1]
    (till / "ttyACM9").write_text("")
    _, lines, _ = check(capsys)
    assert lines["scanner"][0] == "fail" and "not a character device" in lines["scanner"][1]


def test_a_port_another_program_holds_fails_naming_it(
        till: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pty = Pty()
    holder = serial.Serial(pty.name, exclusive=True)
    try:
        monkeypatch.setenv("KIOSK_SCANNER_PORT", pty.name)
        code, lines, _ = check(capsys)
        assert code == 1
        status, detail = lines["scanner"]
        assert status == "fail" and f"in use by pid {os.getpid()} (" in detail
    finally:
        holder.close()
        pty.unplug()


def test_a_running_kiosks_port_is_not_opened(
        engage: Simulator, till: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    pty = Pty()
    path = till / "data" / "journal.sqlite3"
    Journal(path).close()
    lock = journal_lock.take(path)  # what a running kiosk holds
    holder = serial.Serial(pty.name, exclusive=True)  # and its port
    try:
        monkeypatch.setenv("KIOSK_SCANNER_PORT", pty.name)
        code, lines, _ = check(capsys)
        assert lines["scanner"][0] == "skip"
        assert "a kiosk is running" in lines["scanner"][1]
        assert "a kiosk is running on it; nothing open" in lines["journal"][1]
        assert code == 0
    finally:
        holder.close()
        lock.release()
        pty.unplug()


# --- the journal ---------------------------------------------------------------------------

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_old_journal_with_open_attempts_is_read_not_changed(
        engage: Simulator, till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = till / "data" / "journal.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(V1_JOURNAL, path)
    before = _digest(path)
    code, lines, _ = check(capsys)
    status, detail = lines["journal"]
    assert status == "warn" and code == 0
    assert f"schema 1: kiosk run upgrades it to {SCHEMA_VERSION}" in detail
    assert "2 attempts not verified yet: `kiosk journal resolve`" in detail
    assert _digest(path) == before  # not migrated, nothing written


def test_a_current_journal_is_ok(till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Journal(till / "data" / "journal.sqlite3").close()
    _, lines, _ = check(capsys)
    assert lines["journal"][0] == "ok"
    assert f"schema {SCHEMA_VERSION} (current); nothing open" in lines["journal"][1]


def test_a_damaged_journal_fails(till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = till / "data" / "journal.sqlite3"
    path.parent.mkdir()
    path.write_bytes(b"not a database, " * 512)
    code, lines, _ = check(capsys)
    assert code == 1 and lines["journal"][0] == "fail"


def test_a_journal_under_a_file_fails(till: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (till / "plain").write_text("")
    monkeypatch.setenv("KIOSK_JOURNAL_PATH", str(till / "plain" / "kiosk" / "journal.sqlite3"))
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines["journal"] == ("fail", lines["journal"][1])
    assert f"{till / 'plain'} is not a directory" in lines["journal"][1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder anyway")
def test_a_journal_folder_without_write_permission_fails(
        till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = till / "data"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, lines, _ = check(capsys)
    finally:
        folder.chmod(0o700)
    assert code == 1
    assert lines["journal"][0] == "fail" and "not writable" in lines["journal"][1]


# --- metrics, settings, output -------------------------------------------------------------

def test_a_metrics_file_in_a_missing_folder_fails(
        till: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_METRICS_FILE", str(till / "textfile" / "kiosk.prom"))
    code, lines, _ = check(capsys)
    assert code == 1 and lines["metrics"][0] == "fail"
    (till / "textfile").mkdir()
    _, lines, _ = check(capsys)
    assert lines["metrics"] == ("ok", f"{till / 'textfile'} is writable")


def test_a_config_file_and_its_warnings(till: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = till / "kiosk.toml"
    config.write_text('store_name = "Avenyn"\nstaff_pin = "1234"\n')
    config.chmod(0o600)
    _, lines, _ = check(capsys, "--config", str(config))
    status, detail = lines["settings"]
    assert status == "warn"
    assert detail.startswith(f"valid ({config} and ") and "store 'Avenyn'" in detail
    assert "PIN" in detail


def test_an_invalid_setting_is_exit_2_naming_it(
        till: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_IDLE_TIMEOUT", "soon")
    assert main(["check"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("kiosk: KIOSK_IDLE_TIMEOUT")
    assert main(["check", "--json"]) == 2
    out = capsys.readouterr()
    [line] = json.loads(out.out)
    assert line["name"] == "settings" and line["status"] == "fail"
    assert "KIOSK_IDLE_TIMEOUT" in line["detail"]


def test_the_real_command_prints_aligned_lines(engage: Simulator, till: Path) -> None:
    env = {k: v for k, v in os.environ.items()}
    done = subprocess.run([str(Path(sys.executable).with_name("kiosk")), "check", "--card",
                           CARD], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    names = [line.split()[0] for line in lines[:-1]]
    assert names == ["settings", "api-key-file", "engage", "lookup-key", "card", "clock",
                     "scanner", "journal", "fleet", "metrics"]
    column = lines[0].index("ok")
    assert all(line[column:].split()[0] in ("ok", "warn", "skip", "FAIL") for line in lines[:-1])
    assert lines[-1] == "7 ok, 0 warn, 3 skip, 0 FAIL: ready"
    assert KEY not in done.stdout + done.stderr and CARD not in done.stdout


def test_the_real_command_with_a_slow_engage_exits_1_and_prints_no_log_lines(
        engage: Simulator) -> None:
    engage.faults.add(Fault("latency", path="/api/v2/contacts/count", latency=10, times=None))
    start = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).with_name("kiosk")), "check", "--timeout",
                           "1", "--card", CARD], env=dict(os.environ), capture_output=True,
                          text=True, timeout=60)
    assert time.monotonic() - start < 8  # the 10-s answer is not waited for
    assert done.returncode == 1
    assert "card          skip  " in done.stdout
    assert done.stderr == ""  # the client's own warning stays out of IT's output
    assert "engage        FAIL  " in done.stdout and "no answer within 1 s" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("not ready: fix the FAIL lines, then run "
                                                 "kiosk check again")
