"""The log file: private, size-capped, scrubbed, and the terminal left alone."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.logs import LOG_FILE, configure_logging, reset_logging, scrub

KEY = "Zq8-distinctive-api-key-7Hx"
CARD = "2012345678901"
EMAIL = "anna.svensson+vip@example.se"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    reset_logging()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("KIOSK_ENGAGE_URL", "https://acme.voyado.com")
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY", KEY)
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))
    return load_settings(None)


def log_text(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_card_email_key_and_control_chars_never_reach_the_file(settings: Settings) -> None:
    path = configure_logging(settings)
    log = logging.getLogger("kiosk.test")
    log.info("scanned %s for %s", CARD, EMAIL)
    log.warning("sent apikey=%s", KEY)
    log.warning("offer name from Engage: %s", "Bonus\nFAKE 2026-11-27 INFO kiosk: redeemed\x1b[2J"
                "\x1b]0;pwned\x07\r\u202eevil\x00")
    log.info("4111 1111 1111 1111 and 4111-1111-1111-1111 and +46 70 123 45 67")
    text = log_text(path)
    lines = text.splitlines()
    assert CARD not in text and KEY not in text and EMAIL not in text
    assert "1111 1111" not in text and "123 45" not in text
    assert any(line.endswith("scanned ****8901 for <email>") for line in lines)
    assert any(line.endswith("sent apikey=[redacted]") for line in lines)
    assert not any(line.startswith("FAKE") for line in lines)  # injected line stays in its record
    assert not any(ch in text for ch in "\x1b\x07\r\x00\u202e")
    assert any("Bonus FAKE" in line and line.endswith("redeemed evil") for line in lines)
    assert any(line.endswith("****1111 and ****1111 and ****4567") for line in lines)


def test_tracebacks_are_scrubbed_and_indented(settings: Settings) -> None:
    path = configure_logging(settings)
    try:
        raise ValueError(f"lookup failed for {CARD}\n2026-11-27T10:00:00+0000 INFO forged")
    except ValueError:
        logging.getLogger("kiosk.test").exception("lookup crashed")
    text = log_text(path)
    assert CARD not in text
    after = text.split("lookup crashed\n", 1)[1]
    assert after.strip() and all(line.startswith("    ") for line in after.splitlines())


def test_httpx_info_lines_are_silenced_and_urls_lose_their_query(settings: Settings) -> None:
    path = configure_logging(settings)
    url = f"https://acme.voyado.com/api/v3/contacts/id?customKey={CARD}"
    logging.getLogger("httpx").info('HTTP Request: GET %s "HTTP/1.1 200 OK"', url)
    logging.getLogger("httpcore.http11").debug("send_request_headers %s", KEY)
    logging.getLogger("httpx").warning("retrying GET %s", url.replace(CARD, "a%40b.se"))
    text = log_text(path)
    assert "HTTP Request" not in text and "send_request_headers" not in text
    assert "retrying GET https://acme.voyado.com/api/v3/contacts/id?<redacted>" in text
    assert "b.se" not in text


def test_log_file_and_dir_are_private_and_rotation_is_capped(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_LOG_MAX_BYTES", "10000")
    monkeypatch.setenv("KIOSK_LOG_BACKUP_COUNT", "2")
    settings = load_settings(None)
    path = configure_logging(settings)
    assert path == settings.log_dir / LOG_FILE
    for i in range(600):
        logging.getLogger("kiosk.test").info("line %d %s", i, "x" * 80)
    log_text(path)
    files = sorted(settings.log_dir.iterdir())
    assert [f.name for f in files] == ["kiosk.log", "kiosk.log.1", "kiosk.log.2"]
    assert stat.S_IMODE(settings.log_dir.stat().st_mode) == 0o700
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert f.stat().st_size <= 10_000


def test_an_existing_log_file_is_made_private(settings: Settings) -> None:
    settings.log_dir.mkdir(parents=True)
    old = settings.log_dir / LOG_FILE
    old.write_text("from an older version\n")
    old.chmod(0o644)
    configure_logging(settings)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_configure_twice_keeps_one_file_handler(settings: Settings) -> None:
    path = configure_logging(settings)
    configure_logging(settings)
    logging.getLogger("kiosk.test").warning("once")
    assert log_text(path).count("once") == 1


def test_settings_warnings_go_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "apikey"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o644)
    monkeypatch.setenv("KIOSK_ENGAGE_URL", "https://acme.voyado.com")
    monkeypatch.setenv("KIOSK_ENGAGE_API_KEY_FILE", str(key_file))
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))
    text = log_text(configure_logging(load_settings(None)))
    assert f"WARNING kiosk: API key file {key_file} is readable by group or others" in text
    assert KEY not in text


SCRIPT = r"""
import logging, sys, warnings
logging.basicConfig(level=logging.DEBUG)          # a library's console handler, as in the wild
from kiosk.config import load_settings
from kiosk.logs import configure_logging
path = configure_logging(load_settings(None, require_engage=False))
log = logging.getLogger("kiosk.x")
log.error("an error %s", "2012345678901")
log.info("%d", "not a number")                   # a broken record: handleError must stay quiet
logging.getLogger("orphan").propagate = False
logging.getLogger("orphan").error("orphan record")  # would go to logging.lastResort (stderr)
warnings.warn("a python warning")
logging.getLogger("httpx").warning("GET https://x/?email=a@b.se")
ours = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None)]
ours[0].stream.close()                           # the disk goes away: handleError, not stderr
log.error("after the file broke")
"""


def test_nothing_goes_to_stdout_or_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert done.stdout == "" and done.stderr == ""
    text = (tmp_path / "logs" / LOG_FILE).read_text()
    assert "ERROR kiosk.x: an error ****8901" in text
    assert "orphan record" in text and "a python warning" in text
    assert "a@b.se" not in text


@pytest.mark.parametrize(("raw", "clean"), [
    ("expires 2026-12-31", "expires 2026-12-31"),
    ("contact 0b1c2d3e-1234-4567-8901-23456789abcd",
     "contact 0b1c2d3e-1234-4567-8901-23456789abcd"),
    ("journal row 1234567", "journal row 1234567"),
    ("ssn 19800101-1234", "ssn ****1234"),
    ("mail ANNA@EXAMPLE.COM.", "mail <email>."),
    ("tab\there", "tab here"),
    ("\x9b31mred", "red"),  # an 8-bit CSI goes whole
])
def test_scrub(raw: str, clean: str) -> None:
    assert scrub(raw) == clean


def test_an_unwritable_log_dir_is_a_one_line_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("KIOSK_LOG_DIR", str(blocker / "logs"))
    with pytest.raises(ConfigError) as info:
        configure_logging(load_settings(None, require_engage=False))
    assert str(info.value) == (f"KIOSK_LOG_DIR: cannot write the log in {blocker / 'logs'} "
                               "(Not a directory)")


def test_start_line_lists_settings_without_secrets(settings: Settings) -> None:
    text = log_text(configure_logging(settings))
    assert "settings: KIOSK_ENGAGE_URL=https://acme.voyado.com, KIOSK_ENGAGE_API_KEY=set," in text
    assert KEY not in text


def test_a_line_is_formatted_once_and_no_record_is_kept(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file handler sizes and writes a line from one formatting (the stock rotating handler
    formats each record twice), and holds no record (nor its traceback) after writing it."""
    path = configure_logging(settings)
    handler = next(h for h in logging.getLogger().handlers
                   if getattr(h, "baseFilename", None) == str(path))
    formatted: list[str] = []
    formatter = handler.formatter
    assert formatter is not None
    fmt = formatter.format

    def counting(record: logging.LogRecord) -> str:
        formatted.append(record.getMessage())
        return fmt(record)

    monkeypatch.setattr(formatter, "format", counting)  # this handler's formatter only
    logging.getLogger("kiosk.test").info("GET %s %d", "/api/v2/contacts/{id}", 200)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("kiosk.test").exception("failed")
    assert formatted == ["GET /api/v2/contacts/{id} 200", "failed"]
    assert getattr(handler, "_formatted", None) is None
    text = log_text(path)
    assert "GET /api/v2/contacts/{id} 200" in text and "ValueError: boom" in text
