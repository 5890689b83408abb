"""The staff's language: gettext catalogs and CLDR money, percent and dates (Babel).

One language per process, chosen at start (``KIOSK_LANGUAGE``, ``kiosk demo --language``):
``set_language("sv")``. Every string staff read goes through ``_()`` (or ``ngettext`` /
``pgettext``); a string defined at import time (a table, a key binding) is marked with ``N_()``
and translated where it is shown. No Textual here: core modules use it too.

Catalogs are the ``.po`` files in ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` (shipped as
package data). They are compiled to the ``.mo`` form with Babel at first use and the ``.mo``
kept in the user cache dir, so the same code works from a source checkout, ``pip install -e
.`` and a wheel, with no build step and no writable install directory. English is the msgids
themselves.
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gettext
    from importlib.resources.abc import Traversable

#: Languages with a catalog; the first is the default (the msgids).
LANGUAGES: tuple[str, ...] = ("en", "sv", "nb", "da", "fi")
#: The CLDR locale each language formats money, numbers and dates with. English uses the
#: Swedish region's conventions ("1 234,50 kr"), as a Nordic till expects.
LOCALES: dict[str, str] = {
    "en": "en_SE", "sv": "sv_SE", "nb": "nb_NO", "da": "da_DK", "fi": "fi_FI",
}
DOMAIN = "kiosk"


class Msgids:
    """English: the msgids themselves, as ``gettext.NullTranslations`` gives them, without
    importing ``gettext`` (its module and plural-forms pattern were ~3.8 M instructions of an
    English till's start; a catalog's language imports it to read its ``.mo``)."""

    def gettext(self, message: str) -> str:
        """``message`` itself."""
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """``singular`` for one, else ``plural``."""
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        """``message`` itself."""
        return message


_state: dict[str, object] = {"language": "en", "translations": Msgids()}


def catalog_path(language: str) -> Traversable:
    """Where a language's ``.po`` file is (inside the installed package)."""
    # Imported here: importlib.resources (with tempfile) was ~10 ms of every English start.
    from importlib import resources

    return resources.files("kiosk").joinpath("locale", language, "LC_MESSAGES", f"{DOMAIN}.po")


@cache
def _load(language: str) -> Msgids | gettext.NullTranslations:
    """The compiled catalog for ``language``: the ``.po`` compiled with Babel once, then the
    ``.mo`` reused from the user cache dir (keyed by the ``.po``'s hash; memory only when that
    dir isn't writable). A cached start skips Babel's catalog code (~40-250 ms)."""
    if language == LANGUAGES[0]:
        return Msgids()
    import gettext
    import hashlib

    po_bytes = catalog_path(language).read_bytes()
    digest = hashlib.sha256(po_bytes).hexdigest()[:16]
    cached = _cache_dir() / f"{DOMAIN}-{language}-{digest}.mo"
    with contextlib.suppress(OSError):
        return gettext.GNUTranslations(io.BytesIO(cached.read_bytes()))
    mo = compile_catalog(po_bytes, language)
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(mo)
        tmp.replace(cached)  # atomic: a second kiosk never reads half a file
    return gettext.GNUTranslations(io.BytesIO(mo))


def compile_catalog(po_bytes: bytes, language: str) -> bytes:
    """A ``.po`` file's bytes compiled to ``.mo`` bytes with Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po_bytes), locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    return mo.getvalue()


def _cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("kiosk") / "locale"


def set_language(language: str) -> None:
    """Switch every later ``_()`` to ``language`` (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    _state["translations"] = _load(language)
    _state["language"] = language


def language() -> str:
    """The active language code ("en", "sv", ...)."""
    return str(_state["language"])


def locale() -> str:
    """The active CLDR locale ("sv_SE", ...)."""
    return LOCALES[language()]


def _translations() -> Msgids | gettext.NullTranslations:
    return _state["translations"]  # type: ignore[return-value]


def _(message: str) -> str:
    """``message`` in the active language."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the active language."""
    return _translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context`` (e.g. "key" for key names)."""
    return _translations().pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for the catalog without translating it (translated where shown)."""
    return message


# --- numbers, money, dates (CLDR via Babel) ---------------------------------------------------
def format_money(amount: Decimal, currency: str | None) -> str:
    """Money in the active locale: "100 kr", "1 234,50 kr", "1.234,50 kr." (da), "1 234,50 €".

    Whole amounts without decimals; ``currency`` is Engage's ISO code (no guess without one:
    then just the number). Separators are CLDR's no-break spaces.
    """
    return _money(str(amount), currency, locale())


# Formatting is memoised by the exact text of the value: Babel parses the locale and the
# pattern on every call (~70 % of turning 5,000 promotions into offers), and a member's
# offers repeat a handful of values.
@lru_cache(maxsize=4096)
def _money(amount_text: str, currency: str | None, loc: str) -> str:
    from babel.numbers import format_currency, format_decimal, is_currency

    amount = Decimal(amount_text)
    whole = amount == amount.to_integral_value()
    code = (currency or "").strip().upper()
    if not code or not is_currency(code):  # no currency, or none CLDR knows: the number
        text = format_decimal(amount, format="#,##0" if whole else "#,##0.00", locale=loc)
        return f"{text}\u00a0{code}" if code else text
    pattern = None
    if whole:
        from babel import Locale

        standard = Locale.parse(loc).currency_formats["standard"].pattern
        pattern = standard.replace(".00", "")
    return format_currency(amount, code, format=pattern, locale=loc,
                           currency_digits=not whole)


def format_number(value: int) -> str:
    """A whole number in the active locale: "1 234" (sv, nb, fi and en_SE), "1.234" (da)."""
    return _number(value, locale())


@lru_cache(maxsize=1024)
def _number(value: int, loc: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0", locale=loc)


def format_percent(value: Decimal) -> str:
    """A percentage Engage gives as a number of percent (20 -> "20 %" in sv, "20%" in en)."""
    return _percent(str(value), locale())


@lru_cache(maxsize=4096)
def _percent(value_text: str, loc: str) -> str:
    from babel.numbers import format_percent as _format_percent

    return _format_percent(Decimal(value_text) / 100, locale=loc, decimal_quantization=False)


def format_date(when: date | datetime) -> str:
    """A date as staff read it in the active locale ("31 dec. 2026", "31.12.2026")."""
    return _date(when.date() if isinstance(when, datetime) else when, locale())


@lru_cache(maxsize=4096)
def _date(day: date, loc: str) -> str:
    from babel.dates import format_date as _format_date

    return _format_date(day, format="medium", locale=loc)


def format_datetime(when: datetime) -> str:
    """Date and time, local to the till ("31 dec. 2026 14:05")."""
    local = when.astimezone()
    return f"{format_date(local)} {format_time(local)}"


def format_time(when: datetime) -> str:
    """The time of day, local to the till, as the locale writes it: "14:05" (en, sv, nb),
    "14.05" (da), "14.05" (fi; "9.05" before ten)."""
    from babel.dates import format_time as _format_time

    return _format_time(when.astimezone(), format="short", locale=locale())
