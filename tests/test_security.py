"""Secrets stay secret, the staff PIN is hashed and rate-limited, and bad settings stop `kiosk run`.

The `kiosk pin` and `kiosk run` tests start the real console script in a subprocess (stdin is a
pipe, not a tty), under the temporary HOME the autouse fixture in conftest.py sets up.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, load_settings, verify_pin
from kiosk.staff_pin import PinGuard, check_pin_hash, hash_pin
from kiosk.ui.launch import pin_guard
from tests.support import FakeClock

KEY = "Zq8-distinctive-api-key-7Hx"
URL = "https://acme.voyado.com"
REPO = Path(__file__).resolve().parents[1]
KIOSK = Path(sys.executable).with_name("kiosk")
LAUNCH_EXISTS = (REPO / "kiosk" / "ui" / "launch.py").exists()
FAST = 1_000  # PBKDF2 iterations for PinGuard tests: the logic, not the cost, is under test


@pytest.fixture
def engage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


# --- the API key ------------------------------------------------------------------------------

def assert_hidden(settings: Settings) -> None:
    shown = [repr(settings), str(settings), str(settings.as_dict()),
             settings.as_json(), repr(settings.public_items()),
             repr(vars(settings))]
    for text in shown:
        assert KEY not in text
    assert ("KIOSK_ENGAGE_API_KEY", "set") in settings.public_items() or (
        settings.engage_api_key_file is not None)


def test_repr_and_dumps_hide_the_key(engage_env: None) -> None:
    settings = load_settings(None)
    assert settings.api_key() == KEY
    assert_hidden(settings)


def test_key_file_is_read_stripped_and_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = private_file(tmp_path / "apikey", f"  {KEY}\n")
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key_file))
    settings = load_settings(None)
    assert settings.api_key() == KEY
    assert settings.warnings() == []  # 0600: nothing to say
    assert_hidden(settings)


def test_key_and_key_file_together_is_an_error(
    engage_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(private_file(tmp_path / "k", KEY)))
    with pytest.raises(ConfigError, match=r"^KIOSK_ENGAGE_API_KEY and KIOSK_ENGAGE_API_KEY_FILE "
                                          r"are both set: set only one$"):
        load_settings(None)


@pytest.mark.parametrize(("content", "reason"), [
    (None, "cannot read"),
    ("  \n", "is empty"),
    (f"{KEY} {KEY}\n", "must be one word"),
    (f"{KEY}\n{KEY}\n", "must be one word"),
])
def test_key_file_problems_name_the_file_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, reason: str
) -> None:
    key_file = tmp_path / "apikey"
    if content is not None:
        private_file(key_file, content)
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key_file))
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    message = str(info.value)
    assert message.startswith("KIOSK_ENGAGE_API_KEY_FILE: ") and reason in message
    assert KEY not in message and "\n" not in message


def test_invalid_key_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", f"{KEY}\x07")
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert str(info.value).startswith("KIOSK_ENGAGE_API_KEY: must be one word")
    assert KEY not in str(info.value)


def test_readable_key_file_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = private_file(tmp_path / "apikey", KEY, mode=0o640)
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key_file))
    assert load_settings(None).warnings() == [
        f"API key file {key_file} is readable by group or others (mode 0640): "
        f"run chmod 600 {key_file}"]


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o604, True), (0o600, False)])
def test_config_file_holding_the_key_warns_when_readable(
    tmp_path: Path, mode: int, warned: bool
) -> None:
    path = private_file(tmp_path / "kiosk.toml",
                        f'engage_url = "{URL}"\nengage_api_key = "{KEY}"\n', mode=mode)
    settings = load_settings(path)
    assert settings.api_key() == KEY
    found = [w for w in settings.warnings() if "config file holding the API key" in w]
    assert bool(found) == warned
    if warned:
        assert found == [f"config file holding the API key {path} is readable by group or "
                         f"others (mode {mode:04o}): run chmod 600 {path}"]
        assert KEY not in found[0]


def test_readable_config_file_without_the_key_is_fine(
    engage_env: None, tmp_path: Path
) -> None:
    path = private_file(tmp_path / "kiosk.toml", 'store_name = "Gränden"\n', mode=0o644)
    assert load_settings(path).warnings() == []


# --- the staff PIN ----------------------------------------------------------------------------

def test_pin_hash_format_and_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = hash_pin("4321")
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256" and int(iterations) >= 600_000
    assert "4321" not in stored
    assert hash_pin("4321", iterations=FAST) != hash_pin("4321", iterations=FAST)  # salted
    monkeypatch.setenv("KIOSK_STAFF_PIN", stored)
    settings = load_settings(None, require_engage=False)
    assert verify_pin(settings, "4321")
    assert not verify_pin(settings, "4322")
    assert not verify_pin(settings, "")
    assert settings.warnings() == []


@pytest.mark.parametrize("stored", ["", "pbkdf2_sha256$1000$@@@$xyz",
                                    "md5$1$c2FsdA==$AAAA", "pbkdf2_sha256$x$c2FsdA==$AAAA"])
def test_malformed_hash_never_verifies(stored: str) -> None:
    assert not check_pin_hash(stored, "4321")


def test_plain_pin_is_hashed_in_memory_and_warned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STAFF_PIN", "135790")
    settings = load_settings(None, require_engage=False)
    assert settings.staff_pin is not None
    assert settings.staff_pin.get_secret_value().startswith("pbkdf2_sha256$")
    assert verify_pin(settings, "135790") and not verify_pin(settings, "135791")
    assert any("PIN is set in plain text" in w and "kiosk pin" in w for w in settings.warnings())
    assert "135790" not in repr(settings) + repr(settings.as_dict())


def test_no_pin_configured_means_no_prompt() -> None:
    settings = load_settings(None, require_engage=False)
    guard = pin_guard(settings)
    assert not guard.required and not settings.pin_required()
    assert not verify_pin(settings, "0000")  # fail closed if someone asks anyway




def test_five_wrong_pins_lock_for_a_minute() -> None:
    clock = FakeClock()
    guard = PinGuard(hash_pin("2468", iterations=FAST), clock=clock)
    assert guard.required
    assert [guard.attempt("0000") for _ in range(4)] == ["wrong"] * 4
    assert guard.locked_for() == 0
    assert guard.attempt("1111") == "locked"  # the fifth wrong one locks
    assert guard.locked_for() == 60
    assert guard.attempt("2468") == "locked"  # even the right PIN waits
    clock.now += 59.5
    assert guard.locked_for() == pytest.approx(0.5)
    assert guard.attempt("2468") == "locked"
    clock.now += 0.5
    assert guard.locked_for() == 0
    assert guard.attempt("2468") == "ok"


def test_right_pin_resets_the_count_and_lockout_gives_fresh_tries() -> None:
    clock = FakeClock()
    guard = PinGuard(hash_pin("2468", iterations=FAST), clock=clock)
    for _ in range(4):
        guard.attempt("9")
    assert guard.attempt("2468") == "ok"
    assert guard.wrong_attempts == 0
    assert [guard.attempt("9") for _ in range(5)] == ["wrong"] * 4 + ["locked"]
    clock.now += 60
    assert guard.attempt("9") == "wrong"  # a fresh set of five after the lockout


def test_guard_limits_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STAFF_PIN", hash_pin("2468", iterations=FAST))
    monkeypatch.setenv("KIOSK_PIN_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("KIOSK_PIN_LOCKOUT", "10")
    clock = FakeClock()
    guard = pin_guard(load_settings(None, require_engage=False), clock=clock)
    assert [guard.attempt("1"), guard.attempt("1")] == ["wrong", "locked"]
    assert guard.locked_for() == 10


# --- `kiosk pin` as a real subprocess ---------------------------------------------------------

def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KIOSK), *args], input=stdin, capture_output=True, text=True,
                          timeout=60, env=os.environ.copy())


EXAMPLE = """# Till 3, Gränden
store_name = "Gränden 4"   # shown on the scan screen
idle_timeout = 45

