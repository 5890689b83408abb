"""Settings a careless installer (or an attacker with the environment) hands the kiosk: every
one ends in one line naming the key and exit status 2, fast, with no secret in it."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.config_checks import MAX_CONFIG_FILE, MAX_KEY_FILE, mask_url_credentials
from kiosk.logs import configure_logging, reset_logging

URL = "https://acme.voyado.com"
KEY = "k3y-for-bad-input-tests-01"
PASSWORD = "Pr0xyPassw0rd"
KIOSK = Path(sys.executable).with_name("kiosk")


@pytest.fixture
def engage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", URL)
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)


def one_line_error() -> str:
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_settings(None)
    assert time.monotonic() - start < 5  # no hang, no gigabytes read
    message = str(info.value)
    assert "\n" not in message and KEY not in message and PASSWORD not in message
    assert info.value.__cause__ is None
    return message


@pytest.mark.parametrize(("var", "value", "expected"), [
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com\x01", "must not contain spaces or control"),
    ("KIOSK_ENGAGE_URL", "https://acme\t.voyado.com", "must not contain spaces or control"),
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com\x7f/x", "must not contain spaces or control"),
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com/a b", "must not contain spaces or control"),
    ("KIOSK_ENGAGE_URL", "https://acme voyado.com", "must not contain spaces or control"),
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com:99999", "not a valid address (Port out of "),
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com:0", "port must be from 1 to 65535"),
    ("KIOSK_ENGAGE_URL", "https://[::1/x", "not a valid address"),
    ("KIOSK_ENGAGE_URL", "https://acme.voyado.com/{x}", "must not contain spaces, control"),
    ("KIOSK_ENGAGE_URL", "https://xn--.com", "not a valid address"),
    ("KIOSK_ENGAGE_PROXY", f"http://u:{PASSWORD}@proxy:99999", "not a valid address"),
    ("KIOSK_ENGAGE_PROXY", f"http://u:{PASSWORD}@pro xy:3128", "must not contain spaces"),
    ("KIOSK_ENGAGE_PROXY", "http://proxy:3128\x1b[2J", "must not contain spaces or control"),
    ("KIOSK_IDLE_TIMEOUT", "inf", "must be a number greater than 0 and at most 86400"),
    ("KIOSK_IDLE_TIMEOUT", "1e308", "must be a number greater than 0 and at most 86400"),
    ("KIOSK_IDLE_TIMEOUT", "nan", "must be a number greater than 0 and at most 86400"),
    ("KIOSK_ENGAGE_TIMEOUT", "-inf", "must be a number greater than 0"),
    ("KIOSK_BREAKER_COOLDOWN", "NaN", "must be a number greater than 0"),
    # an API key goes into a header, which is ASCII: refused at start, not at the first scan
    ("KIOSK_ENGAGE_API_KEY", "nyckel-\u00e5\u00e4\u00f6", "must be one word of ASCII"),
    ("KIOSK_ENGAGE_API_KEY", "\u00a1", "must be one word of ASCII"),
])
def test_bad_values_are_one_line(engage_env: None, monkeypatch: pytest.MonkeyPatch, var: str,
                                 value: str, expected: str) -> None:
    monkeypatch.setenv(var, value)
    message = one_line_error()
    assert message.startswith(f"{var}: ") and expected in message, message


def test_an_empty_directory_is_no_ca_bundle(engage_env: None, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    (tmp_path / "ca").mkdir()
    monkeypatch.setenv("KIOSK_ENGAGE_CA_BUNDLE", str(tmp_path / "ca"))
    assert "directory without hashed certificates" in one_line_error()
    (tmp_path / "ca" / "store.pem").write_text("not hashed")
    assert "openssl rehash" in one_line_error()


def special_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "zero-link"
    link.symlink_to("/dev/zero")
    (tmp_path / "dir").mkdir()
    return {"a character device": Path("/dev/zero"), "a FIFO": fifo,
            "a character device ": link, "a directory": tmp_path / "dir"}


@pytest.mark.parametrize("kind", ["a character device", "a FIFO", "a character device ",
                                  "a directory"])
@pytest.mark.parametrize("var", ["KIOSK_ENGAGE_API_KEY_FILE", "KIOSK_CONFIG",
                                 "KIOSK_ENGAGE_CA_BUNDLE"])
def test_special_files_are_refused_by_name(engage_env: None, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path, var: str, kind: str) -> None:
    path = special_files(tmp_path)[kind]
    if var == "KIOSK_ENGAGE_API_KEY_FILE":
        monkeypatch.delenv("KIOSK_ENGAGE_API_KEY")
    if var == "KIOSK_ENGAGE_CA_BUNDLE" and kind == "a directory":
        return  # a directory is a valid kind of bundle (tested above)
    monkeypatch.setenv(var, str(path))
    message = one_line_error()
    assert str(path) in message and f"is {kind.strip()}" in message, message


@pytest.mark.parametrize(("var", "limit"), [("KIOSK_ENGAGE_API_KEY_FILE", MAX_KEY_FILE),
                                            ("KIOSK_CONFIG", MAX_CONFIG_FILE)])
def test_large_files_are_refused(engage_env: None, monkeypatch: pytest.MonkeyPatch,
                                 tmp_path: Path, var: str, limit: int) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"#" * (limit + 1))
    big.chmod(0o600)
    if var == "KIOSK_ENGAGE_API_KEY_FILE":
        monkeypatch.delenv("KIOSK_ENGAGE_API_KEY")
    monkeypatch.setenv(var, str(big))
    assert "is larger than" in one_line_error()


@pytest.mark.parametrize("var", ["KIOSK_ENGAGE_API_KEY_FILE", "KIOSK_CONFIG"])
def test_kiosk_run_with_a_fifo_or_dev_zero_stops_at_once(tmp_path: Path, var: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env |= {"KIOSK_ENGAGE_URL": URL, var: str(fifo)}
    if var == "KIOSK_CONFIG":
        env["KIOSK_ENGAGE_API_KEY"] = KEY
    for target in (str(fifo), "/dev/zero"):
        env[var] = target
        done = subprocess.run([str(KIOSK), "run"], capture_output=True, text=True, timeout=30,
                              env=env, stdin=subprocess.DEVNULL)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"kiosk: {var}: {target} is a" if var != "KIOSK_CONFIG"
                                      else f"kiosk: config file {target} is a")
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize(("url", "shown"), [
    (f"http://user:{PASSWORD}@proxy.store.lan:3128", "http://user:***@proxy.store.lan:3128"),
    (f"socks5://{PASSWORD}@proxy:1080", "socks5://***@proxy:1080"),
    ("http://proxy.store.lan:3128", "http://proxy.store.lan:3128"),
    (f"see https://a:{PASSWORD}@x and http://b:c@y", "see https://a:***@x and http://b:***@y"),
])
def test_url_credentials_are_masked(url: str, shown: str) -> None:
    assert mask_url_credentials(url) == shown


def test_proxy_password_is_on_no_screen_and_in_no_log(engage_env: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_PROXY", f"http://till:{PASSWORD}@proxy.store.lan:3128")
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "log"))
    settings = load_settings(None)
    assert settings.engage_proxy == f"http://till:{PASSWORD}@proxy.store.lan:3128"  # still used
    shown = dict(settings.public_items())
    assert shown["KIOSK_ENGAGE_PROXY"] == "http://till:***@proxy.store.lan:3128"
    try:
        path = configure_logging(settings)
        logging.getLogger("kiosk.test").warning("proxy said no: http://till:%s@proxy", PASSWORD)
        logging.getLogger("httpx").warning("raw password %s", PASSWORD)
    finally:
        reset_logging()
    text = path.read_text()
    assert "till:***@proxy.store.lan" in text and "KIOSK_ENGAGE_PROXY" in text
    assert PASSWORD not in text


def test_the_journal_directory_is_created_private(tmp_path: Path) -> None:
    from kiosk.ui.launch import open_journal

    journal = open_journal(tmp_path / "new" / "dir" / "journal.sqlite3")
    try:
        assert stat.S_IMODE((tmp_path / "new" / "dir").stat().st_mode) == 0o700
    finally:
        journal.close()


# --- found by the property tests (tests/test_config_properties.py) -----------------------------

def test_toml_nested_thousands_deep_is_one_line(engage_env: None, tmp_path: Path) -> None:
    deep = tmp_path / "kiosk.toml"
    deep.write_text("store_name = " + "[" * 5000 + "\n")
    deep.chmod(0o600)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(deep)


def test_a_url_without_a_scheme_does_not_echo_its_password(
        engage_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", f"u:{PASSWORD}@acme.voyado.com")
    assert "***@acme.voyado.com" in one_line_error()


def test_the_settings_repr_masks_the_proxy_password(engage_env: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENGAGE_PROXY", f"http://till:{PASSWORD}@proxy:3128")
    settings = load_settings(None)
    assert PASSWORD not in repr(settings) + str(settings)
    assert "till:***@proxy:3128" in repr(settings)
