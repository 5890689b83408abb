"""Languages: the catalogs are complete and current, and money, percent and dates follow CLDR.

The template (``kiosk/locale/kiosk.pot``) must hold exactly the strings the code marks, and
every catalog must translate every one of them with the same placeholders; a string added
without a translation fails here (docs/translating.md says how to update).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import kiosk
from kiosk import i18n
from kiosk.config import ConfigError, load_settings

PACKAGE = Path(kiosk.__file__).parent
POT = PACKAGE / "locale" / "kiosk.pot"
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != "en"]
NBSP = "\u00a0"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _key(message: str | tuple[str, ...]) -> str:
    return message if isinstance(message, str) else message[0]


def _marked_in_code() -> set[str]:
    keywords = dict(DEFAULT_KEYWORDS) | {"N_": None}
    return {_key(message) for _, _, message, _, _ in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=keywords)}


def _template() -> set[str]:
    with POT.open("rb") as f:
        return {_key(m.id) for m in read_po(f) if m.id}


def test_template_is_current_with_the_code() -> None:
    """Every ``_()``/``N_()``/``ngettext`` string is in kiosk.pot, and nothing stale is."""
    code, template = _marked_in_code(), _template()
    assert code - template == set(), "strings missing from kiosk.pot: run pybabel extract"
    assert template - code == set(), "kiosk.pot has strings the code no longer uses"


def test_the_demo_cards_notes_are_in_the_catalog() -> None:
    """Every note of the shipped demo data is marked (kiosk.sim.demo.DEMO_NOTES), so the demo
    card list reads in the staff's language."""
    from kiosk.sim.demo import DEMO_NOTES, read_demo_data

    notes = {m["note"] for m in read_demo_data()["members"] if m.get("note")}
    assert notes == set(DEMO_NOTES)
    assert notes <= _template()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation(lang: str) -> None:
    with i18n.catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    ids = set()
    for m in catalog:
        if not m.id:
            continue
        ids.add(_key(m.id))
        assert not m.fuzzy, f"{lang}: fuzzy {m.id!r}"
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        originals = m.id if isinstance(m.id, tuple) else (m.id,)
        assert strings and all(s.strip() for s in strings), f"{lang}: untranslated {m.id!r}"
        wanted = set(PLACEHOLDER.findall(originals[-1]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == wanted, f"{lang}: placeholders in {s!r}"
    assert ids == _template(), f"{lang}: run pybabel update and translate the new strings"


def test_switching_language_translates_and_english_is_the_msgid() -> None:
    i18n.set_language("sv")
    assert i18n._("Redeem this offer?") == "Lösa in det här erbjudandet?"
    assert i18n.ngettext("{n} redemption", "{n} redemptions", 1) == "{n} inlösen"
    i18n.set_language("nb")
    assert i18n.ngettext("{n} redemption", "{n} redemptions", 2) == "{n} innløsninger"
    i18n.set_language("fi")
    assert i18n._("Redeem") == "Lunasta"
    i18n.set_language("en")
    assert i18n._("Redeem") == "Redeem"
    with pytest.raises(ValueError):
        i18n.set_language("de")


def test_compiled_catalog_is_cached_and_reused(tmp_path: Path) -> None:
    """The first start compiles the .po with Babel; later starts read the cached .mo."""
    i18n._load.cache_clear()
    i18n.set_language("da")
    cached = list((Path.home() / "xdg_cache_home").rglob("kiosk-da-*.mo"))
    assert len(cached) == 1
    cached[0].write_bytes(i18n.compile_catalog(b'msgid ""\nmsgstr ""\n"Content-Type: text/plain;'
                                               b' charset=utf-8\\n"\n\nmsgid "Redeem"\n'
                                               b'msgstr "from the cache"\n', "da"))
    i18n._load.cache_clear()
    i18n.set_language("da")
    assert i18n._("Redeem") == "from the cache"
    i18n._load.cache_clear()


@pytest.mark.parametrize(("lang", "amount", "currency", "shown"), [
    ("sv", "100", "SEK", f"100{NBSP}kr"),
    ("sv", "1234.5", "SEK", f"1{NBSP}234,50{NBSP}kr"),
    ("nb", "1234.5", "NOK", f"1{NBSP}234,50{NBSP}kr"),
    ("da", "1234.5", "DKK", f"1.234,50{NBSP}kr."),
    ("da", "100", "DKK", f"100{NBSP}kr."),
    ("fi", "1234.5", "EUR", f"1{NBSP}234,50{NBSP}€"),
    ("fi", "100", "EUR", f"100{NBSP}€"),
    ("sv", "50", "EUR", f"50{NBSP}€"),
    ("en", "100", "SEK", f"100{NBSP}kr"),
    ("sv", "100", None, "100"),  # no currency from Engage: no guess
    ("sv", "100", "XYZ", f"100{NBSP}XYZ"),  # not an ISO currency: shown as given
])
def test_money_per_locale(lang: str, amount: str, currency: str | None, shown: str) -> None:
    i18n.set_language(lang)
    assert i18n.format_money(Decimal(amount), currency) == shown


@pytest.mark.parametrize(("lang", "value", "shown"), [
    ("sv", "20", f"20{NBSP}%"), ("sv", "12.5", f"12,5{NBSP}%"), ("nb", "20", f"20{NBSP}%"),
    ("da", "20", f"20{NBSP}%"), ("fi", "20", f"20{NBSP}%"), ("en", "12.5", f"12,5{NBSP}%"),
])
def test_percent_per_locale(lang: str, value: str, shown: str) -> None:
    i18n.set_language(lang)
    assert i18n.format_percent(Decimal(value)) == shown


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", "until 31 Dec 2026"), ("sv", "t.o.m. 31 dec. 2026"), ("nb", "t.o.m. 31. des. 2026"),
    ("da", "t.o.m. 31. dec. 2026"), ("fi", "voimassa 31.12.2026 asti"),
])
def test_expiry_per_language(lang: str, shown: str) -> None:
    from kiosk.offers import format_expiry

    i18n.set_language(lang)
    assert format_expiry(datetime(2026, 12, 31, 12, 0, tzinfo=UTC)) == shown


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", "09:05"), ("sv", "09:05"), ("nb", "09:05"), ("da", "09.05"), ("fi", "9.05"),
])
def test_time_of_day_per_language(lang: str, shown: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The notices' and F2's times: CLDR's short time in the till's zone, not "%H:%M" (da and
    fi write 9.05)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Stockholm")
    time.tzset()
    try:
        i18n.set_language(lang)
        assert i18n.format_time(datetime(2026, 3, 2, 8, 5, tzinfo=UTC)) == shown
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(("lang", "number", "shown"), [
    ("en", 1234, f"1{NBSP}234"), ("sv", 1234, f"1{NBSP}234"), ("da", 1234, "1.234"),
    ("fi", 15, "15"),
])
def test_whole_numbers_per_language(lang: str, number: int, shown: str) -> None:
    i18n.set_language(lang)
    assert i18n.format_number(number) == shown


def test_kiosk_language_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_LANGUAGE", "de")
    with pytest.raises(ConfigError, match="KIOSK_LANGUAGE: must be one of en, sv, nb, da, fi"):
        load_settings(None, require_engage=False)
    monkeypatch.setenv("KIOSK_LANGUAGE", "fi")
    assert load_settings(None, require_engage=False).language == "fi"


def test_demo_takes_a_language() -> None:
    from kiosk.cli import build_parser

    assert build_parser().parse_args(["demo", "--language", "sv"]).language == "sv"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--language", "de"])


def test_setting_warnings_are_english_for_the_log_and_translated_for_the_screen() -> None:
    """The same warning: English when the log is set up, the staff's words on the scan screen
    (build_services switches the language before it takes the notices)."""
    from kiosk.config import Settings

    settings = Settings(staff_pin="1234", language="sv", engage_url="https://x.example")
    assert settings.warnings()[0].startswith("the staff PIN is set in plain text")
    i18n.set_language("sv")
    assert settings.warnings()[0].startswith("personalens PIN-kod är angiven i klartext")


def test_english_answers_as_gettexts_null_translations() -> None:
    """English (no catalog) gives the msgids themselves, as gettext.NullTranslations does."""
    import gettext

    null, msgids = gettext.NullTranslations(), i18n.Msgids()
    assert msgids.gettext("Redeem") == null.gettext("Redeem")
    assert msgids.pgettext("key", "Enter") == null.pgettext("key", "Enter")
    for n in (0, 1, 2, 21):
        assert msgids.ngettext("{n} offer", "{n} offers", n) == null.ngettext(
            "{n} offer", "{n} offers", n)