# staff_pin is written by `kiosk pin`
"""


def test_kiosk_pin_writes_a_hash_and_keeps_the_rest(tmp_path: Path) -> None:
    path = private_file(tmp_path / "kiosk.toml", EXAMPLE, mode=0o640)
    done = kiosk("pin", "--config", str(path), stdin="80125\n")
    assert done.returncode == 0, done.stderr
    assert "80125" not in done.stdout + done.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith(EXAMPLE)  # comments and other keys as they were
    data = tomllib.loads(text)
    assert data["store_name"] == "Gränden 4" and data["idle_timeout"] == 45
    assert check_pin_hash(data["staff_pin"], "80125")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the admin's mode is kept
    settings = load_settings(path, require_engage=False)
    assert verify_pin(settings, "80125") and pin_guard(settings).required

    again = kiosk("pin", "--config", str(path), stdin="2222\n")  # replaced, not added twice
    assert again.returncode == 0
    text = path.read_text(encoding="utf-8")
    assert text.count("staff_pin") == 2  # the comment and the one key
    assert check_pin_hash(tomllib.loads(text)["staff_pin"], "2222")

    cleared = kiosk("pin", "--config", str(path), "--clear")
    assert cleared.returncode == 0
    assert path.read_text(encoding="utf-8") == EXAMPLE
    assert not load_settings(path, require_engage=False).pin_required()


def test_kiosk_pin_creates_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kiosk.toml"
    done = kiosk("pin", "--config", str(path), stdin="4321\n")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert check_pin_hash(tomllib.loads(path.read_text())["staff_pin"], "4321")


def test_kiosk_pin_uses_the_default_config_path() -> None:
    done = kiosk("pin", stdin="4321\n")
    assert done.returncode == 0, done.stderr
    settings = load_settings(None, require_engage=False)
    assert verify_pin(settings, "4321")


@pytest.mark.parametrize("pin", ["12", "1234567890123", "12a4", ""])
def test_kiosk_pin_refuses_a_bad_pin_and_changes_nothing(tmp_path: Path, pin: str) -> None:
    path = private_file(tmp_path / "kiosk.toml", EXAMPLE)
    done = kiosk("pin", "--config", str(path), stdin=pin + "\n")
    assert done.returncode == 2
    assert done.stderr == "kiosk: staff PIN: must be 4-12 digits; nothing was changed\n"
    assert path.read_text(encoding="utf-8") == EXAMPLE


def test_kiosk_pin_refuses_to_rewrite_a_broken_file(tmp_path: Path) -> None:
    broken = 'store_name = "x\n'
    path = private_file(tmp_path / "kiosk.toml", broken)
    done = kiosk("pin", "--config", str(path), stdin="4321\n")
    assert done.returncode == 2
    assert done.stderr.startswith(f"kiosk: {path} line 1, column")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert path.read_text(encoding="utf-8") == broken


# --- `kiosk run` with each invalid setting ----------------------------------------------------

INVALID_RUN = [
    ({"KIOSK_IDLE_TIMEOUT": "abc"}, "KIOSK_IDLE_TIMEOUT: must be a number greater than 0"),
    ({"KIOSK_ENGAGE_TIMEOUT": "-1"}, "KIOSK_ENGAGE_TIMEOUT: must be a number greater than 0"),
    ({"KIOSK_LOOKUP_KEY": "card"}, "KIOSK_LOOKUP_KEY: must be one of"),
    ({"KIOSK_SCANNER_BAUDRATE": "96OO"}, "KIOSK_SCANNER_BAUDRATE: must be a whole number"),
    ({"KIOSK_SCANNER_PORT": "usb scanner"}, "KIOSK_SCANNER_PORT: must be a device path"),
    ({"KIOSK_STAFF_PIN": "12"}, "KIOSK_STAFF_PIN: must be the hash written by `kiosk pin`"),
    ({"KIOSK_ENGAGE_URL": "http://acme.voyado.com"}, "KIOSK_ENGAGE_URL: must use https://"),
    ({"KIOSK_ENGAGE_URL": ""}, "KIOSK_ENGAGE_URL: not set"),
    ({"KIOSK_ENGAGE_API_KEY": ""}, "KIOSK_ENGAGE_API_KEY: not set"),
    ({"KIOSK_ENGAGE_CA_BUNDLE": "/nonexistent.pem"}, "KIOSK_ENGAGE_CA_BUNDLE: /nonexistent.pem"),
    ({"KIOSK_ENGAGE_VERIFY": "false"}, "KIOSK_ENGAGE_VERIFY: unknown setting"),
    ({"KIOSK_ENGAGE_API_KEY_FILE": "/nonexistent-key"}, "KIOSK_ENGAGE_API_KEY and "
                                                        "KIOSK_ENGAGE_API_KEY_FILE are both set"),
]


@pytest.mark.skipif(not LAUNCH_EXISTS, reason="kiosk/ui/launch.py (kiosk run) not there yet")
@pytest.mark.parametrize(("env", "expected"), INVALID_RUN,
                         ids=[next(iter(env)) + "=" + v for env, _ in INVALID_RUN
                              for v in env.values()])
def test_kiosk_run_stops_with_one_line_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    done = kiosk("run")
    assert done.returncode == 2
    assert done.stderr.startswith(f"kiosk: {expected}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert KEY not in done.stderr


@pytest.mark.skipif(not LAUNCH_EXISTS, reason="kiosk/ui/launch.py (kiosk run) not there yet")
@pytest.mark.parametrize(("toml", "expected"), [
    ("idle_timeout = 'abc'\n", "idle_timeout in {path}: must be a number greater than 0"),
    ("idel_timeout = 30\n", "{path}: unknown setting 'idel_timeout' (did you mean"),
    ("idle_timeout = \n", "{path} line 1, column"),
])
def test_kiosk_run_names_the_bad_line_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, expected: str
) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    path = private_file(tmp_path / "kiosk.toml", toml)
    done = kiosk("run", "--config", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith("kiosk: " + expected.format(path=path))
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# --- the whole path: real client, real simulator, real log file ------------------------------

async def test_engage_traffic_leaves_no_key_card_or_email_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from kiosk.engage.client import EngageClient
    from kiosk.engage.errors import EngageError
    from kiosk.logs import configure_logging, reset_logging
    from kiosk.sim import Fault, Simulator

    card, email = "2098765432109", "ida.karlsson@example.se"
    log = logging.getLogger("kiosk.test")
    with Simulator(api_key=KEY) as sim:
        contact = sim.state.add_contact(first_name="Ida", card=card, email=email)
        offer = sim.state.add_offer(contact, name="Ten off", value_type="PERCENT", value=10)
        monkeypatch.setenv("KIOSK_ENGAGE_URL", sim.url)
        monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
        monkeypatch.setenv("KIOSK_LOG_LEVEL", "DEBUG")  # the chattiest a support call would use
        monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))
        settings = load_settings(None)
        path = configure_logging(settings)
        try:
            async with EngageClient(settings.engage_url, settings.api_key()) as client:
                found = await client.find_contact_id(card)
                log.info("found %s by card %s, e-mail %s", found, card, email)
                await client.get_promotions(found)
                await client.redeem(offer)
                sim.faults.add(Fault("status", status=500))
                failing = [client.redeem(offer), client.find_contact_id("2000000000008"),
                           client.find_contact_id(email, "email"), client.get_promotions(found)]
                for call in failing:
                    try:
                        await call
                    except EngageError:
                        log.exception("Engage call failed for card %s", card)
            async with EngageClient(sim.url, "some-other-key-entirely") as wrong:
                try:
                    await wrong.find_contact_id(card)
                except EngageError:
                    log.exception("rejected")
            logging.getLogger("httpx").warning("GET %s/api/v3/contacts/id?customKey=%s apikey=%s",
                                               sim.url, card, KEY)
        finally:
            reset_logging()
        assert sim.requests[0].headers.get("apikey") == KEY  # it did go where it belongs

    text = path.read_text(encoding="utf-8")
    assert "Engage call failed for card ****2109" in text and "Traceback" in text
    assert "/api/v3/contacts/id?<redacted> apikey=[redacted]" in text
    for file in [p for p in tmp_path.rglob("*") if p.is_file()]:
        data = file.read_bytes()
        for secret in (KEY, card, email):
            assert secret.encode() not in data, f"{secret!r} found in {file}"


@pytest.mark.parametrize(("mode", "expected"), [
    (0o664, "is writable by group or others (mode 0664): run chmod go-w"),
    (0o646, "is writable by group or others (mode 0646): run chmod go-w"),
])
def test_config_file_others_can_edit_warns(
    engage_env: None, tmp_path: Path, mode: int, expected: str
) -> None:
    path = private_file(tmp_path / "kiosk.toml", 'store_name = "x"\n', mode=mode)
    assert [w for w in load_settings(path).warnings() if expected in w]


def test_world_readable_pin_hash_warns(tmp_path: Path) -> None:
    stored = hash_pin("4321", iterations=FAST)
    path = private_file(tmp_path / "kiosk.toml", f'staff_pin = "{stored}"\n', mode=0o644)
    warnings = load_settings(path, require_engage=False).warnings()
    assert [w for w in warnings if "staff PIN hash is readable by others" in w]
    path.chmod(0o640)  # group kiosk may read it (the systemd layout): fine
    assert load_settings(path, require_engage=False).warnings() == []


def _read_until(fd: int, wanted: str, seen: list[str], timeout: float = 30.0) -> str:
    """Read a pty master until ``wanted`` shows up (or the child closes it); poll, don't sleep."""
    import select
    import time

    deadline = time.monotonic() + timeout
    while wanted not in "".join(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {wanted!r} on the terminal; got {''.join(seen)!r}")
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen.append(chunk.decode(errors="replace"))
    return "".join(seen)


def _pin_on_a_terminal(path: Path, first: str, second: str) -> tuple[int, str]:
    """Run `kiosk pin` with a pty as its controlling terminal, typing two entries."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its terminal; exec at once, never return into pytest
        try:
            os.execv(str(KIOSK), [str(KIOSK), "pin", "--config", str(path)])
        finally:
            os._exit(127)
    seen: list[str] = []
    try:
        _read_until(fd, "PIN (4-12 digits): ", seen)
        os.write(fd, first.encode() + b"\r")
        if second:
            _read_until(fd, "Repeat the PIN: ", seen)
            os.write(fd, second.encode() + b"\r")
        _read_until(fd, "\x00never\x00", seen)  # to the end
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), "".join(seen)


def test_kiosk_pin_on_a_terminal_asks_twice_without_echo(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    code, screen = _pin_on_a_terminal(path, "97531", "97531")
    assert code == 0, screen
    assert "97531" not in screen  # getpass: nothing echoed
    assert "Staff PIN saved (salted hash) in" in screen
    assert check_pin_hash(tomllib.loads(path.read_text())["staff_pin"], "97531")


def test_kiosk_pin_on_a_terminal_refuses_two_different_entries(tmp_path: Path) -> None:
    path = private_file(tmp_path / "kiosk.toml", EXAMPLE)
    code, screen = _pin_on_a_terminal(path, "97531", "97532")
    assert code == 2
    assert "kiosk: staff PIN: the two entries differ; nothing was changed" in screen
    assert path.read_text(encoding="utf-8") == EXAMPLE
