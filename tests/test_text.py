"""One text-safety rule: a shared hostile corpus through every caller that shows, logs or stores
outside text (offers, the scanner, the journal, the log, Engage error bodies, settings)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, SettingsError, load_settings
from kiosk.engage.errors import error_from_response
from kiosk.journal import Journal
from kiosk.logs import scrub
from kiosk.scanner.barcode import Accepted, Rejected, mask_card, parse_scan
from kiosk.text import UNSAFE, has_unsafe, one_line, sanitize, strip_unsafe

#: (hostile text, what one line of it reads as). Every caller must agree.
CORPUS: list[tuple[str, str]] = [
    ("A\x9b2JB", "AB"),                               # 8-bit CSI goes whole
    ("A\x1b[2JB", "AB"),                              # 7-bit CSI
    ("Sale\x1b[2J\nnow\x07", "Sale now"),             # CSI, a line break, BEL
    ("A\x1b]0;pwned\x07B", "AB"),                     # OSC ended by BEL
    ("A\x1b]0;pwned\x1b\\B", "AB"),                   # OSC ended by ST
    ("A\x9d0;pwned\x9cB", "AB"),                      # 8-bit OSC ended by 8-bit ST
    ("A\x1bPq#0\x1b\\B", "AB"),                       # DCS (sixel) string
    ("A\x1bcB", "AB"),                                # two-byte ESC sequence (reset)
    ("Half\u202e price", "Half price"),               # bidi override
    ("x\u2066y\u2069z", "xyz"),                       # bidi isolates
    ("a\x85b\x7fc\x00d", "abcd"),                     # NEL, DEL, NUL
    ("a\x1cb\x1fc", "abc"),                           # separators str.split() treats as space
    ("a\ud800b", "ab"),                               # a lone surrogate
    ("tab\there\r\nnext\u2028line", "tab here next line"),
    ("  Kaffe   och ☕ åäö  ", "Kaffe och ☕ åäö"),    # printable text: only spaces change
    ("[bold]x[/]", "[bold]x[/]"),                     # markup is characters, not markup
]
IDS = [repr(raw)[:24] for raw, _ in CORPUS]
CARD = "2000000000039"


def clean(text: str) -> bool:
    """No escape introducer and no unsafe character is left."""
    return not UNSAFE.search(text) and "\x1b" not in text


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_one_line(raw: str, shown: str) -> None:
    assert one_line(raw) == shown
    assert has_unsafe(raw) == (raw != shown.strip() and not raw.isprintable())


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_offer_text_staff_read(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown
    assert sanitize(raw + "x" * 300).endswith("…")  # the display keeps its own cap


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_journal_stores_the_same_line(raw: str, shown: str, tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        row = journal.begin(store=raw, terminal="t", masked_card="•••• 1234", contact_id="c",
                            offer_id="o", promotion_id=None, offer_name=raw, value_applied=raw)
        got = journal.get(row)
    assert got.offer_name == got.value_applied == shown
    assert got.store == shown[:64]


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_log_lines_are_one_line(raw: str, shown: str) -> None:
    out = scrub(raw)
    assert clean(out) and "\n" not in out
    assert " ".join(out.split()) == shown


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_engage_error_details(raw: str, shown: str) -> None:
    error = error_from_response(500, raw.encode("utf-8", "surrogatepass"),
                                {"content-type": "text/plain"})
    detail = error.detail or ""
    assert clean(detail) and detail == one_line(raw.encode("utf-8", "surrogatepass")
                                                .decode("utf-8", "replace"))
    body = json.dumps({"errorCode": "X", "message": raw}).encode()
    error = error_from_response(400, body, {"content-type": "application/json"})
    assert error.detail == (shown or None)


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_scanned_text(raw: str, shown: str) -> None:
    assert strip_unsafe(raw) == strip_unsafe(raw, breaks="")
    assert clean(strip_unsafe(raw)) and clean(mask_card(raw))
    for scanned in (raw, f"]E0{CARD}{raw}", f"{raw}{CARD}"):
        result = parse_scan(scanned)  # never raises; whatever it accepts is clean
        assert isinstance(result, Rejected) or clean(result.card)
    assert parse_scan(f"\x9b2J{CARD}\x1b]0;t\x07\r\n") == Accepted(card=CARD, symbology=None)


@pytest.mark.parametrize(("raw", "shown"), CORPUS, ids=IDS)
def test_settings_refuse_labels_with_unsafe_characters(raw: str, shown: str) -> None:
    # Settings(...) directly: an environment variable can't hold NUL or a lone surrogate
    if has_unsafe(raw):
        with pytest.raises(SettingsError, match="must not contain control|must be text"):
            Settings(store_name=raw)
    else:
        assert Settings(store_name=raw).store_name == raw.strip()


def test_a_bad_label_in_the_environment_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_STORE_NAME", "A\x9b2JB")
    with pytest.raises(ConfigError, match="^KIOSK_STORE_NAME: must not contain control"):
        load_settings(None, require_engage=False)


def test_a_log_record_through_the_filter(caplog: pytest.LogCaptureFixture) -> None:
    from kiosk.logs import ScrubFilter

    record = logging.LogRecord("kiosk", logging.INFO, __file__, 1, "%s", ("A\x9b2JB\n",), None)
    ScrubFilter().filter(record)
    assert record.getMessage() == "AB "


def test_printable_text_compiles_no_pattern() -> None:
    """The patterns are compiled at the first text that needs them (not at import: ~7 M
    instructions of ``kiosk run``'s start), and the warm-up after the first frame compiles
    them before the first customer's offers."""
    from kiosk import text
    from kiosk.ui import warm

    text._pattern.cache_clear()
    assert (one_line(" Till  1 "), sanitize("Anna"), strip_unsafe("1234"),
            has_unsafe("Store")) == ("Till 1", "Anna", "1234", False)
    assert text._pattern.cache_info().currsize == 0
    warm.text_rules()
    assert text._pattern.cache_info().currsize == 3
    assert text.UNSAFE is text._pattern("UNSAFE")
    assert warm.text_rules in warm.FIRST_CUSTOMER
